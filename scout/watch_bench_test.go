package scout_test

// What a watch costs, for the README: the datagrams and bytes of one of its
// looks when nothing changed (the nodes see the watcher's seq and answer
// without the value) and of one that finds a new version, on loopback
// swarms of growing size. Run with
//
//	go test -run '^$' -bench WatchCost -benchtime 1x ./scout/

import (
	"context"
	"fmt"
	"os"
	"testing"
	"text/tabwriter"

	"github.com/scout-dht/scout/internal/dht"
	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

func BenchmarkWatchCost(b *testing.B) {
	const polls = 100
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\nswarm\tlook\tnodes answering\tqueries\tdatagrams in\tbytes out\tbytes in\tdatagrams an hour at one look a minute\n")
	for _, nodes := range []int{64, 512, 2048} {
		ctx := context.Background()
		sw, err := swarm.Start(ctx, swarm.Options{Nodes: nodes})
		if err != nil {
			b.Fatal(err)
		}
		opts := scout.Options{ReadOnly: true, ListenAddr: "127.0.0.1:0", Bootstrap: []string{sw.Bootstrap()}}
		alice, _ := scout.NewSession(opts)
		bob, _ := scout.NewSession(opts)
		if err := alice.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if err := bob.Start(ctx); err != nil {
			b.Fatal(err)
		}
		var ids, seqs []int
		for i := range polls {
			shared := scout.SharedSecret{byte(i), byte(nodes >> 8), byte(nodes), 0x77}
			local := scout.NewEntries()
			for id := range uint32(4) {
				local.Assign(id, fmt.Appendf(nil, "device %d 10.0.0.%d:4000", id, id))
			}
			res, err := alice.Synchronize(ctx, shared, local, scout.SyncHandler{})
			if err != nil {
				b.Fatal(err)
			}
			ids, seqs = append(ids, i), append(seqs, int(res.Seq))
		}
		row := func(name string, seqOf func(int) int64) {
			before := bob.NodeStats()
			var answered, values int
			for i := range ids {
				shared := scout.SharedSecret{byte(ids[i]), byte(nodes >> 8), byte(nodes), 0x77}
				a, v, err := bob.Poll(ctx, shared, seqOf(i))
				if err != nil {
					b.Fatal(err)
				}
				answered, values = answered+a, values+v
			}
			after := bob.NodeStats()
			per := func(f func(dht.Stats) uint64) float64 { return float64(f(after)-f(before)) / polls }
			q := per(func(s dht.Stats) uint64 { return s.QueriesOut["get"] })
			in := per(func(s dht.Stats) uint64 { return s.DatagramsIn })
			fmt.Fprintf(w, "%d nodes\t%s\t%.1f (%.1f with the value)\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\n", nodes, name,
				float64(answered)/polls, float64(values)/polls, q, in,
				per(func(s dht.Stats) uint64 { return s.BytesOut }), per(func(s dht.Stats) uint64 { return s.BytesIn }),
				60*(q+in))
		}
		row("idle (seq current)", func(i int) int64 { return int64(seqs[i]) })
		row("changed (seq older)", func(i int) int64 { return int64(seqs[i]) - 1 })
		alice.Stop()
		bob.Stop()
		sw.Close()
	}
	w.Flush()
}
