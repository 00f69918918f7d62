package scout_test

// Correctness on an emulated internet (scout/swarm's WAN model): round
// trips of 40 ms median and up to 8 times that, jitter, 5 % of datagrams
// lost each way, and then a quarter of the nodes dying without a word.
// Every put is readable from other nodes, no get says NotFound while a
// live node holds the item, and no synchronized entry is lost.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

func TestCorrectOnTheWAN(t *testing.T) {
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	const nodes = 48
	ctx := context.Background()
	start := time.Now()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: nodes, WAN: &swarm.WAN{RTT: 40 * time.Millisecond, Jitter: 0.2, Loss: 0.05, Seed: 7}})
	require.NoError(t, err)
	defer sw.Close()
	ss := sw.Sessions()
	t.Logf("%d nodes joined in %v", nodes, time.Since(start).Round(time.Millisecond))

	// liveNode returns the first node from i on that is alive.
	liveNode := func(i int) int {
		for sw.Dead(i % nodes) {
			i++
		}
		return i % nodes
	}
	var hashes []scout.Hash
	var mu sync.Mutex
	putAndRead := func(round, count int) {
		var wg sync.WaitGroup
		for i := range count {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := liveNode(i*5 + round)
				msg := fmt.Appendf(nil, "round %d message %d", round, i)
				put, err := ss[w].Put(ctx, scout.Hash{byte(round), byte(i)}, msg)
				if !assert.NoError(t, err, "put") {
					return
				}
				mu.Lock()
				hashes = append(hashes, put.Hash)
				mu.Unlock()
				for _, r := range []int{w + 11, w + 23, w + 37} {
					got, err := ss[liveNode(r)].Get(ctx, put.Hash)
					if assert.NoError(t, err, "get of a message just put") {
						assert.Equal(t, msg, got.Contents)
					}
				}
			}()
		}
		wg.Wait()
	}
	// Several writers add their own entry to one list at once; then every
	// entry is there.
	syncWriters := func(round, writers int) {
		shared := randomShared(t)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := scout.NewEntries()
				_, err := l.Assign(uint32(i+1), fmt.Appendf(nil, "writer %d", i))
				require.NoError(t, err)
				_, err = ss[liveNode(i*7+round)].Synchronize(ctx, shared, l, scout.SyncHandler{})
				assert.NoError(t, err, "synchronize of writer %d", i)
			}()
		}
		wg.Wait()
		read, err := ss[liveNode(round+41)].Read(ctx, shared)
		require.NoError(t, err)
		assert.Equal(t, writers, read.Entries.Len(), "every writer's entry is in the list")
	}

	putAndRead(0, 16)
	syncWriters(0, 6)

	victims, err := sw.Kill(0.25)
	require.NoError(t, err)
	t.Logf("killed %d nodes", len(victims))

	// Every message put before is read from live nodes, as long as one of
	// them holds it.
	var wg sync.WaitGroup
	for i, h := range hashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ss[liveNode(i*3+1)].Get(ctx, h)
			if errors.Is(err, scout.ErrNotFound) {
				for j, s := range ss {
					if !sw.Dead(j) && s.Holds(h) {
						t.Errorf("NotFound for %v, which live node %d holds", h, j)
						return
					}
				}
				return
			}
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	putAndRead(1, 16)
	syncWriters(1, 6)
	ws := sw.WANStats()
	t.Logf("datagrams between nodes: %d sent, %d lost, %d to or from the dead; whole test %v",
		ws.Sent, ws.Lost, ws.Blocked, time.Since(start).Round(time.Millisecond))
}
