package dht

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

// A lookup walks the DHT towards a target (Kademlia's iterative lookup): it
// keeps the candidates it has heard of sorted by distance, queries the
// closest ones it has not asked, alpha at a time, and ends when the k
// closest live candidates have all answered.
//
// It never stalls on a dead node: a query that passes its soft timeout
// (from measured round trips) stops counting against alpha and no longer
// takes one of the k places, so the lookup goes on past it; an answer that
// arrives later is still used. The lookup does not end while a slow node
// closer than the k-th live one may still answer; once other nodes have
// answered, a slow query is given up at lateFactor times its soft timeout.
//
// The lookup runs on its caller's goroutine; its queries report to it
// through an inbox, and one timer wakes it for the next soft or late
// timeout.

const (
	lookupK     = bucketSize
	lookupAlpha = 3
	// lateFactor: a slow query is waited for, when others answered, until
	// this many times its soft timeout: long enough for a busy node, short
	// of the hard timeout a dead one costs.
	lateFactor = 4
	// maxCandidates bounds what one lookup remembers; maxQueries what it
	// sends. A network that keeps naming closer nodes cannot run it on.
	maxCandidates = 512
	maxQueries    = 256
)

type candState uint8

const (
	candFresh    candState = iota
	candInFlight           // queried, within its soft timeout (or not yet sent)
	candSlow               // past its soft timeout, still waited for
	candGaveUp             // past its late timeout: no longer waited for, answer still used
	candDone               // answered
	candFailed             // timed out or refused
)

type candidate struct {
	Contact
	state    candState
	trusted  bool // from our table: queried without waiting for alpha
	reply    *krpc.Return
	txn      *txn
	deadline time.Time // the soft timeout while in flight, the late one while slow
	soft     time.Duration
}

// lookupSpec says what a lookup asks and when it may end early.
type lookupSpec struct {
	target ID
	method krpc.Method
	args   krpc.Args // the query's arguments (the id is filled in)
	// stop, when set, sees each answer as it comes; returning true ends the
	// lookup at once.
	stop func(c Contact, r *krpc.Return) bool
}

// lookupResult is a node that answered, closest first.
type lookupResult struct {
	Contact
	reply *krpc.Return
}

type lookupEvent struct {
	c    *candidate
	sent bool // the query went out, with this soft timeout
	soft time.Duration
	res  response
}

type lookup struct {
	n     *Node
	spec  lookupSpec
	args  *krpc.Args
	cands []*candidate
	seen  map[netip.AddrPort]struct{}
	timer *time.Timer

	inFlight int // queries that count against alpha
	waiting  int // queries still waited for: in flight or slow
	answered int
	queries  int

	// The inbox: written by the transport's callbacks, read by the lookup.
	mu     sync.Mutex
	events []lookupEvent
	wake   chan struct{}
}

// lookup runs spec from the routing table's closest nodes (and the seeds
// while the table holds too few). It returns the nodes that answered,
// closest first, at most k of them.
func (n *Node) lookup(ctx context.Context, spec lookupSpec) ([]lookupResult, error) {
	l := &lookup{
		n:    n,
		spec: spec,
		seen: make(map[netip.AddrPort]struct{}),
		wake: make(chan struct{}, 1),
	}
	args := spec.args
	args.ID = n.id
	l.args = &args
	l.seed()
	defer l.finish()
	for {
		if !l.step() {
			return l.results(), nil
		}
		if err := l.wait(ctx); err != nil {
			return nil, err
		}
		for _, ev := range l.drain() {
			if l.handle(ev) {
				return l.results(), nil
			}
		}
		l.expireSoft(time.Now())
	}
}

// seed starts the candidates from the table, and from the seeds when the
// table has fewer than k nodes.
func (l *lookup) seed() {
	for _, c := range l.n.table.closest(l.spec.target, 2*lookupK) {
		if l.add(c) && l.spec.stop == nil {
			// The lookup must hear from the k closest anyway: ask the
			// closest of our table at once. One that may end at the first
			// value found goes alpha at a time.
			l.cands[len(l.cands)-1].trusted = true
		}
	}
	if len(l.cands) < lookupK {
		for _, c := range l.n.getSeeds() {
			l.add(c)
		}
	}
	l.sort()
}

// add makes c a candidate, unless it is known already, is us, or timed
// out lately. It reports whether it did.
func (l *lookup) add(c Contact) bool {
	c.Addr = NormAddr(c.Addr)
	if len(l.cands) >= maxCandidates || !c.Addr.IsValid() || c.Addr.Port() == 0 || c.HasID && c.ID == l.n.id {
		return false
	}
	if _, seen := l.seen[c.Addr]; seen {
		return false
	}
	if c.HasID && l.n.table.isDead(c.Addr) {
		return false
	}
	l.seen[c.Addr] = struct{}{}
	l.cands = append(l.cands, &candidate{Contact: c})
	return true
}

