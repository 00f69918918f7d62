package dht

import (
	"crypto/rand"
	mrand "math/rand/v2"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

// The table's upkeep, as a long-running node of the mainline DHT does it
// (BEP 5): every Timing.Upkeep (with jitter), the node
//   - pings the nodes it has not heard from for Timing.Questionable (or
//     that failed once), a few at a time: one that answers is good again,
//     one that fails twice leaves, and the newest node of its bucket's
//     replacement cache takes its place;
//   - refreshes each bucket none of whose nodes answered for
//     Timing.Refresh, with a lookup of a random id in it;
//   - joins again through its seeds when it has fewer than k good nodes,
//     and then tries again every few seconds until it has them; when
//     nobody answers at all (offline, or a family with no route, such as
//     a dual-stack node's IPv6 side on a machine without IPv6
//     connectivity), twice as long after each such try, up to
//     maxRejoinEvery.
// An idle node's traffic is that and the others' doing the same: the
// README gives the figure.

// upkeepPings bounds the pings of one round of upkeep; rejoinEvery is how
// often a node with too few good nodes tries its seeds again.
const (
	upkeepPings    = 8
	rejoinEvery    = 5 * time.Second
	maxRejoinEvery = 5 * time.Minute
)

func (n *Node) upkeep() {
	defer close(n.upkeepDone)
	every := n.table.timing.Upkeep
	timer := time.NewTimer(jitter(every))
	defer timer.Stop()
	silent := 0 // rejoins in a row that nobody answered
	for {
		select {
		case <-n.life.Done():
			return
		case <-timer.C:
		}
		next := every
		switch enough, heard := n.upkeepRound(); {
		case enough:
			silent = 0
		case heard:
			silent = 0
			next = min(every, rejoinEvery)
		default:
			next = min(every, rejoinBackoff(silent))
			silent++
		}
		timer.Reset(jitter(next))
	}
}

// rejoinBackoff is the wait before a rejoin that follows silent ones in a
// row that nobody answered: rejoinEvery doubled each time, at most
// maxRejoinEvery.
func rejoinBackoff(silent int) time.Duration {
	d := rejoinEvery
	for range silent {
		if d >= maxRejoinEvery/2 {
			return maxRejoinEvery
		}
		d *= 2
	}
	return d
}

// jitter returns d plus or minus up to a quarter of it, so that a swarm's
// nodes started together do not all look after their tables at once.
func jitter(d time.Duration) time.Duration {
	return d - d/4 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

// upkeepRound is one round of upkeep, under a recover: a bug here must not
// take the host process down. It reports whether the table has k good
// nodes, and if not, whether anybody answered the rejoin.
func (n *Node) upkeepRound() (enough, heard bool) {
	defer n.recoverPanic("the table's upkeep")
	ctx := n.life

	if _, good := n.NodeCount(); good < bucketSize {
		heard = n.Bootstrap(ctx)
		_, good = n.NodeCount()
		return good >= bucketSize, heard
	}
	if qs := n.table.questionable(upkeepPings); len(qs) > 0 {
		out := make([]outQuery, len(qs))
		args := &krpc.Args{ID: n.ID()}
		for i, c := range qs {
			out[i] = outQuery{to: c.Addr, method: krpc.MethodPing, args: args}
		}
		n.queryAll(ctx, out, false) // answers and failures reach the table
	}
	for _, i := range n.table.staleBuckets() {
		var r [20]byte
		rand.Read(r[:])
		_, _ = n.FindNode(ctx, randomIDInBucket(n.ID(), i, r))
		if ctx.Err() != nil {
			break
		}
	}
	return true, true
}
