//go:build interop

package interop

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
	"github.com/scout-dht/scout/tests/interop/ltdriver"
)

// goSwarm starts n Scout nodes on 127.0.0.1, or on ::1 with ipv6 (an IPv6
// DHT, BEP 32), stopped when the test ends. Cleanups run last-in
// first-out, so libtorrent nodes started after it stop first: libtorrent
// waits 15 s on a node that left its table.
func goSwarm(t *testing.T, n int, ipv6 bool) *swarm.Swarm {
	t.Helper()
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: n, IPv6: ipv6})
	require.NoError(t, err)
	t.Cleanup(func() { sw.Close() })
	return sw
}

func addrs(sw *swarm.Swarm) []string {
	var out []string
	for _, a := range sw.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// mixedSwarm is 16 Scout nodes and 16 libtorrent nodes that know each
// other, all on 127.0.0.1 or all on ::1.
func mixedSwarm(t *testing.T, ipv6 bool) (*swarm.Swarm, *ltSwarm) {
	sw := goSwarm(t, 16, ipv6)
	lt := startLT(t, 16, ltdriver.Options{Bootstrap: addrs(sw), IPv6: ipv6})
	ctx := context.Background()
	for _, s := range sw.Sessions() {
		require.NoError(t, s.Refresh(ctx))
	}
	return sw, lt
}

// scoutClient is a Scout session, read-only (BEP 43) if asked, joined
// through boot, on the loopback of boot's family.
func scoutClient(t *testing.T, boot []string, readOnly bool) *scout.Session {
	t.Helper()
	s, err := scout.NewSession(scout.Options{ListenAddr: loopbackLike(boot), Bootstrap: boot, ReadOnly: readOnly, Timeout: 30 * time.Second})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(func() { s.Stop() })
	return s
}

// loopbackLike is the ListenAddr on the loopback of the first node's
// family: "[::1]:0" for an IPv6 node, else "127.0.0.1:0".
func loopbackLike(nodes []string) string {
	if len(nodes) > 0 {
		if ap, err := netip.ParseAddrPort(nodes[0]); err == nil && ap.Addr().Is6() {
			return "[::1]:0"
		}
	}
	return "127.0.0.1:0"
}

func newShared(t *testing.T) scout.SharedSecret {
	sk, _, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	_, pk, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	shared, err := scout.KeyExchange(sk, pk)
	require.NoError(t, err)
	return shared
}

type ltEntry struct {
	ID    uint32
	Seq   int64
	Value string
}

func ltEntries(t *testing.T, r map[string]any) []ltEntry {
	t.Helper()
	raw, ok := r["entries"].([]any)
	require.True(t, ok, "reply without entries: %v", r)
	var out []ltEntry
	for _, e := range raw {
		m := e.(map[string]any)
		v, err := hex.DecodeString(m["value_hex"].(string))
		require.NoError(t, err)
		out = append(out, ltEntry{ID: uint32(m["id"].(float64)), Seq: int64(m["seq"].(float64)), Value: string(v)})
	}
	slices.SortFunc(out, func(a, b ltEntry) int { return int(a.ID) - int(b.ID) })
	return out
}

func entryMap(l *scout.Entries) map[uint32]string {
	m := map[uint32]string{}
	for _, e := range l.Slice() {
		m[e.ID] = string(e.Value)
	}
	return m
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// TestLibtorrentWritesScoutReads: libtorrent stores a list in Scout's
// format (sealed and signed by scout_format.py + libtorrent); a Scout peer
// synchronizes, sees its entries, adds its own and writes the merged list;
// libtorrent reads that back and it opens to the merged list.
func TestLibtorrentWritesScoutReads(t *testing.T) {
	sw, lt := mixedSwarm(t, false)
	shared := newShared(t)
	put := lt.call(map[string]any{"op": "put_scout_entries", "node": 3, "shared_hex": hexOf(shared[:]),
		"entries": []map[string]any{
			{"id": 1, "seq": 1, "value_hex": hexOf([]byte("lt-laptop 10.0.0.5:4000"))},
			{"id": 2, "seq": 4, "value_hex": hexOf([]byte("lt-phone 10.0.0.6:4000"))},
		}})
	ltSeq := int64(put["seq"].(float64))
	assert.GreaterOrEqual(t, put["num_success"].(float64), 1.0)

	peer := scoutClient(t, []string{sw.Bootstrap()}, false)
	mine := scout.NewEntries()
	mine.Assign(10, []byte("scout-desktop 10.0.1.7:4000"))
	var seen []uint32
	res, err := peer.Synchronize(context.Background(), shared, mine, scout.SyncHandler{
		EntryUpdated: func(e scout.Entry) { seen = append(seen, e.ID) },
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{1, 2}, seen, "libtorrent's entries reach the Scout peer")
	assert.Equal(t, 0, res.Failed)
	assert.Equal(t, ltSeq+1, res.Seq, "Scout signs libtorrent's seq + 1")
	e, _ := res.Entries.Get(2)
	assert.Equal(t, int64(4), e.Seq)

	got := lt.call(map[string]any{"op": "get_scout_entries", "node": 11, "shared_hex": hexOf(shared[:])})
	require.Equal(t, true, got["found"])
	assert.Equal(t, true, got["sig_ok"], "libtorrent verifies Scout's signature")
	assert.Equal(t, float64(res.Seq), got["seq"])
	assert.Equal(t, []ltEntry{
		{1, 1, "lt-laptop 10.0.0.5:4000"},
		{2, 4, "lt-phone 10.0.0.6:4000"},
		{10, 1, "scout-desktop 10.0.1.7:4000"},
	}, ltEntries(t, got))

	// And once more the other way: libtorrent rewrites (highest seq + 1),
	// Scout reads its newest write.
	lt.call(map[string]any{"op": "put_scout_entries", "node": 5, "shared_hex": hexOf(shared[:]),
		"entries": []map[string]any{{"id": 10, "seq": 2, "value_hex": hexOf([]byte("moved 10.0.1.8:4000"))}}})
	res, err = peer.Synchronize(context.Background(), shared, res.Entries, scout.SyncHandler{})
	require.NoError(t, err)
	assert.Equal(t, "moved 10.0.1.8:4000", entryMap(res.Entries)[10])
}

// TestImmutableListsBothWays: a list put by Scout is walked by libtorrent
// gets, and a list put by libtorrent is walked by Scout.
func TestImmutableListsBothWays(t *testing.T) {
	sw, lt := mixedSwarm(t, false)
	ctx := context.Background()
	peer := scoutClient(t, []string{sw.Bootstrap()}, false)

	var head scout.ListHead
	for _, m := range []string{"one", "two", "three"} {
		token, err := head.PushFront([]byte(m))
		require.NoError(t, err)
		_, err = peer.Put(ctx, token, []byte(m))
		require.NoError(t, err)
	}
	var walked []string
	for h, i := head.Hash().String(), 0; h != hexOf(make([]byte, 20)); i++ {
		r := lt.call(map[string]any{"op": "get_scout_message", "node": i % 16, "target": h})
		require.Equal(t, true, r["found"], "libtorrent finds %s", h)
		msg, _ := hex.DecodeString(r["message_hex"].(string))
		walked = append(walked, string(msg))
		h = r["next_hex"].(string)
	}
	assert.Equal(t, []string{"three", "two", "one"}, walked)

	next := hexOf(make([]byte, 20))
	for i, m := range []string{"alpha", "beta", "gamma"} {
		r := lt.call(map[string]any{"op": "put_scout_message", "node": 2 + i, "next_hex": next, "message_hex": hexOf([]byte(m))})
		next = r["target"].(string)
	}
	ltHead, err := scout.ParseHash(next)
	require.NoError(t, err)
	msgs, err := peer.GetList(ctx, ltHead, 0)
	require.NoError(t, err)
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Contents))
	}
	assert.Equal(t, []string{"gamma", "beta", "alpha"}, got)
}

