package dht

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

// rawSource is a stranger's socket on its own loopback address.
type rawSource struct {
	t    *testing.T
	conn *net.UDPConn
	to   netip.AddrPort
	n    uint16
}

func newRawSource(t *testing.T, ip string, to netip.AddrPort) *rawSource {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	require.NoError(t, err)
	require.NoError(t, conn.SetReadBuffer(4<<20)) // the replies to a flood
	t.Cleanup(func() { conn.Close() })
	return &rawSource{t: t, conn: conn, to: to}
}

func (r *rawSource) query(method krpc.Method, a krpc.Args) []byte {
	r.n++
	var tid [2]byte
	binary.BigEndian.PutUint16(tid[:], r.n)
	a.ID = ID{0xaa, byte(r.n)}
	b := krpc.AppendQuery(nil, tid[:], method, &a, false)
	_, err := r.conn.WriteToUDPAddrPort(b, r.to)
	require.NoError(r.t, err)
	return tid[:]
}

// replies counts the replies that come within d (the node's own queries,
// such as its verify pings, are skipped), and returns the last one's
// values.
func (r *rawSource) replies(d time.Duration) (count int, last krpc.Return) {
	buf := make([]byte, 2048)
	r.conn.SetReadDeadline(time.Now().Add(d))
	for {
		n, _, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return count, last
		}
		var m krpc.Msg
		if krpc.Decode(buf[:n], &m) == nil && m.Y == krpc.KindReply {
			count++
			last = *cloneReturn(&m.R)
		}
	}
}

// TestFloodingSourceIsCutOff: a source that floods a node with queries is
// ignored once over its rate, while another keeps being served; one that
// floods the store fills only its own share of it, and never evicts what
// others stored.
func TestFloodingSourceIsCutOff(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	node := New(Config{Conn: conn, ID: ID{0x55}, Limits: Limits{QueryRate: 20, QueryBurst: 50, Block: time.Minute, Exempt: NoExemption},
		Store: StoreLimits{MaxItems: 400, PerSource: 40}})
	defer node.Close()

	// Queries: 1,000 pings at once from one source; 20, paced, from another.
	flood := newRawSource(t, "127.20.0.1", node.Addr())
	calm := newRawSource(t, "127.20.0.2", node.Addr())
	for range 1000 {
		flood.query(krpc.MethodPing, krpc.Args{})
	}
	answered, _ := flood.replies(300 * time.Millisecond)
	assert.LessOrEqual(t, answered, 60, "the flood's burst is answered, then nothing")
	assert.GreaterOrEqual(t, answered, 40)
	for range 20 {
		calm.query(krpc.MethodPing, krpc.Args{})
		n, _ := calm.replies(20 * time.Millisecond)
		assert.Equal(t, 1, n, "the other source is served")
	}
	flood.query(krpc.MethodPing, krpc.Args{})
	n, _ := flood.replies(100 * time.Millisecond)
	assert.Zero(t, n, "the flooding source stays ignored")
	assert.Greater(t, node.Stats().RateLimited, uint64(900))

	// The store, on a node whose query rate does not get in the way: another
	// source's item first, then 1,000 items from one source.
	conn2, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	store := New(Config{Conn: conn2, ID: ID{0x56}, Limits: Limits{QueryRate: 1e6, QueryBurst: 1e6, Exempt: NoExemption},
		Store: StoreLimits{MaxItems: 400, PerSource: 40}})
	defer store.Close()
	token := func(src *rawSource) []byte {
		src.query(krpc.MethodGet, krpc.Args{Target: ID{1}, HasTarget: true})
		_, r := src.replies(100 * time.Millisecond)
		require.NotNil(t, r.Token)
		return r.Token
	}
	owner := newRawSource(t, "127.20.0.3", store.Addr())
	theirs := Item{V: krpc.AppendString(nil, []byte("stored by another"))}
	owner.query(krpc.MethodPut, krpc.Args{Token: token(owner), V: theirs.V})
	n, _ = owner.replies(100 * time.Millisecond)
	require.Equal(t, 1, n)

	filler := newRawSource(t, "127.20.0.4", store.Addr())
	tok := token(filler)
	for i := range 1000 {
		filler.query(krpc.MethodPut, krpc.Args{Token: tok, V: krpc.AppendString(nil, []byte{byte(i), byte(i >> 8), 'f'})})
	}
	stored, _ := filler.replies(300 * time.Millisecond)
	items, _ := store.Store().Stats()
	t.Logf("the filler's 1,000 puts: %d answered; the store holds %d items", stored, items)
	assert.Equal(t, 1000, stored, "each put is answered (the source's oldest goes)")
	assert.Equal(t, 41, items, "one source holds at most its share")
	_, ok := store.Store().Get(theirs.Target())
	assert.True(t, ok, "another source's item was not evicted")
	last := Item{V: krpc.AppendString(nil, []byte{999 & 0xff, 999 >> 8, 'f'})}
	_, ok = store.Store().Get(last.Target())
	assert.True(t, ok, "the flood's newest item is there")
}

