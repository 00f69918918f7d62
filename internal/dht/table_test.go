package dht

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func idWithPrefix(b0, b1 byte) ID { return ID{b0, b1} }

func TestXorDistance(t *testing.T) {
	target := ID{0x80}
	assert.Equal(t, -1, xorCompare(target, ID{0x81}, ID{0x00}))
	assert.Equal(t, 1, xorCompare(target, ID{0x7f}, ID{0xff}))
	assert.Equal(t, 0, xorCompare(target, ID{1}, ID{1}))
	assert.Equal(t, 160, commonPrefix(target, target))
	assert.Equal(t, 0, commonPrefix(ID{0x80}, ID{0x00}))
	assert.Equal(t, 15, commonPrefix(ID{0, 0}, ID{0, 1}))
}

// TestMappedAddressesAreOneNode: the same node seen as 127.0.0.1 and as
// ::ffff:127.0.0.1 is one entry, not two.
func TestMappedAddressesAreOneNode(t *testing.T) {
	tbl := newTable(ID{0xff})
	plain := netip.MustParseAddrPort("127.0.0.1:6881")
	mapped := netip.MustParseAddrPort("[::ffff:127.0.0.1]:6881")
	tbl.responded(ID{1}, plain, time.Millisecond)
	tbl.responded(ID{1}, mapped, time.Millisecond)
	assert.Equal(t, 1, tbl.len())
	assert.True(t, tbl.knows(mapped))
	assert.Equal(t, plain, tbl.closest(ID{1}, 8)[0].Addr)
}

func TestTableBucketsAndFailures(t *testing.T) {
	self := ID{0x00}
	tbl := newTable(self)
	assert.Equal(t, 128, bucketCap(0), "the far buckets keep more")
	assert.Equal(t, 16, bucketCap(3))
	// Nine nodes in a near bucket (four leading bits shared): only eight fit.
	for i := range 9 {
		tbl.responded(idWithPrefix(0x08, byte(i)), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(1000+i)), time.Millisecond)
	}
	assert.Equal(t, bucketSize, tbl.len())
	assert.False(t, tbl.hasRoomFor(idWithPrefix(0x08, 99)))
	assert.True(t, tbl.hasRoomFor(idWithPrefix(0x40, 0)), "another bucket has room")
	assert.False(t, tbl.hasRoomFor(self))

	// The ninth waits in the bucket's replacement cache. A node that fails
	// twice leaves, and the ninth takes its place.
	ninth := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 1008)
	assert.False(t, tbl.knows(ninth))
	victim := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 1000)
	tbl.failed(victim)
	assert.True(t, tbl.knows(victim), "one failure is forgiven")
	assert.True(t, tbl.hasRoomFor(idWithPrefix(0x08, 99)), "a failing node can be replaced")
	tbl.failed(victim)
	assert.False(t, tbl.knows(victim))
	assert.True(t, tbl.knows(ninth), "the replacement took its place")
	assert.Equal(t, bucketSize, tbl.len())

	// A newcomer to a bucket full of good nodes waits for a place too.
	tbl.responded(idWithPrefix(0x08, 99), netip.MustParseAddrPort("127.0.0.1:2000"), time.Millisecond)
	assert.Equal(t, bucketSize, tbl.len())
	assert.False(t, tbl.knows(netip.MustParseAddrPort("127.0.0.1:2000")))

	// Closest is ordered by distance to the target.
	got := tbl.closest(idWithPrefix(0x08, 3), 3)
	require.Len(t, got, 3)
	assert.Equal(t, idWithPrefix(0x08, 3), got[0].ID)

	// A node that restarts at the same address with a new id replaces the old.
	tbl.responded(idWithPrefix(0x08, 77), ninth, time.Millisecond)
	assert.Equal(t, idWithPrefix(0x08, 77), tbl.closest(idWithPrefix(0x08, 77), 1)[0].ID)
}

// TestUpkeepFindsQuestionableAndStale: nodes not heard from for the
// questionable interval are no longer good and are the ones to ping, the
// longest silent first; a bucket nobody in answered for the refresh
// interval is due a refresh, once per interval.
func TestUpkeepFindsQuestionableAndStale(t *testing.T) {
	now := time.Unix(1e9, 0)
	tbl := newTableTiming(ID{}, Timing{Questionable: time.Minute, Refresh: 2 * time.Minute}, func() time.Time { return now })
	a, b := netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2")
	tbl.responded(ID{0x80}, a, time.Millisecond)
	now = now.Add(30 * time.Second)
	tbl.responded(ID{0x40}, b, time.Millisecond)
	assert.Empty(t, tbl.questionable(8))
	assert.Equal(t, 2, tbl.goodCount())
	now = now.Add(45 * time.Second) // a: 75 s silent, b: 45 s
	assert.Equal(t, []Contact{{ID: ID{0x80}, HasID: true, Addr: a}}, tbl.questionable(8))
	assert.Equal(t, 1, tbl.goodCount())
	now = now.Add(time.Minute) // both questionable; a first
	q := tbl.questionable(8)
	require.Len(t, q, 2)
	assert.Equal(t, a, q[0].Addr)
	assert.Empty(t, tbl.closest(ID{0x80}, 8), "questionable nodes are not handed out")
	tbl.responded(ID{0x80}, a, time.Millisecond)
	assert.Len(t, tbl.closest(ID{0x80}, 8), 1, "an answer makes it good again")

	// Buckets 0 and 1 hold a node each; bucket 0 answered 30 s ago,
	// bucket 1 2 min 15 s ago.
	now = now.Add(30 * time.Second)
	assert.Equal(t, []int{1}, tbl.staleBuckets())
	assert.Empty(t, tbl.staleBuckets(), "refreshed once per interval")
	now = now.Add(2 * time.Minute)
	assert.Equal(t, []int{0, 1}, tbl.staleBuckets())
}

