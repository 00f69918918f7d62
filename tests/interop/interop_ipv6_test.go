//go:build interop

package interop

// BEP 32: Scout and libtorrent on ::1. libtorrent runs its DHT node on
// each listen socket, so lt_node.py --ipv6 (nodes on [::1]:P) gives
// libtorrent's IPv6 DHT and nothing of IPv4; Scout's swarm.Options.IPv6
// and a session on "[::1]:0" give Scout's. What the two store for each
// other is compared byte for byte, and the tables on both sides show that
// they met over IPv6.

import (
	"context"
	"crypto/rand"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// requireIPv6 skips the test, saying why, where the machine has no IPv6
// loopback.
func requireIPv6(t *testing.T) {
	t.Helper()
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback (cannot bind a UDP socket on ::1: %v)", err)
	}
	c.Close()
}

// forEachFamily runs f as subtest "ipv4" (127.0.0.1) and "ipv6" (::1,
// skipped where the machine has no IPv6 loopback).
func forEachFamily(t *testing.T, f func(t *testing.T, ipv6 bool)) {
	for _, ipv6 := range []bool{false, true} {
		name := "ipv4"
		if ipv6 {
			name = "ipv6"
		}
		t.Run(name, func(t *testing.T) {
			if ipv6 {
				requireIPv6(t)
			}
			f(t, ipv6)
		})
	}
}

// randomBytes is n random bytes: every byte value, NULs and invalid
// UTF-8 included, so that a value survives only if copied byte for byte.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// ltEntryArgs is entries as put_scout_entries takes them.
func ltEntryArgs(entries []ltEntry) []map[string]any {
	var out []map[string]any
	for _, e := range entries {
		out = append(out, map[string]any{"id": e.ID, "seq": e.Seq, "value_hex": hexOf([]byte(e.Value))})
	}
	return out
}

// asLtEntries is a Scout list as ltEntries reads libtorrent's, by id.
func asLtEntries(l *scout.Entries) []ltEntry {
	var out []ltEntry
	for _, e := range l.Slice() {
		out = append(out, ltEntry{ID: e.ID, Seq: e.Seq, Value: string(e.Value)})
	}
	slices.SortFunc(out, func(a, b ltEntry) int { return int(a.ID) - int(b.ID) })
	return out
}

// isLoopback6 reports whether addr is "[::1]:PORT".
func isLoopback6(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	return err == nil && ap.Addr() == netip.IPv6Loopback()
}

// assertMetOverIPv6 checks that the Scout session peer, the Scout swarm sw
// and the libtorrent nodes met over IPv6 and nothing else: every address
// is on ::1, peer's routing table is IPv6 only and has good nodes, and
// libtorrent's tables (the nodes it heard from, at the address it heard
// them from) hold Scout's nodes and peer itself, all at IPv6 addresses.
func assertMetOverIPv6(t *testing.T, peer *scout.Session, sw *swarm.Swarm, lt *ltSwarm) {
	t.Helper()
	assert.True(t, isLoopback6(peer.Addr().String()), "the Scout session is on ::1: %v", peer.Addr())
	for _, n := range lt.Nodes {
		assert.True(t, isLoopback6(n), "libtorrent node on ::1: %s", n)
	}
	st := peer.Stats()
	assert.Zero(t, st.Nodes, "the Scout session has no IPv4 table")
	assert.Positive(t, st.GoodNodes6, "the Scout session's IPv6 table has good nodes")

	scoutNodes := map[string]bool{peer.Addr().String(): true}
	for _, a := range addrs(sw) {
		scoutNodes[a] = true
	}
	var heardScout int
	heardPeer := false
	for i := range lt.Nodes {
		r := lt.call(map[string]any{"op": "table", "node": i})
		for _, n := range r["nodes"].([]any) {
			addr := n.(string)
			assert.True(t, isLoopback6(addr), "libtorrent node %d's table holds %s", i, addr)
			if scoutNodes[addr] {
				heardScout++
			}
			heardPeer = heardPeer || addr == peer.Addr().String()
		}
	}
	assert.Positive(t, heardScout, "libtorrent's tables hold Scout nodes")
	assert.True(t, heardPeer, "a libtorrent table holds the Scout session at %v", peer.Addr())
}

