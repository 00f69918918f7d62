package dht

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startNodes starts count nodes on 127.0.0.1, closed when the test ends.
func startNodes(t testing.TB, count int) []*Node {
	t.Helper()
	nodes := make([]*Node, count)
	for i := range nodes {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		var id ID
		copy(id[:], randomBytes(20))
		nodes[i] = New(Config{Conn: conn, ID: id})
		t.Cleanup(nodes[i].Close)
	}
	return nodes
}

// joinedNodes starts count nodes and joins them as the swarm does: each
// through the first, then each refreshes once more.
func joinedNodes(t testing.TB, count int) []*Node {
	t.Helper()
	nodes := startNodes(t, count)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seed := []Contact{{Addr: nodes[0].Addr()}}
	parallel(nodes[1:], func(n *Node) { n.SetSeeds(seed); n.Bootstrap(ctx) })
	parallel(nodes, func(n *Node) { n.Bootstrap(ctx) })
	require.NoError(t, ctx.Err())
	return nodes
}

// parallel runs f on every node, 64 at a time.
func parallel(nodes []*Node, f func(*Node)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, n := range nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func() { defer wg.Done(); defer func() { <-sem }(); f(n) }()
	}
	wg.Wait()
}
