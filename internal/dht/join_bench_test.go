package dht

// The cost of joining, for the README:
//
//	go test -run '^$' -bench Join -benchtime 1x ./internal/dht/
//
// Nodes join as scout/swarm joins them (through one node, then each
// refreshes once); it prints the time and the queries each node sent,
// which grow with log N, not N.

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkJoin(b *testing.B) {
	for range b.N {
		for _, count := range []int{64, 256, 1024} {
			start := time.Now()
			nodes := joinedNodes(b, count)
			took := time.Since(start)
			var sent uint64
			for _, n := range nodes {
				for _, q := range n.Stats().QueriesOut {
					sent += q
				}
				n.Close()
			}
			fmt.Printf("%5d nodes joined in %7.1f ms: %5.1f queries sent per node\n",
				count, float64(took)/1e6, float64(sent)/float64(count))
		}
	}
}
