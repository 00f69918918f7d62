// Command sim runs Scout on an emulated internet (scout/swarm's WAN model)
// and prints what each operation costs: latency (median, p90, p99), round
// trips (latency ÷ the model's median round trip) and packets (datagrams
// the operating node sent and received during the operation). It is a
// benchmark that prints figures, not a test:
//
//	go run ./tests/sim --nodes 1000,10000
//
// For each swarm size, in one process: the swarm joins the ordinary way
// (through one node, every node looking up its own id and refreshing its
// buckets), then runs the operations with every node alive, right after a
// quarter of the nodes die without a word, and a minute later. A node that
// joins last shows how soon a newcomer can put and get. Then the swarm
// idles and the idle traffic is counted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

var ops = []string{"put", "get", "get missing", "sync write", "read", "second writer"}

type figure struct {
	lat   []time.Duration
	pkts  []uint64
	fails int
}

type figures map[string]*figure

func quantile[T time.Duration | uint64](l []T, q float64) T {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func main() {
	sizes := flag.String("nodes", "1000,10000", "swarm sizes, comma-separated")
	rounds := flag.Int("rounds", 60, "operations of each kind in each phase")
	rtt := flag.Duration("rtt", 80*time.Millisecond, "median round trip")
	loss := flag.Float64("loss", 0.01, "loss each way")
	kill := flag.Float64("kill", 0.25, "fraction of the nodes that die")
	idle := flag.Duration("idle", time.Minute, "how long to count idle traffic (0: not at all)")
	later := flag.Duration("later", time.Minute, "how long after the deaths the last phase runs (0: no last phase)")
	seed := flag.Uint64("seed", 1, "seed of the model")
	flag.Parse()
	log.SetFlags(0)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			log.Fatalf("--nodes: %v", err)
		}
		run(n, *rounds, &swarm.WAN{RTT: *rtt, Jitter: 0.1, Loss: *loss, Seed: *seed}, *kill, *idle, *later)
	}
}

func run(nodes, rounds int, wan *swarm.WAN, kill float64, idle, later time.Duration) {
	ctx := context.Background()
	fmt.Printf("\n%d nodes on the WAN model: median round trip %v (p99 about 3.6 times that, at most %v), %.0f %% loss each way, %.0f %% jitter, seed %d\n",
		nodes, wan.RTT, max(500*time.Millisecond, 8*wan.RTT), 100*wan.Loss, 100*wan.Jitter, wan.Seed)
	start := time.Now()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: nodes, WAN: wan})
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()
	joined := time.Since(start)
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	good := 0
	for _, s := range sw.Sessions() {
		_, g := s.NodeCount()
		good += g
	}
	fmt.Printf("joined in %.1f s; heap %.0f MiB (%.0f KiB per node); %d good nodes per table on average\n",
		joined.Seconds(), float64(mem.HeapInuse)/(1<<20), float64(mem.HeapInuse)/1024/float64(nodes), good/nodes)

	// A newcomer: how many round trips from Start to a put and a get.
	t0 := time.Now()
	fresh, err := sw.Join(ctx, scout.Options{})
	if err == nil {
		var put scout.PutResult
		if put, err = fresh.Put(ctx, scout.Hash{0xfe}, []byte("just joined")); err == nil {
			_, err = fresh.Get(ctx, put.Hash)
		}
	}
	fmt.Printf("a node that joins last can put and get %.1f round trips after it starts (2 × log2(N) = %.0f): %v\n",
		float64(time.Since(t0))/float64(wan.RTT), 2*log2(nodes), errOrOK(err))

	ss := sw.Sessions()[:nodes]
	phase := func(title string, salt int) {
		f := measure(ctx, sw, ss, rounds, salt)
		print(title, f, wan.RTT)
	}
	phase("every node alive", 0)
	victims, _ := sw.Kill(kill)
	phase(fmt.Sprintf("right after %d nodes (%.0f %%) died", len(victims), 100*kill), 1)
	if later > 0 {
		time.Sleep(later) // the swarm lives on with the dead in it
		phase(fmt.Sprintf("%v later", later), 2)
	}
	if idle <= 0 {
		return
	}
	before := sw.WANStats()
	time.Sleep(idle)
	after := sw.WANStats()
	live := nodes - len(victims)
	fmt.Printf("idle traffic: %.2f datagrams per second per live node (over %v)\n",
		float64(after.Sent-before.Sent)/idle.Seconds()/float64(live), idle)
}

