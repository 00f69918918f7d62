package dht

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

func TestLatencyBreakdown(t *testing.T) {
	nodes := joinedNodes(t, 64)
	ctx := context.Background()
	var look, put []time.Duration
	var rounds []int
	for i := range 300 {
		w := nodes[i%64]
		_, priv, _ := ed25519.GenerateKey(nil)
		it := Item{V: krpc.AppendString(nil, randomBytes(100)), Mutable: true, Seq: 1}
		copy(it.K[:], priv[32:])
		copy(it.Sig[:], ed25519.Sign(priv, signBuffer(nil, 1, it.V)))
		target := it.Target()
		t0 := time.Now()
		ans, _ := w.Get(ctx, target, 0, false, nil)
		t1 := time.Now()
		res := w.Put(ctx, ans, it, func(Answer) (int64, bool) { return 0, true })
		t2 := time.Now()
		if res.Stored != 8 {
			t.Fatal(res)
		}
		look = append(look, t1.Sub(t0))
		put = append(put, t2.Sub(t1))
		_ = rounds
	}
	for _, x := range []struct {
		n string
		l []time.Duration
	}{{"lookup", look}, {"put round", put}} {
		slices.Sort(x.l)
		fmt.Printf("%-10s p50 %v p90 %v p99 %v max %v\n", x.n, x.l[len(x.l)/2], x.l[len(x.l)*9/10], x.l[len(x.l)*99/100], x.l[len(x.l)-1])
	}
}
