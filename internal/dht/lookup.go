package dht

import (
	"context"
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
// arrives later is still used. A lookup for a value does not end while a
// slow node closer than the k-th live one may still answer; once other
// nodes have answered, a slow query is given up at lateFactor times its
// soft timeout.
//
// A lookup is a state machine driven by its queries' events, on whatever
// goroutine delivers them: a reply is taken in the socket loop that read
// it, straight from its buffer, and the next queries go out from there. One
// timer wakes it for the next soft or late timeout; its caller only waits
// for the end.

const (
	lookupK     = bucketSize
	lookupAlpha = 3
	// lateFactor: a slow query is waited for, when others answered, until
	// its soft timeout plus lateFactor-1 times the shorter of its soft
	// timeout and everyone's typical round trip: long enough for a busy
	// node, or for a query sent again after a loss, short of the hard
	// timeout a dead one costs.
	lateFactor = 3
	// maxCandidates bounds what one lookup remembers; maxQueries what it
	// sends. A network that keeps naming closer nodes cannot run it on.
	maxCandidates = 512
	maxQueries    = 256
	// lookupSpare: the candidates past the k closest asked with them.
	lookupSpare = 2
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

// lookupResult is a node that answered: its write token and the item it
// returned, if any (not verified).
type lookupResult struct {
	Contact
	token []byte
	item  *Item
}

type candidate struct {
	lookupResult
	state    candState
	txn      *txn      // its query, while the lookup waits for it
	deadline time.Time // the soft timeout while in flight, the late one while slow
	soft     time.Duration
}

// lookupSpec says what a lookup asks and when it may end early.
type lookupSpec struct {
	target ID
	method krpc.Method
	args   krpc.Args // the query's arguments (the id is filled in)
	// stop, when set, sees each answer as it comes; returning true ends the
	// lookup at once. It runs with the lookup's lock held: it must not
	// block.
	stop func(*lookupResult) bool
	// wide starts from the table's 2k closest and asks the k closest at
	// once, to meet more nodes (a lookup that fills the table); others
	// start from the k closest, alpha at a time until a first answer.
	wide bool
	// near, when set, is told of each node that answers while among the k
	// closest live candidates known, and may return a query to send it
	// (a put, pipelined with the lookup). It runs with the lookup's lock
	// held: it must not block.
	near func(*lookupResult) *txn
}

type lookup struct {
	n    *Node
	spec lookupSpec
	args *krpc.Args

	mu        sync.Mutex
	cands     []*candidate // sorted; at most maxCandidates
	inFlight  int          // queries within their soft timeout (alpha bounds them, for a value)
	waiting   int          // queries still waited for: in flight or slow
	answered  int
	queries   int
	converged bool          // an answer brought no node closer than the closest known
	typical   time.Duration // everyone's typical round trip, when the lookup began
	timer     *time.Timer
	ended     bool
	toSend    []*txn        // started under mu, sent once it is released
	toRelease []*txn        // let go of under mu, released once it is released
	finished  chan struct{} // closed when it ends
}

// lookup runs spec from the routing table's closest nodes (and the seeds
// while the table holds too few). It returns the nodes that answered,
// closest first, at most k of them.
func (n *Node) lookup(ctx context.Context, spec lookupSpec) ([]lookupResult, error) {
	l := &lookup{n: n, spec: spec, finished: make(chan struct{}), typical: n.table.typical()}
	args := spec.args
	args.ID = n.ID()
	l.args = &args
	l.mu.Lock()
	l.seed()
	l.advance()
	l.unlock()
	select {
	case <-l.finished:
	case <-ctx.Done():
		l.mu.Lock()
		l.end()
		l.unlock()
		return nil, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results(), nil
}

// unlock releases mu, then sends the queries started meanwhile and
// releases those let go of (either may call back into the lookup).
func (l *lookup) unlock() {
	out, rel := l.toSend, l.toRelease
	l.toSend, l.toRelease = nil, nil
	l.mu.Unlock()
	for _, t := range out {
		l.n.send(t)
	}
	for _, t := range rel {
		l.n.release(t, context.Canceled)
	}
}

// seed starts the candidates from the table, and from the seeds when the
// table has fewer than k nodes.
func (l *lookup) seed() {
	n := lookupK
	if l.spec.wide {
		n = 2 * lookupK
	}
	for _, c := range l.n.table.closest(l.spec.target, n) {
		l.add(c)
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
	if len(l.cands) >= maxCandidates || !c.Addr.IsValid() || c.Addr.Port() == 0 || !l.n.sameFamily(c.Addr) || c.HasID && c.ID == l.n.ID() {
		return false
	}
	for _, have := range l.cands {
		if have.Addr == c.Addr {
			return false
		}
	}
	if c.HasID && l.n.table.isDead(c.Addr) {
		return false
	}
	l.cands = append(l.cands, &candidate{lookupResult: lookupResult{Contact: c}})
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

// advance starts what may start among the k closest live candidates, and
// ends the lookup when nothing is left to wait for; otherwise it sets the
// timer for the next soft or late timeout.
func (l *lookup) advance() {
	if l.ended {
		return
	}
	// Among the k closest live candidates (and lookupSpare more, asked
	// with them so that a dead one among the k costs no extra round):
	// start what may start, and see whether all of the k have answered.
	blast := l.spec.wide || l.spec.stop == nil && l.answered > 0 || l.converged
	live, finished := 0, true
	for _, c := range l.cands {
		if live == lookupK+lookupSpare {
			break
		}
		top := live < lookupK
		switch c.state {
		case candGaveUp, candFailed:
			continue
		case candSlow:
			// Closer than the k-th live candidate. A lookup for a value
			// waits for it, until its late timeout, while it goes on past
			// it: it may be the node that holds what a get looks for, and
			// without it the get would say NotFound. Other lookups do
			// without it (a put stores on the next node instead).
			if top && l.spec.stop != nil {
				finished = false
			}
			continue
		case candFresh:
			// A lookup that must hear from the k closest anyway (for their
			// tokens, or every copy they hold) asks each of them at once
			// after a first answer; one that may end at the first value
			// found asks alpha at a time until answers stop bringing closer
			// nodes (Kademlia's last round), then the rest at once.
			if (top && l.inFlight < lookupAlpha || blast) && l.queries < maxQueries {
				l.start(c)
			}
			if top {
				finished = false
			}
		case candInFlight:
			if top {
				finished = false
			}
		}
		live++
	}
	if live < lookupK && l.waiting > 0 {
		// Fewer than k live candidates: the slow ones may still answer,
		// and without them the lookup would end short.
		finished = false
	}
	if finished || l.waiting == 0 {
		l.end()
		return
	}
	l.arm()
}

func (l *lookup) start(c *candidate) {
	c.state = candInFlight
	l.inFlight++
	l.waiting++
	l.queries++
	c.txn = &txn{to: c.Addr, method: l.spec.method, args: l.args, own: true, owner: l, cand: c}
	l.toSend = append(l.toSend, c.txn)
}

// sent starts a candidate's soft timeout as its query goes out.
func (l *lookup) sent(t *txn) {
	c := t.cand
	l.mu.Lock()
	if !l.ended && c.state == candInFlight {
		c.soft = t.soft
		c.deadline = time.Now().Add(t.soft)
		l.arm()
	}
	l.mu.Unlock()
}

func (l *lookup) done(t *txn, r response) { l.reply(t.cand, r) }

// arm sets the timer for the earliest soft or late timeout to come.
func (l *lookup) arm() {
	var next time.Time
	for _, c := range l.cands {
		if (c.state == candInFlight || c.state == candSlow) && !c.deadline.IsZero() && (next.IsZero() || c.deadline.Before(next)) {
			next = c.deadline
		}
	}
	if next.IsZero() {
		return
	}
	d := max(time.Until(next), 0)
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.tick)
	} else {
		l.timer.Reset(d)
	}
}

// tick moves queries past their soft timeout aside, and gives up on slow
// ones past their late timeout once other nodes have answered (with no
// answer at all, slowness is the network's, not one node's).
func (l *lookup) tick() {
	defer l.n.recoverPanic("a lookup's timer")
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
	}
	now := time.Now()
	for _, c := range l.cands {
		if c.deadline.IsZero() || now.Before(c.deadline) {
			continue
		}
		switch c.state {
		case candInFlight:
			c.state = candSlow
			l.inFlight--
			c.deadline = c.deadline.Add((lateFactor - 1) * min(c.soft, l.typical))
		case candSlow:
			if l.answered > 0 {
				c.state = candGaveUp
				l.waiting--
				l.n.table.suspect(c.Addr)
			}
			c.deadline = time.Time{}
		}
	}
	l.advance()
	l.unlock()
}

// reply takes how c's query ended. A reply's values are borrowed from the
// socket loop's buffer: what the lookup keeps, it copies.
func (l *lookup) reply(c *candidate, res response) {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
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
	r := res.r
	if res.err != nil || r == nil {
		c.state = candFailed
		l.advance()
		l.unlock()
		return
	}
	c.state = candDone
	l.answered++
	if !c.HasID {
		c.ID, c.HasID = r.ID, true
	}
	c.lookupResult = resultOf(c.Contact, r)
	best := l.closestKnown()
	nodes, size, other, otherSize := r.Nodes, krpc.NodeInfo4Size, r.Nodes6, krpc.NodeInfo6Size
	if l.n.v6 {
		nodes, size, other, otherSize = other, otherSize, nodes, size
	}
	krpc.EachNode(nodes, size, func(ni krpc.NodeInfo) {
		l.add(Contact{ID: ni.ID, HasID: true, Addr: ni.Addr})
	})
	if sib := l.n.sibling.Load(); sib != nil {
		sib.learn(other, otherSize)
	}
	l.sort()
	if best != nil && l.closestKnown() == best {
		l.converged = true
	}
	if l.spec.near != nil && l.near(c) {
		if t := l.spec.near(&c.lookupResult); t != nil {
			l.toSend = append(l.toSend, t)
		}
	}
	if l.spec.stop != nil && l.spec.stop(&c.lookupResult) {
		l.end()
	} else {
		l.advance()
	}
	l.unlock()
}

// closestKnown returns the closest candidate with an id that has not
// failed, or nil.
func (l *lookup) closestKnown() *candidate {
	for _, c := range l.cands {
		if c.HasID && c.state != candFailed && c.state != candGaveUp {
			return c
		}
	}
	return nil
}

// near reports whether c is among the k closest live candidates.
func (l *lookup) near(c *candidate) bool {
	live := 0
	for _, d := range l.cands {
		if d.state == candFailed || d.state == candGaveUp {
			continue
		}
		if d == c {
			return true
		}
		if live++; live == lookupK {
			return false
		}
	}
	return false
}

// end finishes the lookup, once: its queries still out give back their
// slots (their answers, if any come, still reach the routing table), and a
// node that stayed silent past its soft timeout while others answered is
// struck, or a dead node would never be told from a live one.
func (l *lookup) end() {
	if l.ended {
		return
	}
	l.ended = true
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
		t := c.txn
		c.txn = nil
		if i := slices.Index(l.toSend, t); i >= 0 {
			l.toSend = slices.Delete(l.toSend, i, i+1) // never sent
		} else {
			l.toRelease = append(l.toRelease, t)
		}
	}
	close(l.finished)
}

func (l *lookup) results() []lookupResult {
	var out []lookupResult
	for _, c := range l.cands {
		if c.state == candDone {
			out = append(out, c.lookupResult)
			if len(out) == lookupK {
				break
			}
		}
	}
	return out
}
