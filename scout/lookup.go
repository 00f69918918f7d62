package scout

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
)

// A lookup walks the DHT towards a target (Kademlia's iterative lookup):
// it keeps the candidates it has heard of sorted by distance, queries the
// closest ones it has not asked, alpha at a time, and ends when the k
// closest live candidates have all answered.
//
// Unlike anacrolix/dht's traversal it never stalls on a dead node: a query
// that passes its soft timeout (from measured round trips) stops counting
// against alpha and no longer stands among the k closest, so the lookup goes
// on without it; an answer that arrives later, before the hard timeout, is
// still used.

const (
	lookupK     = 8
	lookupAlpha = 3
)

type candState uint8

const (
	candFresh candState = iota
	candInFlight
	candSlow   // past its soft timeout, answer still welcome
	candGaveUp // past its late timeout: no longer waited for, answer still used
	candDone
	candFailed
)

// A slow query is waited for, when the lookup lacks live candidates, until
// lateFactor times its soft timeout: long enough for a node that is merely
// busy, short of the hard timeout that a dead node costs.
const lateFactor = 4

type candidate struct {
	contact
	state   candState
	reply   *krpc.Return
	trusted bool // from our table: answered us lately, queried without waiting for alpha
}

// lookupResult is a node that answered, closest first.
type lookupResult struct {
	contact
	reply *krpc.Return
}

type lookupSpec struct {
	target nodeID
	k      int
	// q and args are the query each node is asked.
	q    string
	args krpc.MsgArgs
	// answered, when set, sees each answer as it comes, on the lookup's
	// goroutine; returning true ends the lookup early.
	answered func(c contact, r *krpc.Return) bool
}

type lookupEvent struct {
	c     *candidate
	reply *krpc.Msg
	err   error
	soft  bool // the soft timeout passed
	late  bool // the late timeout passed
}

// lookup runs spec from the routing table's closest nodes (and the
// bootstrap contacts when the table is empty). It returns the nodes that
// answered, closest first, at most k of them.
func (n *node) lookup(ctx context.Context, spec lookupSpec, seeds []contact) ([]lookupResult, error) {
	if spec.k == 0 {
		spec.k = lookupK
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var cands []*candidate
	seen := make(map[netip.AddrPort]bool)
	add := func(c contact) {
		c.Addr = normAddr(c.Addr)
		if seen[c.Addr] || (c.HasID && c.ID == n.id) || !c.Addr.IsValid() || c.Addr.Port() == 0 {
			return
		}
		if c.HasID && n.table.isDead(c.Addr) {
			return // timed out lately: do not wait on it again
		}
		seen[c.Addr] = true
		cands = append(cands, &candidate{contact: c})
	}
	for _, c := range n.table.closest(spec.target, 2*spec.k) {
		add(c)
	}
	if spec.answered == nil {
		// The lookup must hear from the k closest nodes anyway: ask the
		// closest of our table at once. (One that may end at the first
		// value found goes alpha at a time.)
		for _, c := range cands {
			c.trusted = true
		}
	}
	if len(cands) < spec.k {
		for _, c := range seeds {
			add(c)
		}
	}
	sortCands := func() {
		slices.SortStableFunc(cands, func(a, b *candidate) int {
			switch {
			case !a.HasID && !b.HasID:
				return 0
			case !a.HasID: // unknown ids first: they are how we get in
				return -1
			case !b.HasID:
				return 1
			}
			return xorCompare(spec.target, a.ID, b.ID)
		})
	}
	sortCands()

	events := make(chan lookupEvent, 16)
	inFlight := 0 // queries that still count against alpha
	waiting := 0  // queries still waited for: in flight or slow
	answered := 0 // queries answered
	timer := func(d time.Duration, ev lookupEvent) *time.Timer {
		return time.AfterFunc(d, func() {
			select {
			case events <- ev:
			case <-ctx.Done():
			}
		})
	}
	start := func(c *candidate) {
		c.state = candInFlight
		inFlight++
		waiting++
		go func() {
			// The soft and late timeouts run from when the query goes out
			// (it may wait for a slot first).
			var softTimer, lateTimer *time.Timer
			reply, err := n.queryNotify(ctx, c.contact, spec.q, spec.args, func() {
				soft := n.table.softTimeout(c.Addr)
				softTimer = timer(soft, lookupEvent{c: c, soft: true})
				lateTimer = timer(lateFactor*soft, lookupEvent{c: c, late: true})
			})
			if softTimer != nil {
				softTimer.Stop()
				lateTimer.Stop()
			}
			select {
			case events <- lookupEvent{c: c, reply: reply, err: err}:
			case <-ctx.Done():
			}
		}()
	}
	// settle takes c out of the counts of queries in flight and waited for.
	settle := func(c *candidate) {
		switch c.state {
		case candInFlight:
			inFlight--
			waiting--
		case candSlow:
			waiting--
		}
	}

	for {
		// Among the k closest live candidates: start what we may, and see
		// whether all of them have answered.
		live, finished := 0, true
		for _, c := range cands {
			if live == spec.k {
				break
			}
			switch c.state {
			case candSlow, candGaveUp, candFailed:
				continue
			case candFresh:
				if inFlight < lookupAlpha || c.trusted {
					start(c)
				}
				finished = false
			case candInFlight:
				finished = false
			}
			live++
		}
		if live < spec.k && waiting > 0 {
			// Fewer than k live candidates: the slow ones may still answer,
			// and without them the lookup would end short.
			finished = false
		}
		if finished || waiting == 0 {
			break
		}
		var ev lookupEvent
		select {
		case ev = <-events:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c := ev.c
		switch {
		case ev.soft:
			if c.state == candInFlight {
				c.state = candSlow
				inFlight--
			}
			continue
		case ev.late:
			// Give up on a slow node only when others have answered: with
			// no answer at all, slowness is the network's (a burst of
			// queries, a loaded machine), not this node's.
			if c.state == candSlow && answered > 0 {
				c.state = candGaveUp
				waiting--
				n.table.suspect(c.Addr)
			}
			continue
		}
		settle(c)
		if ev.err != nil || ev.reply == nil || ev.reply.R == nil {
			c.state = candFailed
			continue
		}
		r := ev.reply.R
		c.state = candDone
		answered++
		c.reply = r
		if !c.HasID {
			c.ID, c.HasID = nodeID(r.ID), true
		}
		for _, ni := range r.Nodes {
			if ap, ok := netip.AddrFromSlice(ni.Addr.IP); ok {
				add(contact{ID: nodeID(ni.ID), HasID: true, Addr: netip.AddrPortFrom(ap, uint16(ni.Addr.Port))})
			}
		}
		sortCands()
		if spec.answered != nil && spec.answered(c.contact, r) {
			break
		}
	}
	// The queries still unanswered past their soft timeout are cancelled
	// with the lookup: strike their nodes now, or a dead node would never
	// be told from a live one.
	for _, c := range cands {
		if c.state == candSlow && answered > 0 {
			n.table.suspect(c.Addr)
		}
	}
	var out []lookupResult
	for _, c := range cands {
		if c.state == candDone {
			out = append(out, lookupResult{contact: c.contact, reply: c.reply})
			if len(out) == spec.k {
				break
			}
		}
	}
	return out, nil
}