// TestTimeoutsFollowRoundTrips: soft timeouts come from measured round
// trips (per node when known), within fixed bounds, instead of a fixed 2 s.
func TestTimeoutsFollowRoundTrips(t *testing.T) {
	tbl := newTable(ID{})
	unknown := netip.MustParseAddrPort("127.0.0.1:9")
	assert.Equal(t, initialSoftTimeout, tbl.softTimeout(unknown), "nothing measured yet")
	fast := netip.MustParseAddrPort("127.0.0.1:1")
	for range 20 {
		tbl.responded(ID{1}, fast, 200*time.Microsecond)
	}
	assert.Equal(t, minSoftTimeout, tbl.softTimeout(fast), "loopback round trips hit the floor")
	assert.Equal(t, minSoftTimeout, tbl.softTimeout(unknown), "unknown nodes use every node's round trips")
	slow := netip.MustParseAddrPort("127.0.0.1:2")
	for range 20 {
		tbl.responded(ID{2}, slow, 300*time.Millisecond)
	}
	assert.InDelta(t, float64(300*time.Millisecond), float64(tbl.softTimeout(slow)), float64(100*time.Millisecond))
	assert.Equal(t, minHardTimeout, hardTimeout(minSoftTimeout))
	assert.Equal(t, maxHardTimeout, hardTimeout(maxSoftTimeout))
}

func TestDeadAddressesAreSkippedAfterRepeatedTimeouts(t *testing.T) {
	tbl := newTable(ID{})
	a := netip.MustParseAddrPort("127.0.0.1:7")
	tbl.failed(a)
	assert.False(t, tbl.isDead(a), "one timeout may be a slow moment")
	tbl.failed(a)
	assert.True(t, tbl.isDead(a))
	tbl.responded(ID{7}, a, time.Millisecond)
	assert.False(t, tbl.isDead(a), "an answer clears it")
}

func TestSuspectNodesAreNotHandedOut(t *testing.T) {
	tbl := newTable(ID{})
	a := netip.MustParseAddrPort("127.0.0.1:8")
	tbl.responded(ID{8}, a, time.Millisecond)
	require.Len(t, tbl.closest(ID{8}, 8), 1)
	tbl.suspect(a)
	assert.Empty(t, tbl.closest(ID{8}, 8), "a node a lookup gave up on is not handed out")
	assert.True(t, tbl.knows(a), "but stays in the table")
	tbl.suspect(a)
	assert.True(t, tbl.isDead(a), "two strikes: skipped")
	tbl.responded(ID{8}, a, time.Millisecond)
	assert.Len(t, tbl.closest(ID{8}, 8), 1, "an answer restores it")
	assert.False(t, tbl.isDead(a))
}

func TestRandomIDInBucket(t *testing.T) {
	self := ID{0xa5, 0x5a, 0xff}
	for i := range 161 {
		var r [20]byte
		copy(r[:], randomBytes(20))
		assert.Equal(t, i, commonPrefix(self, randomIDInBucket(self, i, r)), "bucket %d", i)
	}
}

// TestClosestMatchesBruteForce: the bucket walk of closest finds exactly
// the n nodes a sort of the whole table would.
func TestClosestMatchesBruteForce(t *testing.T) {
	var self ID
	copy(self[:], randomBytes(20))
	tbl := newTable(self)
	for i := range 400 {
		var id ID
		copy(id[:], randomBytes(20))
		if i%3 == 0 { // some near our id, to fill the deep buckets
			copy(id[:2], self[:2])
		}
		tbl.responded(id, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(1000+i)), time.Millisecond)
	}
	all := tbl.closest(self, 1000)
	for range 200 {
		var target ID
		copy(target[:], randomBytes(20))
		if target[0]%2 == 0 {
			copy(target[:3], self[:3])
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b Contact) int { return xorCompare(target, a.ID, b.ID) })
		for _, n := range []int{1, 8, 16} {
			assert.Equal(t, want[:n], tbl.closest(target, n))
		}
	}
	assert.Equal(t, tbl.len(), len(all))
}