// TestLibtorrentSwarmServesScout: a swarm made only of libtorrent nodes
// carries two Scout peers' synchronize and offline messages (Scout as a
// pure client: no Scout node serves), first as full nodes, whose writes
// libtorrent then reads too, then as read-only nodes (BEP 43). On
// 127.0.0.1, and on ::1 (BEP 32: libtorrent's IPv6 DHT serves Scout's).
//
// libtorrent 2.0.8 puts a read-only node that queried it into its routing
// table anyway (its table grows by one) and its own lookups then wait out
// their 15 s timeout on it: so the read-only run uses a libtorrent swarm of
// its own and asks libtorrent nothing afterwards.
func TestLibtorrentSwarmServesScout(t *testing.T) { forEachFamily(t, libtorrentSwarmServesScout) }

func libtorrentSwarmServesScout(t *testing.T, ipv6 bool) {
	for _, readOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("read-only=%v", readOnly), func(t *testing.T) {
			lt := startLT(t, 24, ltdriver.Options{IPv6: ipv6})
			ctx := context.Background()
			alice, bob := scoutClient(t, lt.Nodes[:2], readOnly), scoutClient(t, lt.Nodes[5:7], readOnly)
			assert.Equal(t, ipv6, isLoopback6(alice.Addr().String()) && isLoopback6(lt.Nodes[0]), "Scout and libtorrent on ::1")
			for i := range 5 {
				shared := newShared(t)
				a := scout.NewEntries()
				a.Assign(1, fmt.Appendf(nil, "alice %d", i))
				_, err := alice.Synchronize(ctx, shared, a, scout.SyncHandler{})
				require.NoError(t, err)
				b := scout.NewEntries()
				b.Assign(2, fmt.Appendf(nil, "bob %d", i))
				res, err := bob.Synchronize(ctx, shared, b, scout.SyncHandler{})
				require.NoError(t, err)
				assert.Equal(t, map[uint32]string{1: fmt.Sprintf("alice %d", i), 2: fmt.Sprintf("bob %d", i)}, entryMap(res.Entries))
				// Synchronize returns once a majority of the 8 closest
				// stored the list (the others' puts go on).
				assert.GreaterOrEqual(t, res.Stored, 5, "stored on libtorrent nodes")

				if !readOnly {
					// libtorrent itself reads what the Scout peers wrote.
					got := lt.call(map[string]any{"op": "get_scout_entries", "node": (i * 5) % 24, "shared_hex": hexOf(shared[:])})
					assert.Len(t, ltEntries(t, got), 2)
				}

				put, err := alice.Put(ctx, scout.Hash{byte(i)}, fmt.Appendf(nil, "note %d", i))
				require.NoError(t, err)
				msg, err := bob.Get(ctx, put.Hash)
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("note %d", i), string(msg.Contents))
			}
			_, err := bob.Get(ctx, scout.Hash{0xde, 0xad})
			assert.ErrorIs(t, err, scout.ErrNotFound, "a libtorrent swarm's empty answers end in NotFound")
		})
	}
}

