package swarm_test

// Swarm start times for the README:
//
//	go test -run '^$' -bench Start -benchtime 1x ./scout/swarm/
//
// It prints how long a swarm of each size takes to be ready, and what that
// costs the process (heap, goroutines). Benchmarks print figures; no test
// asserts a time.

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/scout-dht/scout/scout/swarm"
)

func BenchmarkStart(b *testing.B) {
	for range b.N {
		for _, n := range []int{64, 256, 1024} {
			start := time.Now()
			sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: n})
			if err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			var mem runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&mem)
			good := 0
			for _, s := range sw.Sessions() {
				_, g := s.NodeCount()
				good += g
			}
			fmt.Printf("%5d nodes ready in %8.1f ms; %4.0f KiB of heap per node; %d good nodes per table on average\n",
				n, float64(took)/1e6, float64(mem.HeapInuse)/1024/float64(n), good/n)
			sw.Close()
		}
	}
}
