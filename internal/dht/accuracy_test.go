package dht

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

// TestLookupsFindTheClosestNodes: on a swarm joined through one node (no
// node introduced to the others), lookups from any node find the true k
// closest nodes to random targets, as far as Kademlia promises: each
// lookup finds most of them, and over many lookups almost all.
func TestLookupsFindTheClosestNodes(t *testing.T) {
	const count, lookups = 256, 200
	nodes := joinedNodes(t, count)
	found := 0
	for i := range lookups {
		var target ID
		copy(target[:], randomBytes(20))
		ids := make([]ID, count)
		for j, n := range nodes {
			ids[j] = n.ID()
		}
		slices.SortFunc(ids, func(a, b ID) int { return xorCompare(target, a, b) })
		res, err := nodes[(i*7)%count].lookup(context.Background(), lookupSpec{
			target: target, method: krpc.MethodFindNode, args: krpc.Args{Target: target, HasTarget: true},
		})
		require.NoError(t, err)
		require.Len(t, res, lookupK)
		here := 0
		for _, r := range res {
			if slices.Contains(ids[:lookupK], r.ID) {
				here++
			}
		}
		assert.GreaterOrEqual(t, here, lookupK-2, "lookup %d found %d of the %d closest", i, here, lookupK)
		found += here
	}
	assert.GreaterOrEqual(t, float64(found)/(lookups*lookupK), 0.97)
}
