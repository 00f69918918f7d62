package scout_test

// Figures for the README: latency of each operation on a 64-node loopback
// swarm of real nodes, and the swarm's bootstrap time. Run with
//
//	go test -run '^$' -bench Swarm -benchtime 1x ./scout/
//
// It prints the median and p99 of each operation. Benchmarks print figures;
// no test asserts a time.

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func timeIt(l *latencies, f func() error) error {
	start := time.Now()
	err := f()
	*l = append(*l, time.Since(start))
	return err
}

// opFigures are the latencies of one run of every operation.
type opFigures struct {
	put, get, getMissing, syncWrite, syncRead latencies
	fails                                     int
}

// measure runs ops rounds of put→get, get of a missing hash, and
// synchronize→synchronize, writer and reader on different nodes.
func measure(ctx context.Context, ss []*scout.Session, ops, salt int) opFigures {
	var f opFigures
	n := len(ss)
	for i := range ops {
		writer, reader := ss[i%n], ss[(i*7+3)%n]
		var res scout.PutResult
		if err := timeIt(&f.put, func() (err error) {
			res, err = writer.Put(ctx, scout.Hash{byte(i), byte(salt)}, fmt.Appendf(nil, "bench %d", i))
			return err
		}); err != nil {
			f.fails++
			continue
		}
		if err := timeIt(&f.get, func() error { _, err := reader.Get(ctx, res.Hash); return err }); err != nil {
			f.fails++
		}
		missing := scout.Hash{byte(i), byte(i >> 8), 0xee, byte(salt)}
		timeIt(&f.getMissing, func() error { _, err := reader.Get(ctx, missing); return err })

		var shared scout.SharedSecret
		shared[0], shared[1], shared[2], shared[3] = byte(i), byte(i>>8), 0xbe, byte(salt)
		local := scout.NewEntries()
		local.Assign(1, []byte("10.0.0.1:4000"))
		if err := timeIt(&f.syncWrite, func() error {
			_, err := writer.Synchronize(ctx, shared, local, scout.SyncHandler{})
			return err
		}); err != nil {
			f.fails++
			continue
		}
		if err := timeIt(&f.syncRead, func() error {
			r, err := reader.Synchronize(ctx, shared, nil, scout.SyncHandler{})
			if err == nil && r.Entries.Len() != 1 {
				err = fmt.Errorf("read %d entries", r.Entries.Len())
			}
			return err
		}); err != nil {
			f.fails++
		}
	}
	return f
}

func (f opFigures) print(title string, ops int) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s: %d rounds, %d failed\n", title, ops, f.fails)
	fmt.Fprintf(w, "operation\tmedian\tp99\n")
	for _, row := range []struct {
		name string
		l    latencies
	}{
		{"put (immutable)", f.put},
		{"get (immutable)", f.get},
		{"get (missing, NotFound)", f.getMissing},
		{"synchronize (write)", f.syncWrite},
		{"synchronize (read back)", f.syncRead},
	} {
		fmt.Fprintf(w, "%s\t%s\t%s\n", row.name, ms(row.l.quantile(0.5)), ms(row.l.quantile(0.99)))
	}
	w.Flush()
}

func BenchmarkSwarm(b *testing.B) {
	const nodes, ops, dead = 64, 300, 16
	ctx := context.Background()
	for range b.N {
		start := time.Now()
		sw, err := swarm.Start(ctx, swarm.Options{Nodes: nodes})
		if err != nil {
			b.Fatal(err)
		}
		bootstrap := time.Since(start)
		ss := sw.Sessions()
		fmt.Printf("\nbootstrap of a %d-node loopback swarm: %s\n", nodes, ms(bootstrap))
		live := measure(ctx, ss, ops, 0)
		live.print(fmt.Sprintf("Scout, %d-node loopback swarm", nodes), ops)
		var mem runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&mem)
		fmt.Printf("heap in use after those rounds (%d items stored across the swarm): %.1f MiB, %.0f KiB per node; %d goroutines\n",
			storedItems(ss), float64(mem.HeapInuse)/(1<<20), float64(mem.HeapInuse)/1024/nodes, runtime.NumGoroutine())

		// A quarter of the nodes vanish without a word: lookups must move
		// past them at their soft timeouts, not stall.
		for _, s := range ss[nodes-dead:] {
			s.Stop()
		}
		crashed := measure(ctx, ss[:nodes-dead], ops, 1)
		crashed.print(fmt.Sprintf("after %d of the %d nodes died", dead, nodes), ops)
		sw.Close()

		b.ReportMetric(float64(live.put.quantile(0.5))/1e6, "put-p50-ms")
		b.ReportMetric(float64(live.get.quantile(0.5))/1e6, "get-p50-ms")
		b.ReportMetric(float64(live.syncWrite.quantile(0.5))/1e6, "sync-p50-ms")
		b.ReportMetric(float64(bootstrap)/1e6, "bootstrap-ms")
		b.ReportMetric(float64(live.fails+crashed.fails), "failures")
	}
}

func storedItems(ss []*scout.Session) (n int) {
	for _, s := range ss {
		n += s.StoredItems()
	}
	return n
}