// TestIPv6MixedSwarm: 16 Scout and 16 libtorrent nodes on ::1, joined to
// each other, and a Scout session on [::1]:0. Immutable items (Scout's
// message blobs) and mutable items (Scout's sealed, signed entry lists)
// go from libtorrent to Scout and from Scout to libtorrent, and arrive
// byte for byte; then both sides' tables show that the traffic was IPv6.
func TestIPv6MixedSwarm(t *testing.T) {
	requireIPv6(t)
	sw, lt := mixedSwarm(t, true)
	require.True(t, isLoopback6(sw.Bootstrap()), "Scout swarm on ::1: %s", sw.Bootstrap())
	peer := scoutClient(t, []string{sw.Bootstrap()}, false)
	ctx := context.Background()

	// The largest message: its blob bencoded is 1,000 bytes, libtorrent's
	// limit for a value.
	t.Run("immutable libtorrent to Scout", func(t *testing.T) {
		next, contents := scout.Hash(randomBytes(t, 20)), randomBytes(t, scout.MaxMessageSize)
		put := lt.call(map[string]any{"op": "put_scout_message", "node": 3, "next_hex": next.String(), "message_hex": hexOf(contents)})
		assert.GreaterOrEqual(t, put["num_success"].(float64), 1.0)
		hash, err := scout.ParseHash(put["target"].(string))
		require.NoError(t, err)
		blob, err := scout.EncodeMessage(next, contents)
		require.NoError(t, err)
		assert.Equal(t, scout.MessageHash(blob), hash, "libtorrent's target is the hash of Scout's blob")
		msg, err := peer.Get(ctx, hash)
		require.NoError(t, err)
		assert.Equal(t, contents, msg.Contents)
		assert.Equal(t, next, msg.Next)
	})

	t.Run("immutable Scout to libtorrent", func(t *testing.T) {
		next, contents := scout.Hash(randomBytes(t, 20)), randomBytes(t, scout.MaxMessageSize)
		put, err := peer.Put(ctx, next, contents)
		require.NoError(t, err)
		blob, err := scout.EncodeMessage(next, contents)
		require.NoError(t, err)
		for _, node := range []int{0, 7, 15} {
			got := lt.call(map[string]any{"op": "get_immutable", "node": node, "target": put.Hash.String()})
			require.Equal(t, true, got["found"], "libtorrent node %d finds %v", node, put.Hash)
			assert.Equal(t, hexOf(blob), got["value_hex"], "the item as Scout stored it")
		}
		got := lt.call(map[string]any{"op": "get_scout_message", "node": 9, "target": put.Hash.String()})
		assert.Equal(t, hexOf(contents), got["message_hex"])
		assert.Equal(t, next.String(), got["next_hex"])
	})

	t.Run("mutable libtorrent to Scout", func(t *testing.T) {
		shared := newShared(t)
		want := []ltEntry{{1, 1, string(randomBytes(t, 100))}, {2, 5, string(randomBytes(t, 100))}}
		put := lt.call(map[string]any{"op": "put_scout_entries", "node": 4, "shared_hex": hexOf(shared[:]), "entries": ltEntryArgs(want)})
		assert.GreaterOrEqual(t, put["num_success"].(float64), 1.0)
		res, err := peer.Read(ctx, shared)
		require.NoError(t, err)
		assert.Equal(t, int64(put["seq"].(float64)), res.Seq, "Scout reads libtorrent's seq")
		assert.Zero(t, res.Failed, "every copy opens")
		assert.Equal(t, want, asLtEntries(res.Entries))
	})

	t.Run("mutable Scout to libtorrent", func(t *testing.T) {
		shared := newShared(t)
		l := scout.NewEntries()
		for _, e := range []scout.Entry{{ID: 3, Seq: 2, Value: randomBytes(t, 100)}, {ID: 8, Seq: 1, Value: randomBytes(t, 100)}} {
			require.NoError(t, l.Set(e))
		}
		res, err := peer.Synchronize(ctx, shared, l, scout.SyncHandler{})
		require.NoError(t, err)
		want := asLtEntries(l)
		require.Equal(t, want, asLtEntries(res.Entries))
		for _, node := range []int{1, 10} {
			got := lt.call(map[string]any{"op": "get_scout_entries", "node": node, "shared_hex": hexOf(shared[:])})
			require.Equal(t, true, got["found"], "libtorrent node %d finds the list", node)
			assert.Equal(t, true, got["sig_ok"], "libtorrent verifies Scout's signature")
			assert.Equal(t, float64(res.Seq), got["seq"])
			assert.Equal(t, want, ltEntries(t, got))
		}
	})

	t.Run("over IPv6", func(t *testing.T) { assertMetOverIPv6(t, peer, sw, lt) })
}
