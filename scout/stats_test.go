package scout_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
)

// TestStatsCountWhatHappens: a session's statistics move with what it
// does: its queries out and their replies, the table, the bytes.
func TestStatsCountWhatHappens(t *testing.T) {
	sw := swarm64(t)
	s := newPeer(t, sw, scout.Options{})
	before := s.Stats()
	assert.Positive(t, before.GoodNodes, "joined")
	put, err := s.Put(context.Background(), scout.Hash{}, []byte("counted"))
	require.NoError(t, err)
	_, err = sw.Sessions()[3].Get(context.Background(), put.Hash)
	require.NoError(t, err)
	after := s.Stats()
	assert.Greater(t, after.QueriesOut["get"], before.QueriesOut["get"])
	assert.Greater(t, after.QueriesOut["put"], before.QueriesOut["put"])
	assert.Greater(t, after.Replies, before.Replies)
	assert.Greater(t, after.BytesOut, before.BytesOut)
	assert.Greater(t, after.DatagramsIn, before.DatagramsIn)
	assert.Equal(t, after.Nodes, after.GoodNodes+after.QuestionableNodes)
	assert.Zero(t, after.Malformed)
	assert.Equal(t, uint64(1), after.Operations.OK-before.Operations.OK, "the put")
	_, err = s.Get(context.Background(), scout.Hash{1})
	require.ErrorIs(t, err, scout.ErrNotFound)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Get(ctx, scout.Hash{2})
	require.ErrorIs(t, err, scout.ErrCancelled)
	ops := s.Stats().Operations
	assert.Equal(t, scout.OperationStats{OK: after.Operations.OK, NotFound: after.Operations.NotFound + 1, Cancelled: 1}, ops)
	assert.Zero(t, after.Nodes6, "an IPv4 session has no IPv6 table")
	var zero scout.Session
	assert.Equal(t, scout.Stats{}, zero.Stats(), "a session not started has none")
}

// TestStatsAdd: Add sums every figure, queries by method included, and
// leaves the receiver's addresses as they are.
func TestStatsAdd(t *testing.T) {
	ext := netip.MustParseAddr("203.0.113.9")
	a := scout.Stats{Nodes: 1, Nodes6: 2, StoredItems: 3, QueriesIn: map[string]uint64{"get": 1}, BytesOut: 10,
		ExternalAddr: ext, IDSecure: true, Operations: scout.OperationStats{OK: 1, Failed: 2}}
	b := scout.Stats{Nodes: 4, GoodNodes6: 5, StoredBytes: 6, QueriesIn: map[string]uint64{"get": 2, "put": 3},
		QueriesOut: map[string]uint64{"ping": 7}, BytesOut: 20, SendDropped: 8,
		ExternalAddr: netip.MustParseAddr("198.51.100.1"), Operations: scout.OperationStats{OK: 2, NotFound: 1}}
	a.Add(b)
	assert.Equal(t, scout.Stats{Nodes: 5, Nodes6: 2, GoodNodes6: 5, StoredItems: 3, StoredBytes: 6,
		QueriesIn: map[string]uint64{"get": 3, "put": 3}, QueriesOut: map[string]uint64{"ping": 7},
		BytesOut: 30, SendDropped: 8, ExternalAddr: ext, IDSecure: true,
		Operations: scout.OperationStats{OK: 3, NotFound: 1, Failed: 2}}, a)
	var zero scout.Stats
	zero.Add(scout.Stats{QueriesOut: map[string]uint64{"get": 1}})
	assert.Equal(t, uint64(1), zero.QueriesOut["get"], "a zero Stats gets maps of its own")
}
