package swarm_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

func TestSwarmJoinsEveryNode(t *testing.T) {
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 64})
	require.NoError(t, err)
	defer sw.Close()
	addrs := sw.Addrs()
	require.Len(t, addrs, 64)
	seen := map[string]bool{}
	for _, a := range addrs {
		assert.True(t, a.Addr().IsLoopback())
		assert.False(t, seen[a.String()], "one address per node")
		seen[a.String()] = true
	}
	assert.Equal(t, addrs[0].String(), sw.Bootstrap())
	// Every node knows at least k others (a lookup from it can start), and
	// the nodes know a good share of the swarm on average.
	total := 0
	for i, s := range sw.Sessions() {
		_, good := s.NodeCount()
		assert.GreaterOrEqual(t, good, 8, "node %d knows too few of the swarm", i)
		total += good
	}
	assert.GreaterOrEqual(t, total/64, 24, "nodes know %d others on average", total/64)
	require.NoError(t, sw.Close())
	require.NoError(t, sw.Close(), "closing twice is harmless")
}

func TestSwarmFixedPorts(t *testing.T) {
	// Find a free run of ports by asking for one swarm first.
	probe, err := swarm.Start(context.Background(), swarm.Options{Nodes: 1})
	require.NoError(t, err)
	port := int(probe.Addrs()[0].Port())
	probe.Close()
	if port > 65000 {
		port = 40000
	}
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 4, Port: port})
	if err != nil {
		t.Skipf("ports %d+ busy: %v", port, err)
	}
	defer sw.Close()
	for i, a := range sw.Addrs() {
		assert.Equal(t, port+i, int(a.Port()))
	}
}

func TestSwarmBadOptions(t *testing.T) {
	_, err := swarm.Start(context.Background(), swarm.Options{Nodes: -1})
	assert.ErrorIs(t, err, scout.ErrInvalidArgument)
	_, err = swarm.Start(context.Background(), swarm.Options{Nodes: 10, Port: 65530})
	assert.ErrorIs(t, err, scout.ErrInvalidArgument)
}

// TestWANBadInput: the WAN's methods refuse what makes no sense instead of
// panicking.
func TestWANBadInput(t *testing.T) {
	_, err := swarm.Start(context.Background(), swarm.Options{Nodes: 2, WAN: &swarm.WAN{Loss: math.NaN()}})
	assert.ErrorIs(t, err, scout.ErrInvalidArgument)
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 4, WAN: &swarm.WAN{RTT: time.Millisecond}})
	require.NoError(t, err)
	defer sw.Close()
	for _, f := range []float64{-0.1, 1.5, math.NaN()} {
		_, err := sw.Kill(f)
		assert.ErrorIs(t, err, scout.ErrInvalidArgument, "%v", f)
	}
	assert.ErrorIs(t, sw.SetDead(99, true), scout.ErrInvalidArgument)
	assert.ErrorIs(t, sw.Partition(-1, 1), scout.ErrInvalidArgument)
	assert.False(t, sw.Dead(99))
	assert.Zero(t, sw.RTT(0, 99))
	out, in := sw.Datagrams(99)
	assert.Zero(t, out+in)

	// A client outside the swarm's WAN gets no answer from a dead node,
	// and answers from the live ones.
	client, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{sw.Bootstrap()}, Timeout: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	defer client.Stop()
	require.NoError(t, sw.SetDead(1, true))
	assert.Error(t, client.AddNode(context.Background(), sw.Addrs()[1].String()), "a dead node is silent to outsiders too")
	assert.NoError(t, client.AddNode(context.Background(), sw.Addrs()[2].String()))
	plain := swarm.Options{Nodes: 2}
	sw2, err := swarm.Start(context.Background(), plain)
	require.NoError(t, err)
	defer sw2.Close()
	_, err = sw2.Kill(0.5)
	assert.ErrorIs(t, err, scout.ErrWrongState)
}

// TestJoinRefusedTakesNoIndex: a Join whose options are refused leaves the
// swarm as it was, so the next node joined gets the next index, on the WAN
// as on loopback.
func TestJoinRefusedTakesNoIndex(t *testing.T) {
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 2, WAN: &swarm.WAN{}})
	require.NoError(t, err)
	defer sw.Close()
	_, err = sw.Join(context.Background(), scout.Options{PortMap: scout.PortMap(9)})
	require.ErrorIs(t, err, scout.ErrInvalidArgument)
	require.Len(t, sw.Sessions(), 2)
	s, err := sw.Join(context.Background(), scout.Options{})
	require.NoError(t, err)
	nodes := sw.Sessions()
	require.Len(t, nodes, 3)
	assert.Same(t, s, nodes[2])
	assert.False(t, sw.Dead(2))
	require.NoError(t, sw.SetDead(2, true))
	assert.Error(t, nodes[0].AddNode(context.Background(), s.Addr().String()), "the joined node is on the WAN: dead, it is silent")
}
