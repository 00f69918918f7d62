package dht

import (
	"context"
	"crypto/sha1"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

func TestPutGetImmutable(t *testing.T) {
	nodes := joinedNodes(t, 32)
	ctx := context.Background()
	for i := range 20 {
		w, r := nodes[i%len(nodes)], nodes[(i*7+3)%len(nodes)]
		v := krpc.AppendString(nil, randomBytes(40))
		target := ID(sha1.Sum(v))
		answers, err := w.Get(ctx, target, 0, false, nil)
		require.NoError(t, err)
		require.Len(t, answers, lookupK)
		res := w.Put(ctx, answers, Item{V: v}, nil)
		require.GreaterOrEqual(t, res.Stored, lookupK/2+1, "a majority stored it before Put returned (%v)", res.LastErr)
		var found *Item
		_, err = r.Get(ctx, target, 0, false, func(a Answer) bool { found = a.Item; return found != nil })
		require.NoError(t, err)
		require.NotNil(t, found)
		assert.Equal(t, v, found.V)
	}
}

// TestHardTimeouts: a query to a node that never answers ends with
// ErrTimeout at its hard timeout (one timer per node serves them all), and
// the address is struck; queries to live nodes meanwhile are unaffected.
func TestHardTimeouts(t *testing.T) {
	nodes := startNodes(t, 2)
	a, b := nodes[0], nodes[1]
	hole, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer hole.Close()
	dead := NormAddr(hole.LocalAddr().(*net.UDPAddr).AddrPort())
	ctx := context.Background()
	for range 5 {
		require.NoError(t, a.Ping(ctx, b.Addr()), "round trips measured: the hard timeout drops to its floor")
	}
	start := time.Now()
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- a.Ping(ctx, dead) }()
	}
	require.NoError(t, a.Ping(ctx, b.Addr()))
	for range 3 {
		assert.ErrorIs(t, <-errs, ErrTimeout)
	}
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, minHardTimeout)
	assert.Less(t, took, maxHardTimeout)
	assert.True(t, a.table.isDead(dead), "three timeouts in a row: skipped")
	assert.Equal(t, uint64(3), a.Stats().Timeouts)
	a.mu.Lock()
	assert.Empty(t, a.deadlines)
	assert.Empty(t, a.txns)
	a.mu.Unlock()
}
