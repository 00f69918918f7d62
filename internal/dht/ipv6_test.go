package dht

import (
	"context"
	"crypto/sha1"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

// startNodesOn starts count nodes on ip (127.0.0.1 or ::1), closed when the
// test ends; a test on ::1 is skipped where the machine has no IPv6.
func startNodesOn(t testing.TB, ip net.IP, count int) []*Node {
	t.Helper()
	network := "udp4"
	if ip.To4() == nil {
		network = "udp6"
	}
	nodes := make([]*Node, count)
	for i := range nodes {
		conn, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
		if err != nil && network == "udp6" {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		require.NoError(t, err)
		var id ID
		copy(id[:], randomBytes(20))
		nodes[i] = New(Config{Conn: conn, ID: id})
		t.Cleanup(nodes[i].Close)
	}
	return nodes
}

// join joins nodes as the swarm does: each through the first, then each
// refreshes once more.
func join(t testing.TB, nodes []*Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seed := []Contact{{Addr: nodes[0].Addr()}}
	parallel(nodes[1:], func(n *Node) { n.SetSeeds(seed); n.Bootstrap(ctx) })
	parallel(nodes, func(n *Node) { n.Bootstrap(ctx) })
	require.NoError(t, ctx.Err())
}

// dualHosts starts count dual-stack hosts (a node on 127.0.0.1 and one on
// ::1 sharing a store) and joins each family through its first host.
func dualHosts(t testing.TB, count int) []*Host {
	t.Helper()
	v4 := startNodesOn(t, net.IPv4(127, 0, 0, 1), count)
	v6 := startNodesOn(t, net.IPv6loopback, count)
	hosts := make([]*Host, count)
	for i := range hosts {
		// A host's nodes share one store, as Session makes them.
		v6[i].store = v4[i].store
		h, err := NewHost(v6[i], v4[i]) // either order: the IPv4 node comes first
		require.NoError(t, err)
		hosts[i] = h
	}
	join(t, v4)
	join(t, v6)
	return hosts
}

// TestIPv6Swarm: a swarm of IPv6 nodes works as an IPv4 one does (BEP 32):
// tables of IPv6 nodes only, found through "nodes6", items put and got.
func TestIPv6Swarm(t *testing.T) {
	nodes := startNodesOn(t, net.IPv6loopback, 24)
	join(t, nodes)
	ctx := context.Background()
	for i, n := range nodes {
		assert.True(t, n.IPv6())
		_, good := n.NodeCount()
		assert.GreaterOrEqual(t, good, bucketSize, "node %d", i)
		for _, c := range n.GoodContacts() {
			assert.True(t, c.Addr.Addr().Is6(), "an IPv4 node in an IPv6 table: %v", c.Addr)
		}
	}
	for i := range 8 {
		w, r := nodes[i], nodes[(i*5+3)%len(nodes)]
		v := krpc.AppendString(nil, randomBytes(40))
		res, _, err := w.PutItem(ctx, Item{V: v})
		require.NoError(t, err)
		require.GreaterOrEqual(t, res.Stored, lookupK/2+1)
		var found *Item
		_, err = r.Get(ctx, ID(sha1.Sum(v)), 0, false, func(a Answer) bool { found = a.Item; return found != nil })
		require.NoError(t, err)
		require.NotNil(t, found)
		assert.Equal(t, v, found.V)
	}
}

// TestWant: a node answers "want" with the families asked for, from its
// own table and its sibling's; without "want", the asker's family; a
// single-stack node leaves out the family it has no table for.
func TestWant(t *testing.T) {
	hosts := dualHosts(t, 12)
	asker4 := startNodesOn(t, net.IPv4(127, 0, 0, 1), 1)[0]
	asker6 := startNodesOn(t, net.IPv6loopback, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := ID(sha1.Sum([]byte("want")))
	ask := func(from *Node, to *Node, want krpc.Want) *krpc.Return {
		t.Helper()
		res := from.queryAll(ctx, []outQuery{{to.Addr(), krpc.MethodFindNode,
			&krpc.Args{ID: from.ID(), Target: target, HasTarget: true, Want: want}}}, true)[0]
		require.NoError(t, res.err)
		require.NotNil(t, res.r)
		return res.r
	}
	h := hosts[3]
	v4, v6 := h.Nodes()[0], h.Nodes()[1]
	require.False(t, v4.IPv6())
	require.True(t, v6.IPv6())

	r := ask(asker4, v4, 0)
	assert.Len(t, r.Nodes, bucketSize*krpc.NodeInfo4Size, "no want: the asker's family")
	assert.Empty(t, r.Nodes6)
	r = ask(asker4, v4, krpc.WantN6)
	assert.Empty(t, r.Nodes)
	assert.Len(t, r.Nodes6, bucketSize*krpc.NodeInfo6Size, "n6 asked of an IPv4 socket: the sibling's table")
	krpc.EachNode(r.Nodes6, krpc.NodeInfo6Size, func(ni krpc.NodeInfo) { assert.True(t, ni.Addr.Addr().Is6()) })
	r = ask(asker6, v6, krpc.WantN4|krpc.WantN6)
	assert.Len(t, r.Nodes, bucketSize*krpc.NodeInfo4Size)
	assert.Len(t, r.Nodes6, bucketSize*krpc.NodeInfo6Size)
	r = ask(asker6, v6, 0)
	assert.Empty(t, r.Nodes)
	assert.Len(t, r.Nodes6, bucketSize*krpc.NodeInfo6Size)

	// A single-stack node asked for both answers with its own family only.
	join(t, []*Node{v4, asker4})
	r = ask(v4, asker4, krpc.WantN4|krpc.WantN6)
	assert.NotEmpty(t, r.Nodes)
	assert.Nil(t, r.Nodes6)
}

// TestDualStack: a dual-stack host seeded through IPv4 alone finds the
// IPv6 DHT through its IPv4 lookups' "want" n6; its puts reach both
// families, so a node that speaks only IPv6 reads what it put, and it
// reads what an IPv6-only node put.
func TestDualStack(t *testing.T) {
	hosts := dualHosts(t, 16)
	v4 := startNodesOn(t, net.IPv4(127, 0, 0, 1), 1)[0]
	v6 := startNodesOn(t, net.IPv6loopback, 1)[0]
	v6.store = v4.store
	h, err := NewHost(v4, v6)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h.SetSeeds([]Contact{{Addr: hosts[0].Nodes()[0].Addr()}}) // IPv4 only
	assert.Empty(t, v6.getSeeds(), "an IPv4 seed is not the IPv6 node's")
	require.True(t, h.Bootstrap(ctx))
	_, good6 := v6.NodeCount()
	assert.GreaterOrEqual(t, good6, bucketSize, "the IPv6 node joined through what the IPv4 node heard")
	_, good4 := v4.NodeCount()
	assert.GreaterOrEqual(t, good4, bucketSize)

	only6 := hosts[9].Nodes()[1] // an IPv6 node, asked alone
	val := krpc.AppendString(nil, randomBytes(64))
	res, answers, err := h.PutItem(ctx, Item{V: val})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Stored, lookupK+1, "stored on both DHTs (%v)", res.LastErr)
	fam := map[bool]int{}
	for _, a := range answers {
		fam[a.Node.Addr.Addr().Is6()]++
	}
	assert.Positive(t, fam[true], "IPv6 nodes answered the put's lookup")
	assert.Positive(t, fam[false], "IPv4 nodes answered the put's lookup")
	var found *Item
	_, err = only6.Get(ctx, ID(sha1.Sum(val)), 0, false, func(a Answer) bool { found = a.Item; return found != nil })
	require.NoError(t, err)
	require.NotNil(t, found, "an IPv6-only reader finds the dual-stack host's put")

	val2 := krpc.AppendString(nil, randomBytes(64))
	_, _, err = only6.PutItem(ctx, Item{V: val2})
	require.NoError(t, err)
	found = nil
	_, err = h.Get(ctx, ID(sha1.Sum(val2)), 0, false, func(a Answer) bool { found = a.Item; return found != nil })
	require.NoError(t, err)
	require.NotNil(t, found, "the dual-stack host reads an IPv6-only node's put")

	// A host's nodes are one of each family.
	_, err = NewHost(v4, hosts[1].Nodes()[0])
	assert.Error(t, err)
	assert.Error(t, h.Ping(ctx, netip.MustParseAddrPort("[::1]:1")), "nobody on port 1")
	assert.NoError(t, h.Ping(ctx, only6.Addr()))
}
