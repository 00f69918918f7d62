package dht

import (
	"net"
	"sync"
	"testing"
)

// startNodes starts count nodes on 127.0.0.1, closed when the test ends.
func startNodes(t testing.TB, count int) []*Node {
	t.Helper()
	return startNodesOn(t, net.IPv4(127, 0, 0, 1), count)
}

// joinedNodes starts count nodes and joins them as the swarm does: each
// through the first, then each refreshes once more.
func joinedNodes(t testing.TB, count int) []*Node {
	t.Helper()
	nodes := startNodes(t, count)
	join(t, nodes)
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
