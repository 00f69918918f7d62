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

// testNodes starts n nodes on 127.0.0.1, each joined through the first,
// closed when the test ends.
func testNodes(t testing.TB, count int) []*Node {
	t.Helper()
	nodes := make([]*Node, count)
	for i := range nodes {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		var id ID
		copy(id[:], randomBytes(20))
		nodes[i] = New(Config{Conn: conn, ID: id})
		t.Cleanup(nodes[i].Close)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seed := []Contact{{Addr: nodes[0].Addr()}}
	for _, n := range nodes[1:] {
		n.SetSeeds(seed)
		require.True(t, n.Bootstrap(ctx))
	}
	for _, n := range nodes {
		n.Bootstrap(ctx)
	}
	return nodes
}

func TestPutGetImmutable(t *testing.T) {
	nodes := testNodes(t, 32)
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
