package dht

import (
	"context"
	"crypto/sha1"
	"testing"

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
		require.Equal(t, lookupK, res.Stored, "%v", res.LastErr)
		var found *Item
		_, err = r.Get(ctx, target, 0, false, func(a Answer) bool { found = a.Item; return found != nil })
		require.NoError(t, err)
		require.NotNil(t, found)
		assert.Equal(t, v, found.V)
	}
}
