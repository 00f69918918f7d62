// Command sidebyside runs a loopback swarm of Scout nodes and one of
// libtorrent nodes of the same size, in one run, and prints per operation
// the median and p99 latency of each and their ratio. It is a benchmark
// that prints figures, not a test:
//
//	go run ./tests/interop/sidebyside --nodes 64 --rounds 1000
//
// libtorrent runs in lt_node.py (Debian's python3-libtorrent under
// /usr/bin/python3); its figures are measured inside that process, from the
// libtorrent call to the alert that completes it, so the JSON pipe is not
// counted. Scout's are measured around the Go call. Each operation runs
// from one node to another chosen in turn; nothing else runs meanwhile.
//
// The operations: put and get of an immutable item (an offline message),
// put of a mutable item (Scout: Synchronize, which reads, merges, seals,
// signs and writes; libtorrent: dht_put_mutable_item, which looks up the
// seq, signs and writes), an authoritative mutable get (Scout: Read, every
// copy merged; libtorrent: the final dht_get_mutable_item alert), and a
// whole synchronize (libtorrent: a get of the sealed list, then a put).
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
	"github.com/scout-dht/scout/tests/interop/ltdriver"
)

type figures map[string][]time.Duration

func (f figures) add(op string, d time.Duration) { f[op] = append(f[op], d) }

func quantile(l []time.Duration, q float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

var ops = []string{"immutable put", "immutable get", "mutable put", "mutable get", "synchronize"}

func main() {
	nodes := flag.Int("nodes", 64, "nodes in each swarm")
	rounds := flag.Int("rounds", 1000, "operations of each kind (p99 is the 10th slowest of 1,000)")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	start := time.Now()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: *nodes})
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()
	scoutBoot := time.Since(start)
	start = time.Now()
	lt, err := ltdriver.Start(*nodes, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer lt.Close()
	ltBoot := time.Since(start)

	// The two alternate round by round, so that whatever else the machine
	// does in the meantime weighs on both alike.
	sf, lf := figures{}, figures{}
	sfails, lfails := 0, 0
	for i := range *rounds {
		sfails += scoutRound(ctx, sw.Sessions(), i, sf)
		lfails += libtorrentRound(lt, *nodes, i, lf)
	}

	fmt.Printf("%d-node loopback swarms, %d operations of each kind, one at a time (%s)\n", *nodes, *rounds, time.Now().Format("2006-01-02"))
	fmt.Printf("swarm start: Scout %.0f ms (in process), libtorrent %.0f ms (with the Python process)\n",
		float64(scoutBoot)/1e6, float64(ltBoot)/1e6)
	fmt.Printf("failures: Scout %d, libtorrent %d\n\n", sfails, lfails)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "operation\tScout median\tScout p99\tlibtorrent median\tlibtorrent p99\tmedian ratio\tp99 ratio\t")
	ratio := func(a, b time.Duration) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(a)/float64(b))
	}
	for _, op := range ops {
		sm, lm := quantile(sf[op], 0.5), quantile(lf[op], 0.5)
		s99, l99 := quantile(sf[op], 0.99), quantile(lf[op], 0.99)
		fmt.Fprintf(w, "%s\t%.3f ms\t%.3f ms\t%.3f ms\t%.3f ms\t%s\t%s\t\n", op,
			float64(sm)/1e6, float64(s99)/1e6, float64(lm)/1e6, float64(l99)/1e6, ratio(sm, lm), ratio(s99, l99))
	}
	w.Flush()
	fmt.Println("\nratio = Scout / libtorrent (below 1: Scout is faster)")
}

func timed(f figures, op string, fn func() error) error {
	t := time.Now()
	err := fn()
	if err == nil {
		f.add(op, time.Since(t))
	}
	return err
}

// scoutRound runs round i of every operation on the Scout swarm, from one
// node to another chosen in turn, and returns how many failed.
func scoutRound(ctx context.Context, ss []*scout.Session, i int, f figures) (fails int) {
	n := len(ss)
	writer, reader := ss[i%n], ss[(i*7+3)%n]
	var put scout.PutResult
	if err := timed(f, "immutable put", func() (err error) {
		put, err = writer.Put(ctx, scout.Hash{byte(i), byte(i >> 8)}, fmt.Appendf(nil, "side by side %d", i))
		return err
	}); err != nil {
		return 1
	}
	if timed(f, "immutable get", func() error { _, err := reader.Get(ctx, put.Hash); return err }) != nil {
		fails++
	}
	var shared scout.SharedSecret
	shared[0], shared[1], shared[2] = byte(i), byte(i>>8), 0x5c
	l := scout.NewEntries()
	l.Assign(1, []byte("10.0.0.1:4000"))
	if timed(f, "mutable put", func() error {
		_, err := writer.Synchronize(ctx, shared, l, scout.SyncHandler{})
		return err
	}) != nil {
		return fails + 1
	}
	if timed(f, "mutable get", func() error {
		r, err := reader.Read(ctx, shared)
		if err == nil && r.Entries.Len() != 1 {
			err = fmt.Errorf("read %d entries", r.Entries.Len())
		}
		return err
	}) != nil {
		fails++
	}
	if timed(f, "synchronize", func() error {
		_, err := reader.Synchronize(ctx, shared, nil, scout.SyncHandler{})
		return err
	}) != nil {
		fails++
	}
	return fails
}

func ms(r map[string]any) time.Duration {
	v, _ := r["ms"].(float64)
	return time.Duration(v * 1e6)
}

// libtorrentRound runs round i of every operation on the libtorrent swarm
// and returns how many failed.
func libtorrentRound(lt *ltdriver.Swarm, n, i int, f figures) (fails int) {
	call := func(op string, req map[string]any) (map[string]any, bool) {
		r, err := lt.Call(req)
		if err != nil {
			log.Printf("libtorrent: %v", err)
			fails++
			return nil, false
		}
		if op != "" {
			f.add(op, ms(r))
		}
		return r, true
	}
	writer, reader := i%n, (i*7+3)%n
	blob, _ := scout.EncodeMessage(scout.Hash{byte(i), byte(i >> 8)}, fmt.Appendf(nil, "side by side %d", i))
	put, ok := call("immutable put", map[string]any{"op": "put_immutable", "node": writer, "value_hex": hex.EncodeToString(blob)})
	if !ok {
		return fails
	}
	if r, ok := call("immutable get", map[string]any{"op": "get_immutable", "node": reader, "target": put["target"]}); ok && r["found"] != true {
		fails++
	}
	var shared scout.SharedSecret
	shared[0], shared[1], shared[2] = byte(i), byte(i>>8), 0x1c
	entries := []map[string]any{{"id": 1, "seq": 1, "value_hex": hex.EncodeToString([]byte("10.0.0.1:4000"))}}
	if _, ok := call("mutable put", map[string]any{"op": "put_scout_entries", "node": writer, "shared_hex": hex.EncodeToString(shared[:]), "entries": entries}); !ok {
		return fails
	}
	if r, ok := call("mutable get", map[string]any{"op": "get_scout_entries", "node": reader, "shared_hex": hex.EncodeToString(shared[:])}); ok && r["found"] != true {
		fails++
	}
	// A synchronize: read the list, then write it back.
	r1, ok1 := call("", map[string]any{"op": "get_scout_entries", "node": reader, "shared_hex": hex.EncodeToString(shared[:])})
	r2, ok2 := call("", map[string]any{"op": "put_scout_entries", "node": reader, "shared_hex": hex.EncodeToString(shared[:]), "entries": entries})
	if ok1 && ok2 {
		f.add("synchronize", ms(r1)+ms(r2))
	}
	return fails
}
