package dht

// Idle traffic, for the README:
//
//	go test -run '^$' -bench Idle -benchtime 1x ./internal/dht/
//
// A swarm on the WAN model does nothing but look after its tables, with
// the upkeep's intervals 600 times shorter than BEP 5's (so that 15
// minutes pass in 1.5 s); the datagrams it sends in that time, scaled
// back, are what an idle node costs per real second.

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/scout-dht/scout/internal/netsim"
)

func BenchmarkIdleTraffic(b *testing.B) {
	const count, speedup = 256, 600
	for range b.N {
		timing := Timing{Questionable: 15 * time.Minute / speedup, Refresh: 15 * time.Minute / speedup, Upkeep: time.Minute / speedup}
		nw := netsim.New(netsim.Model{RTT: 20 * time.Millisecond, Jitter: 0.1, Seed: 3})
		nodes := make([]*Node, count)
		for i := range nodes {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			var id ID
			copy(id[:], randomBytes(20))
			nodes[i] = New(Config{Conn: nw.Wrap(conn, i), ID: id, Timing: timing})
		}
		ctx := context.Background()
		seed := []Contact{{Addr: nodes[0].Addr()}}
		parallel(nodes[1:], func(n *Node) { n.SetSeeds(seed); n.Bootstrap(ctx) })
		parallel(nodes, func(n *Node) { n.Bootstrap(ctx) })
		// Two simulated hours: the first quarter hour lets the tables age
		// into their steady state, the rest is counted.
		time.Sleep(15 * time.Minute / speedup)
		before := nw.Stats()
		window := 105 * time.Minute / speedup
		time.Sleep(window)
		after := nw.Stats()
		perNode := float64(after.Sent-before.Sent) / float64(count) / (window.Seconds() * speedup)
		fmt.Printf("idle traffic of %d nodes over %v simulated: %.2f datagrams per second per node (sent; as many are received)\n",
			count, window*speedup, perNode)
		for _, n := range nodes {
			n.Close()
		}
	}
}