// sort orders the candidates: unknown ids first (they are how we get in),
// then by distance to the target.
func (l *lookup) sort() {
	slices.SortStableFunc(l.cands, func(a, b *candidate) int {
		switch {
		case !a.HasID && !b.HasID:
			return 0
		case !a.HasID:
			return -1
		case !b.HasID:
			return 1
		}
		return xorCompare(l.spec.target, a.ID, b.ID)
	})
}

// step starts what may start among the k closest live candidates and
// reports whether the lookup must go on.
func (l *lookup) step() bool {
	live, finished := 0, true
	for _, c := range l.cands {
		if live == lookupK {
			break
		}
		switch c.state {
		case candGaveUp, candFailed:
			continue
		case candSlow:
			// Closer than the k-th live candidate: waited for, until its
			// late timeout, but the lookup goes on past it meanwhile. It may
			// be the node that holds what a get looks for, or the one a put
			// must store on.
			finished = false
			continue
		case candFresh:
			if (l.inFlight < lookupAlpha || c.trusted) && l.queries < maxQueries {
				l.start(c)
			}
			finished = false
		case candInFlight:
			finished = false
		}
		live++
	}
	if live < lookupK && l.waiting > 0 {
		// Fewer than k live candidates: the slow ones may still answer,
		// and without them the lookup would end short.
		finished = false
	}
	return !finished && l.waiting > 0
}

func (l *lookup) start(c *candidate) {
	c.state = candInFlight
	l.inFlight++
	l.waiting++
	l.queries++
	c.txn = &txn{
		to: c.Addr, method: l.spec.method, args: l.args, own: true,
		sent: func(soft time.Duration) { l.post(lookupEvent{c: c, sent: true, soft: soft}) },
		done: func(r response) { l.post(lookupEvent{c: c, res: r}) },
	}
	l.n.send(c.txn)
}

func (l *lookup) post(ev lookupEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lookup) drain() []lookupEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.events
	l.events = nil
	return evs
}

// wait blocks until an event comes, the next deadline passes or ctx ends.
func (l *lookup) wait(ctx context.Context) error {
	var next time.Time
	for _, c := range l.cands {
		if (c.state == candInFlight || c.state == candSlow) && !c.deadline.IsZero() && (next.IsZero() || c.deadline.Before(next)) {
			next = c.deadline
		}
	}
	var timeout <-chan time.Time
	if !next.IsZero() {
		d := time.Until(next)
		if d <= 0 {
			return nil
		}
		if l.timer == nil {
			l.timer = time.NewTimer(d)
		} else {
			l.timer.Reset(d)
		}
		timeout = l.timer.C
	}
	select {
	case <-l.wake:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// expireSoft moves queries past their soft timeout aside, and gives up on
// slow ones past their late timeout once other nodes have answered (with
// no answer at all, slowness is the network's, not one node's).
func (l *lookup) expireSoft(now time.Time) {
	for _, c := range l.cands {
		if c.deadline.IsZero() || now.Before(c.deadline) {
			continue
		}
		switch c.state {
		case candInFlight:
			c.state = candSlow
			l.inFlight--
			c.deadline = c.deadline.Add((lateFactor - 1) * c.soft)
		case candSlow:
			if l.answered > 0 {
				c.state = candGaveUp
				l.waiting--
				l.n.table.suspect(c.Addr)
			}
			c.deadline = time.Time{}
		}
	}
}

// handle takes one event and reports whether the lookup is to end now.
func (l *lookup) handle(ev lookupEvent) bool {
	c := ev.c
	if ev.sent {
		if c.state == candInFlight {
			c.soft = ev.soft
			c.deadline = time.Now().Add(ev.soft)
		}
		return false
	}
	c.txn = nil
	switch c.state {
	case candInFlight:
		l.inFlight--
		l.waiting--
	case candSlow:
		l.waiting--
	}
	c.deadline = time.Time{}
	r := ev.res.r
	if ev.res.err != nil || r == nil {
		c.state = candFailed
		return false
	}
	c.state = candDone
	c.reply = r
	l.answered++
	if !c.HasID {
		c.ID, c.HasID = r.ID, true
	}
	krpc.EachNode(r.Nodes, krpc.NodeInfo4Size, func(ni krpc.NodeInfo) {
		l.add(Contact{ID: ni.ID, HasID: true, Addr: ni.Addr})
	})
	l.sort()
	return l.spec.stop != nil && l.spec.stop(c.Contact, r)
}

// finish lets go of the queries still out: their slots go back, and their
// answers, if any come, still reach the routing table. A node that stayed
// silent past its soft timeout while others answered is struck, or a dead
// node would never be told from a live one.
func (l *lookup) finish() {
	if l.timer != nil {
		l.timer.Stop()
	}
	for _, c := range l.cands {
		if c.txn == nil {
			continue
		}
		if c.state == candSlow && l.answered > 0 {
			l.n.table.suspect(c.Addr)
		}
		l.n.release(c.txn, context.Canceled)
	}
}

func (l *lookup) results() []lookupResult {
	var out []lookupResult
	for _, c := range l.cands {
		if c.state == candDone {
			out = append(out, lookupResult{Contact: c.Contact, reply: c.reply})
			if len(out) == lookupK {
				break
			}
		}
	}
	return out
}
