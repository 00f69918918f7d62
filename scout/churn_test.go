package scout_test

// No NotFound for stored data: after a quarter, then half, of a swarm's
// nodes stop without a word, a get never says NotFound while a live node
// holds the message, from whichever client asks and however often.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

func TestNoNotFoundUnderChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	const nodes, messages, gets = 64, 60, 10000
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: nodes})
	require.NoError(t, err)
	defer sw.Close()
	ss := sw.Sessions()
	ctx := context.Background()
	hashes := make([]scout.Hash, messages)
	for i := range hashes {
		put, err := ss[i%nodes].Put(ctx, scout.Hash{byte(i), 0xc4}, fmt.Appendf(nil, "before the churn %d", i))
		require.NoError(t, err)
		hashes[i] = put.Hash
	}
	// Every message lands on the 8 nodes closest to it: wait for the puts
	// Put did not wait for (it returns once a majority stored it).
	require.Eventually(t, func() bool {
		for _, h := range hashes {
			held := 0
			for _, s := range ss {
				if s.Holds(h) {
					held++
				}
			}
			if held < 8 {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "every message stored on its 8 closest")

	// The clients are the first eight nodes. While they get the messages,
	// 10,000 gets at 16 at a time, the others stop without a word, one
	// every 40 gets done, until a quarter of the swarm is gone; then the
	// same again to half of it.
	var (
		mu      sync.Mutex
		live    = append([]*scout.Session(nil), ss...)
		stopped []*scout.Session
	)
	holdsLive := func(h scout.Hash) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range live {
			if s.Holds(h) {
				return true
			}
		}
		return false
	}
	for _, fraction := range []float64{0.25, 0.5} {
		target := int(fraction * nodes)
		var notFound, readable, lost, other atomic.Int64
		var done atomic.Int64
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		start := time.Now()
		for i := range gets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				h := hashes[i%len(hashes)]
				_, err := ss[(i*7)%8].Get(ctx, h)
				switch {
				case errors.Is(err, scout.ErrNotFound):
					if holdsLive(h) {
						notFound.Add(1)
					} else {
						lost.Add(1) // every holder stopped: nobody can read it
					}
				case err != nil:
					other.Add(1)
				default:
					readable.Add(1)
				}
				if done.Add(1)%40 == 0 {
					mu.Lock()
					if len(stopped) < target {
						s := live[len(live)-1]
						live = live[:len(live)-1]
						stopped = append(stopped, s)
						mu.Unlock()
						assert.NoError(t, s.Stop())
						return
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		t.Logf("as nodes stopped, up to %d of %d: %d gets in %v: %d read, %d NotFound with a live holder, %d NotFound with none left, %d other errors",
			target, nodes, gets, time.Since(start).Round(time.Millisecond),
			readable.Load(), notFound.Load(), lost.Load(), other.Load())
		assert.Zero(t, notFound.Load(), "NotFound while a live node holds the message")
		assert.Zero(t, other.Load())
		require.Len(t, stopped, target)
	}
}
