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

func BenchmarkSwarm(b *testing.B) {
	const nodes, ops = 64, 300
	ctx := context.Background()
	for range b.N {
		start := time.Now()
		sw, err := swarm.Start(ctx, swarm.Options{Nodes: nodes})
		if err != nil {
			b.Fatal(err)
		}
		bootstrap := time.Since(start)
		ss := sw.Sessions()

		var put, get, getMissing, syncWrite, syncRead latencies
		fails := 0
		for i := range ops {
			writer, reader := ss[i%nodes], ss[(i*7+3)%nodes]
			var res scout.PutResult
			if err := timeIt(&put, func() (err error) {
				res, err = writer.Put(ctx, scout.Hash{byte(i)}, fmt.Appendf(nil, "bench %d", i))
				return err
			}); err != nil {
				fails++
				continue
			}
			if err := timeIt(&get, func() error { _, err := reader.Get(ctx, res.Hash); return err }); err != nil {
				fails++
			}
			missing := scout.Hash{byte(i), byte(i >> 8), 0xee}
			timeIt(&getMissing, func() error { _, err := reader.Get(ctx, missing); return err })

			var shared scout.SharedSecret
			shared[0], shared[1], shared[2] = byte(i), byte(i>>8), 0xbe
			local := scout.NewEntries()
			local.Assign(1, []byte("10.0.0.1:4000"))
			if err := timeIt(&syncWrite, func() error {
				_, err := writer.Synchronize(ctx, shared, local, scout.SyncHandler{})
				return err
			}); err != nil {
				fails++
				continue
			}
			if err := timeIt(&syncRead, func() error {
				r, err := reader.Synchronize(ctx, shared, nil, scout.SyncHandler{})
				if err == nil && r.Entries.Len() != 1 {
					err = fmt.Errorf("read %d entries", r.Entries.Len())
				}
				return err
			}); err != nil {
				fails++
			}
		}
		sw.Close()

		w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "\nScout, %d-node loopback swarm, %d operations each, %d failed\n", nodes, ops, fails)
		fmt.Fprintf(w, "operation\tmedian\tp99\n")
		fmt.Fprintf(w, "bootstrap (whole swarm)\t%s\t\n", ms(bootstrap))
		for _, row := range []struct {
			name string
			l    latencies
		}{
			{"put (immutable)", put},
			{"get (immutable)", get},
			{"get (missing, NotFound)", getMissing},
			{"synchronize (write)", syncWrite},
			{"synchronize (read back)", syncRead},
		} {
			fmt.Fprintf(w, "%s\t%s\t%s\n", row.name, ms(row.l.quantile(0.5)), ms(row.l.quantile(0.99)))
		}
		w.Flush()
		b.ReportMetric(float64(put.quantile(0.5))/1e6, "put-p50-ms")
		b.ReportMetric(float64(get.quantile(0.5))/1e6, "get-p50-ms")
		b.ReportMetric(float64(syncWrite.quantile(0.5))/1e6, "sync-p50-ms")
		b.ReportMetric(float64(bootstrap)/1e6, "bootstrap-ms")
		b.ReportMetric(float64(fails), "failures")
	}
}