// TestScoutSwarmServesLibtorrent: a swarm made only of Scout nodes carries
// libtorrent clients' (read-only nodes) mutable and immutable items, on
// 127.0.0.1 and on ::1.
func TestScoutSwarmServesLibtorrent(t *testing.T) { forEachFamily(t, scoutSwarmServesLibtorrent) }

func scoutSwarmServesLibtorrent(t *testing.T, ipv6 bool) {
	sw := goSwarm(t, 24, ipv6)
	lt := startLT(t, 2, ltdriver.Options{Bootstrap: addrs(sw)[:3], Settings: []string{"dht_read_only=true"}, IPv6: ipv6})
	assert.Equal(t, ipv6, isLoopback6(sw.Bootstrap()) && isLoopback6(lt.Nodes[0]), "Scout and libtorrent on ::1")
	for i := range 5 {
		shared := newShared(t)
		lt.call(map[string]any{"op": "put_scout_entries", "node": 0, "shared_hex": hexOf(shared[:]),
			"entries": []map[string]any{{"id": 7, "seq": 1, "value_hex": hexOf(fmt.Appendf(nil, "lt %d", i))}}})
		got := lt.call(map[string]any{"op": "get_scout_entries", "node": 1, "shared_hex": hexOf(shared[:])})
		assert.Equal(t, []ltEntry{{7, 1, fmt.Sprintf("lt %d", i)}}, ltEntries(t, got))

		value := fmt.Appendf(nil, "immutable %d", i)
		put := lt.call(map[string]any{"op": "put_immutable", "node": 1, "value_hex": hexOf(value)})
		assert.GreaterOrEqual(t, put["num_success"].(float64), 1.0)
		r := lt.call(map[string]any{"op": "get_immutable", "node": 0, "target": put["target"]})
		assert.Equal(t, true, r["found"])
		assert.Equal(t, hexOf(value), r["value_hex"])

		// And the Scout nodes hold it in Scout's format.
		res, err := sw.Sessions()[(i*7)%24].Synchronize(context.Background(), shared, nil, scout.SyncHandler{})
		require.NoError(t, err)
		assert.Equal(t, map[uint32]string{7: fmt.Sprintf("lt %d", i)}, entryMap(res.Entries))
	}
	missing := lt.call(map[string]any{"op": "get_immutable", "node": 0, "target": "00112233445566778899aabbccddeeff00112233"})
	assert.Equal(t, false, missing["found"])
}