func log2(n int) float64 { return math.Log2(float64(n)) }

func errOrOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// measure runs rounds of every operation, one at a time, from live nodes
// chosen in turn.
func measure(ctx context.Context, sw *swarm.Swarm, ss []*scout.Session, rounds, salt int) figures {
	f := figures{}
	for _, op := range ops {
		f[op] = &figure{}
	}
	n := len(ss)
	live := func(k int) int {
		for sw.Dead(k % n) {
			k++
		}
		return k % n
	}
	timed := func(op string, i int, fn func() error) {
		o0, i0 := sw.Datagrams(i)
		t := time.Now()
		err := fn()
		d := time.Since(t)
		o1, i1 := sw.Datagrams(i)
		if err != nil {
			f[op].fails++
			log.Printf("%s: %v", op, err)
			return
		}
		f[op].lat = append(f[op].lat, d)
		f[op].pkts = append(f[op].pkts, o1-o0+i1-i0)
	}
	for k := range rounds {
		w, r := live(k*13+1), live(k*31+7)
		var put scout.PutResult
		timed("put", w, func() (err error) {
			put, err = ss[w].Put(ctx, scout.Hash{byte(k), byte(salt)}, fmt.Appendf(nil, "simulated %d %d", salt, k))
			return err
		})
		timed("get", r, func() error { _, err := ss[r].Get(ctx, put.Hash); return err })
		timed("get missing", r, func() error {
			_, err := ss[r].Get(ctx, scout.Hash{byte(k), byte(salt), 0xee})
			if errors.Is(err, scout.ErrNotFound) {
				return nil
			}
			if err == nil {
				err = errors.New("found what nobody put")
			}
			return err
		})
		var shared scout.SharedSecret
		shared[0], shared[1], shared[2] = byte(k), byte(salt), 0x51
		first := scout.NewEntries()
		first.Assign(1, []byte("10.0.0.1:4000"))
		timed("sync write", w, func() error {
			_, err := ss[w].Synchronize(ctx, shared, first, scout.SyncHandler{})
			return err
		})
		timed("read", r, func() error {
			res, err := ss[r].Read(ctx, shared)
			if err == nil && res.Entries.Len() != 1 {
				err = fmt.Errorf("read %d entries", res.Entries.Len())
			}
			return err
		})
		second := scout.NewEntries()
		second.Assign(2, []byte("10.0.0.2:4000"))
		timed("second writer", r, func() error {
			res, err := ss[r].Synchronize(ctx, shared, second, scout.SyncHandler{})
			if err == nil && res.Entries.Len() != 2 {
				err = fmt.Errorf("wrote %d entries", res.Entries.Len())
			}
			return err
		})
	}
	return f
}

func print(title string, f figures, rtt time.Duration) {
	fmt.Printf("\n%s\n", title)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "operation\tmedian\tp90\tp99\tround trips\tpackets\tfailures\t")
	for _, op := range ops {
		l := f[op].lat
		ms := func(q float64) string { return fmt.Sprintf("%.0f ms", float64(quantile(l, q))/1e6) }
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.1f\t%d\t%d\t\n", op, ms(0.5), ms(0.9), ms(0.99),
			float64(quantile(l, 0.5))/float64(rtt), quantile(f[op].pkts, 0.5), f[op].fails)
	}
	w.Flush()
}
