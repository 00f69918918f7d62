package scout_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
)

// TestManyWriters: 32 writers, each on its own node, add their own entry to
// one slot at the same moment, 20 rounds: every Synchronize succeeds (no
// "still conflicting" give-up), and every entry is in the list a reader
// finds afterwards. The figures (attempts per writer, time per round) are
// the README's.
func TestManyWriters(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	const writers, rounds = 32, 20
	ctx := context.Background()
	var (
		retries   []int
		durations []time.Duration
		rounded   []time.Duration
		failures  int
	)
	for round := range rounds {
		shared := randomShared(t)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			start = make(chan struct{})
		)
		errs := make([]error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := scout.NewEntries()
				local.Assign(uint32(w), fmt.Appendf(nil, "writer %d", w))
				<-start
				t0 := time.Now()
				res, err := nodes[(round*writers+w*3)%len(nodes)].Synchronize(ctx, shared, local, scout.SyncHandler{})
				mu.Lock()
				defer mu.Unlock()
				errs[w] = err
				if err == nil {
					retries = append(retries, res.Retries)
					durations = append(durations, time.Since(t0))
				}
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		rounded = append(rounded, time.Since(t0))
		for w, err := range errs {
			if !assert.NoError(t, err, "round %d writer %d", round, w) {
				failures++
			}
		}
		res, err := nodes[(round+40)%len(nodes)].Read(ctx, shared)
		require.NoError(t, err)
		for w := range writers {
			e, ok := res.Entries.Get(uint32(w))
			if assert.True(t, ok, "round %d: writer %d's entry lost", round, w) {
				assert.Equal(t, fmt.Appendf(nil, "writer %d", w), e.Value)
			}
		}
	}
	slices.Sort(retries)
	slices.Sort(durations)
	slices.Sort(rounded)
	q := func(l []time.Duration, f float64) time.Duration { return l[min(len(l)-1, int(f*float64(len(l))))] }
	t.Logf("%d writers x %d rounds: %d of %d synchronizes succeeded, %d failed; retries median %d, p99 %d, max %d; "+
		"a writer's synchronize median %v, p99 %v; a round (all %d done) median %v, max %v",
		writers, rounds, len(retries), writers*rounds, failures,
		retries[len(retries)/2], retries[min(len(retries)-1, len(retries)*99/100)], retries[len(retries)-1],
		q(durations, 0.5).Round(time.Millisecond), q(durations, 0.99).Round(time.Millisecond),
		writers, q(rounded, 0.5).Round(time.Millisecond), rounded[len(rounded)-1].Round(time.Millisecond))
}
