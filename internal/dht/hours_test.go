package dht

import (
	"context"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
	"github.com/scout-dht/scout/internal/netsim"
)

// TestTablesStayGoodForHours runs two hours of a node's life in twelve
// seconds: the upkeep's intervals are 600 times shorter (a node not heard
// from for 1.5 s is questionable, a bucket silent for 1.5 s is refreshed,
// upkeep every 100 ms) on an emulated WAN with 1 % loss, while every
// "ten minutes" (a second) three nodes die without a word and three new
// ones join. At the end the tables hold few dead nodes, and lookups from
// the survivors still find the closest live nodes.
func TestTablesStayGoodForHours(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated run of hours")
	}
	const start, rounds, churn = 96, 12, 3
	timing := Timing{Questionable: 1500 * time.Millisecond, Refresh: 1500 * time.Millisecond, Upkeep: 100 * time.Millisecond}
	nw := netsim.New(netsim.Model{RTT: 20 * time.Millisecond, Jitter: 0.2, Loss: 0.01, Seed: 42})
	rng := rand.New(rand.NewPCG(42, 1))
	var nodes []*Node
	conns := map[*Node]*netsim.Conn{}
	add := func() *Node {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		var id ID
		copy(id[:], randomBytes(20))
		c := nw.Wrap(conn, len(nodes))
		n := New(Config{Conn: c, ID: id, Timing: timing})
		t.Cleanup(n.Close)
		nodes = append(nodes, n)
		conns[n] = c
		return n
	}
	alive := func() []*Node {
		var out []*Node
		for _, n := range nodes {
			if !conns[n].Dead() {
				out = append(out, n)
			}
		}
		return out
	}
	for range start {
		add()
	}
	ctx := context.Background()
	seed := []Contact{{Addr: nodes[0].Addr()}}
	parallel(nodes[1:], func(n *Node) { n.SetSeeds(seed); n.Bootstrap(ctx) })
	parallel(nodes, func(n *Node) { n.Bootstrap(ctx) })

	recent := map[*Node]bool{} // died in the last round: within the questionable period
	for round := range rounds {
		live := alive()
		for _, i := range rng.Perm(len(live))[:churn] {
			if live[i] != nodes[0] {
				conns[live[i]].SetDead(true)
				if round == rounds-1 {
					recent[live[i]] = true
				}
			}
		}
		live = alive()
		for range churn {
			n := add()
			n.SetSeeds([]Contact{{Addr: live[rng.IntN(len(live))].Addr()}})
			go n.Bootstrap(ctx)
		}
		// Ten simulated minutes of life between two rounds of churn.
		time.Sleep(time.Second)
	}

	live := alive()
	// A node dead for less than the questionable period (the last
	// round's) is still good by definition unless a query to it failed:
	// only those dead for longer count against the tables.
	var goodEntries, deadEntries int
	dead := map[ID]bool{}
	for _, n := range nodes {
		if conns[n].Dead() && !recent[n] {
			dead[n.ID()] = true
		}
	}
	for _, n := range live {
		for _, c := range n.GoodContacts() {
			goodEntries++
			if dead[c.ID] {
				deadEntries++
			}
		}
	}
	// Lookups that wait for every close node to answer, however slow, as a
	// get that has not found its value does (a put's lookup moves on past a
	// slow node to the next).
	found, asked := 0, 0
	for i := range 50 {
		var target ID
		copy(target[:], randomBytes(20))
		ids := make([]ID, 0, len(live))
		for _, n := range live {
			ids = append(ids, n.ID())
		}
		slices.SortFunc(ids, func(a, b ID) int { return xorCompare(target, a, b) })
		res, err := live[i%len(live)].lookup(ctx, lookupSpec{target: target, method: krpc.MethodFindNode, args: krpc.Args{Target: target, HasTarget: true},
			stop: func(*lookupResult) bool { return false }})
		require.NoError(t, err)
		for _, r := range res {
			if slices.Contains(ids[:lookupK], r.ID) {
				found++
			}
		}
		asked += lookupK
	}
	t.Logf("after %d simulated minutes with %d of %d nodes dead: %d good table entries, %.1f%% of them dead for over 15 minutes; lookups found %.1f%% of the 8 closest live nodes",
		rounds*10, len(nodes)-len(live), len(nodes), goodEntries, 100*float64(deadEntries)/float64(goodEntries), 100*float64(found)/float64(asked))
	assert.Less(t, float64(deadEntries)/float64(goodEntries), 0.005, "dead nodes leave the tables within the questionable period")
	assert.GreaterOrEqual(t, float64(found)/float64(asked), 0.95, "lookups find the closest live nodes")
}

// TestRejoinBackoff: a node whose rejoins nobody answers (offline, or a
// family without a route) waits twice as long after each, up to five
// minutes, instead of trying its seeds every five seconds for ever.
func TestRejoinBackoff(t *testing.T) {
	var got []time.Duration
	for i := range 9 {
		got = append(got, rejoinBackoff(i))
	}
	assert.Equal(t, []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second,
		80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}, got)
	assert.Equal(t, maxRejoinEvery, rejoinBackoff(1000))

	// A node whose only seed is silent: the rounds report that nobody
	// answered, which is what starts the backoff.
	n := startNodes(t, 3)
	silent := n[1].Addr()
	n[1].Close()
	n[0].SetSeeds([]Contact{{Addr: silent}})
	enough, heard := n[0].upkeepRound()
	assert.False(t, enough)
	assert.False(t, heard, "a silent seed is not heard")
	// One live seed: heard, though k good nodes are still wanted.
	n[0].SetSeeds([]Contact{{Addr: n[2].Addr()}})
	enough, heard = n[0].upkeepRound()
	assert.False(t, enough)
	assert.True(t, heard)
}