// TestSendRate: with Limits.SendRate, what a node sends stays within that
// many bytes a second (datagrams over it are dropped).
func TestSendRate(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	node := New(Config{Conn: conn, ID: ID{0x57}, Limits: Limits{SendRate: 2000}})
	defer node.Close()
	src := newRawSource(t, "127.20.0.5", node.Addr())
	start := time.Now()
	for range 200 {
		src.query(krpc.MethodPing, krpc.Args{})
	}
	n, _ := src.replies(500 * time.Millisecond)
	elapsed := time.Since(start).Seconds()
	sent := node.Stats().BytesOut
	t.Logf("%d of 200 pings answered, %d bytes in %.2f s", n, sent, elapsed)
	assert.LessOrEqual(t, float64(sent), 2000*(1+elapsed), "a second's worth at once, then the rate")
	assert.Positive(t, n)
	assert.Positive(t, node.Stats().SendDropped)
}

// TestQueryLimiterTable: the table of buckets is made only when a source
// that is not exempt queries (a loopback swarm's nodes never pay for it);
// a blocked source's slot is not freed by a newcomer whose hash shares it,
// and the newcomer waits out the block with it.
func TestQueryLimiterTable(t *testing.T) {
	clock := time.Unix(1000, 0)
	q := newQueryLimiter(Limits{QueryRate: 1, QueryBurst: 2, Block: time.Minute}.withDefaults(), func() time.Time { return clock })
	assert.True(t, q.allow(netip.MustParseAddrPort("127.0.0.1:5")))
	assert.Nil(t, q.slots, "loopback is exempt: no table")

	flood := netip.MustParseAddrPort("198.51.100.1:6881")
	assert.True(t, q.allow(flood))
	assert.True(t, q.allow(flood))
	assert.False(t, q.allow(flood), "over its burst")
	require.Len(t, q.slots, limiterSlots)
	slot := func(a netip.AddrPort) *limiterSlot {
		for i := range q.slots {
			if q.slots[i].key != 0 && q.sourceKey(a) == q.slots[i].key {
				return &q.slots[i]
			}
		}
		return nil
	}
	held := slot(flood)
	require.NotNil(t, held)
	// Another source of the same slot: found by trying addresses.
	var other netip.AddrPort
	for i := 0; ; i++ {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}), 6881)
		if k := q.sourceKey(a); k != held.key && k%limiterSlots == held.key%limiterSlots {
			other = a
			break
		}
		require.Less(t, i, 1<<16, "no address of that slot")
	}
	assert.False(t, q.allow(other), "the slot's holder is blocked: so is a newcomer to it")
	assert.False(t, q.allow(flood), "and the holder stays blocked")
	clock = clock.Add(time.Minute + time.Second)
	assert.True(t, q.allow(other), "after the block, the newcomer takes the slot")
}
