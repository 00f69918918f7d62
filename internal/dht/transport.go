package dht

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

// The transport: one goroutine reads the socket; queries are answered on
// it, replies complete their transaction. Our own queries take one of
// maxOwnQueries slots and queue for one when all are taken, their timeouts
// starting only when they are sent; the pings that check nodes which
// queried us (work a stranger triggers) have a small budget of their own
// and are shed when it is spent, so they never take our own queries' slots.

const (
	maxOwnQueries = 48
	maxVerifying  = 8
)

// Errors of a query that got no reply.
var (
	// ErrTimeout: no reply before the query's hard timeout.
	ErrTimeout = errors.New("dht: query timed out")
	// ErrClosed: the node closed with the query in flight.
	ErrClosed = errors.New("dht: node closed")
)

// response is how a query ended: a reply, a KRPC error (err is a
// krpc.Error), or no answer. A reply's values are the socket loop's: valid
// during the done callback only.
type response struct {
	r   *krpc.Return
	err error
	rtt time.Duration
}

// txn is one query of ours: queued for a slot, then in flight until its
// reply or its hard timeout.
type txn struct {
	tid    uint32
	to     netip.AddrPort
	method krpc.Method
	args   *krpc.Args // not copied: the caller leaves it alone until done
	ctx    context.Context
	own    bool // takes a slot (false: a verify ping)
	// sent, when set, is told when the query goes out with its soft
	// timeout; done is told once how it ended. Both run on the goroutine
	// that causes them (the socket loop, a timer, Close, release): they
	// must not block.
	sent func(soft time.Duration)
	done func(response)
	// owner, when set, is told instead of sent and done (a lookup, whose
	// candidates hold their query: no closure to allocate per query).
	owner txnOwner
	cand  *candidate    // the lookup candidate asked, with owner
	tag   int           // the owner's index of the query, with owner
	soft  time.Duration // from the table, when launched

	// Guarded by Node.mu.
	queued     bool // waiting for a slot
	registered bool // in flight, in Node.txns
	holding    bool // holds a slot
	finished   bool
	start      time.Time
	deadline   time.Time // the hard timeout
	resendAt   time.Time // our own queries are sent again once, at their retransmission timeout
	resent     bool      // or need not be (sent again, or given up by their asker)
	heapIndex  int       // in Node.deadlines while registered
}

// ended is a query that ended, to be told once Node.mu is released.
type ended struct {
	t   *txn
	res response
}

// txnOwner is told of its queries' progress, as sent and done are.
type txnOwner interface {
	sent(t *txn)
	done(t *txn, r response)
}

func (t *txn) tellSent() {
	if t.owner != nil {
		t.owner.sent(t)
	} else if t.sent != nil {
		t.sent(t.soft)
	}
}

func (t *txn) tellDone(r response) {
	if t.owner != nil {
		t.owner.done(t, r)
	} else {
		t.done(r)
	}
}

// send queues or sends t.
func (n *Node) send(t *txn) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		t.tellDone(response{err: ErrClosed})
		return
	}
	if t.own && n.inFlight >= maxOwnQueries {
		t.queued = true
		n.queue = append(n.queue, t)
		n.mu.Unlock()
		return
	}
	n.launchLocked(t)
	n.unlock()
}

// unlock releases n.mu, then does what the critical section left to do
// outside it: writes the datagrams of the queries launched, and runs the
// done callbacks of the queries ended.
func (n *Node) unlock() {
	out, again, later := n.outbox, n.again, n.later
	n.outbox, n.again, n.later = nil, nil, nil
	n.mu.Unlock()
	for _, t := range out {
		n.transmit(t, false)
	}
	for _, t := range again {
		n.transmit(t, true)
	}
	for _, e := range later {
		e.t.tellDone(e.res)
	}
}

// launchLocked registers t, starts its hard timeout and leaves its
// datagram for unlock to write.
func (n *Node) launchLocked(t *txn) {
	if t.own {
		t.holding = true
		n.inFlight++
	}
	for {
		t.tid = rand.Uint32()
		if _, taken := n.txns[t.tid]; !taken {
			break
		}
	}
	n.txns[t.tid] = t
	t.registered = true
	var rto time.Duration
	t.soft, rto = n.table.timeouts(t.to)
	t.start = time.Now()
	t.deadline = t.start.Add(hardTimeout(rto))
	if t.own {
		// A datagram lost on the way (or its reply) is sent again at the
		// retransmission timeout, not waited for until the hard one.
		t.resendAt = t.start.Add(rto)
	} else {
		t.resent = true
	}
	heap.Push(&n.deadlines, t)
	if t.heapIndex == 0 {
		n.armLocked()
	}
	n.outbox = append(n.outbox, t)
}

// transmit writes t's datagram: its first, or again.
func (n *Node) transmit(t *txn, again bool) {
	var tid [4]byte
	binary.BigEndian.PutUint32(tid[:], t.tid)
	buf := getBuf()
	*buf = krpc.AppendQuery((*buf)[:0], tid[:], t.method, t.args, n.readOnly)
	n.write(*buf, t.to)
	putBuf(buf)
	if again {
		n.stats.resent.Add(1)
		return
	}
	n.stats.sent(t.method)
	t.tellSent()
}

// finishLocked ends t, once: its done callback is left for unlock to run,
// and its slot goes to the next query queued.
func (n *Node) finishLocked(t *txn, res response) {
	if t.finished {
		return
	}
	t.finished = true
	if t.queued {
		t.queued = false
		for i, q := range n.queue {
			if q == t {
				n.queue = append(n.queue[:i], n.queue[i+1:]...)
				break
			}
		}
	}
	if t.registered {
		t.registered = false
		delete(n.txns, t.tid)
		heap.Remove(&n.deadlines, t.heapIndex)
	}
	n.releaseLocked(t)
	n.later = append(n.later, ended{t, res})
}

// releaseLocked gives back t's slot, if it holds one, and launches the
// queries waiting for slots.
func (n *Node) releaseLocked(t *txn) {
	if !t.holding {
		return
	}
	t.holding = false
	n.inFlight--
	if !t.resent && t.registered {
		t.resent = true // nobody waits for it any more
		heap.Fix(&n.deadlines, t.heapIndex)
	}
	for n.inFlight < maxOwnQueries && len(n.queue) > 0 && !n.closed {
		next := n.queue[0]
		n.queue = n.queue[1:]
		next.queued = false
		if next.ctx != nil && next.ctx.Err() != nil {
			next.finished = true
			err := next.ctx.Err()
			n.later = append(n.later, ended{next, response{err: err}})
			continue
		}
		n.launchLocked(next)
	}
}

// release is for a query whose asker has stopped waiting (its lookup
// ended, its context is done): a queued query ends now; a query in flight
// gives back its slot but stays registered until its reply or its hard
// timeout, so that the routing table still learns from either.
func (n *Node) release(t *txn, err error) {
	n.mu.Lock()
	if t.queued {
		n.finishLocked(t, response{err: err})
	} else {
		n.releaseLocked(t)
	}
	n.unlock()
}

// One timer per node serves every resend and hard timeout: it is set for
// the earliest, and when it fires the queries due are sent again or end.

// armLocked sets the node's timer for the earliest hard timeout.
func (n *Node) armLocked() {
	if len(n.deadlines) == 0 || n.closed {
		return
	}
	d := max(time.Until(n.deadlines[0].next()), 0)
	if n.timer == nil {
		n.timer = time.AfterFunc(d, n.expire)
	} else {
		n.timer.Reset(d)
	}
}

// expire ends the queries past their hard timeout: their nodes failed to
// answer.
func (n *Node) expire() {
	defer n.recoverPanic("a query's timeout")
	now := time.Now()
	var failed []netip.AddrPort
	n.mu.Lock()
	for len(n.deadlines) > 0 && !n.deadlines[0].next().After(now) {
		t := n.deadlines[0]
		if !t.resent {
			t.resent = true
			heap.Fix(&n.deadlines, 0)
			n.again = append(n.again, t)
			continue
		}
		n.finishLocked(t, response{err: ErrTimeout})
		n.stats.timeouts.Add(1)
		if t.own {
			failed = append(failed, t.to)
		}
	}
	n.armLocked()
	n.unlock()
	for _, a := range failed {
		n.table.failed(a)
	}
}

// txnHeap orders queries in flight by hard timeout (container/heap).
type txnHeap []*txn

func (h txnHeap) Len() int           { return len(h) }
func (h txnHeap) Less(i, j int) bool { return h[i].next().Before(h[j].next()) }

// next is when t's timer is next due: its resend, or its hard timeout.
func (t *txn) next() time.Time {
	if !t.resent {
		return t.resendAt
	}
	return t.deadline
}
func (h txnHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}
func (h *txnHeap) Push(x any) {
	t := x.(*txn)
	t.heapIndex = len(*h)
	*h = append(*h, t)
}
func (h *txnHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.heapIndex = -1
	return t
}

// complete ends the transaction that m (a reply or an error, decoded in
// the socket loop's buffer) answers, with a copy of what it says. It
// reports whether one did: a reply must come from the address the query
// went to.
func (n *Node) complete(m *krpc.Msg, from netip.AddrPort) bool {
	if len(m.T) != 4 {
		return false
	}
	tid := binary.BigEndian.Uint32(m.T)
	n.mu.Lock()
	t := n.txns[tid]
	if t == nil || t.to != from {
		n.mu.Unlock()
		return false
	}
	res := response{rtt: time.Since(t.start)}
	if m.Y == krpc.KindReply {
		res.r = &m.R
		n.stats.replies.Add(1)
	} else {
		res.err = m.E
		n.stats.errors.Add(1)
	}
	// The table first, so that the lookup the reply wakes sees it.
	if m.Y == krpc.KindReply && !m.RO {
		n.table.responded(m.R.ID, from, res.rtt)
	}
	if m.Y == krpc.KindReply && m.IP.IsValid() {
		if ext, changed := n.external.vote(m.IP.Addr(), from.Addr()); changed {
			n.externalChanged(ext)
		}
	}
	n.finishLocked(t, res)
	n.unlock()
	return true
}

// closeTransactions ends every query with ErrClosed.
func (n *Node) closeTransactions() {
	n.mu.Lock()
	for _, t := range n.txns {
		n.finishLocked(t, response{err: ErrClosed})
	}
	for len(n.queue) > 0 {
		n.finishLocked(n.queue[0], response{err: ErrClosed})
	}
	n.outbox = nil
	n.unlock()
}

// outQuery is one query of a batch.
type outQuery struct {
	to     netip.AddrPort
	method krpc.Method
	args   *krpc.Args
}

// batch collects the ends of queryAll's queries.
type batch struct {
	ch   chan batchEnd
	keep bool // copy the replies' values (otherwise only errors are kept)
}

type batchEnd struct {
	i int
	r response
}

func (b *batch) sent(*txn) {}

func (b *batch) done(t *txn, r response) {
	if r.r != nil {
		if b.keep {
			r.r = cloneReturn(r.r) // the socket loop's buffer is not ours
		} else {
			r.r = nil
		}
	}
	b.ch <- batchEnd{t.tag, r}
}

// queryAll sends qs in parallel and waits until each has ended, or ctx
// has; a query still out then ends with ctx's error. With keep, the
// replies' values are kept (copied); otherwise only how each ended.
func (n *Node) queryAll(ctx context.Context, qs []outQuery, keep bool) []response {
	out := make([]response, len(qs))
	b := &batch{ch: make(chan batchEnd, len(qs)), keep: keep}
	txns := make([]*txn, len(qs))
	for i, q := range qs {
		txns[i] = &txn{to: NormAddr(q.to), method: q.method, args: q.args, ctx: ctx, own: true, owner: b, tag: i}
		n.send(txns[i])
	}
	for left := len(qs); left > 0; left-- {
		select {
		case e := <-b.ch:
			out[e.i] = e.r
			txns[e.i] = nil
		case <-ctx.Done():
			for i, t := range txns {
				if t != nil {
					n.release(t, ctx.Err())
					out[i] = response{err: ctx.Err()}
				}
			}
			return out
		}
	}
	return out
}

// query sends one query and waits for how it ends, or for ctx.
func (n *Node) query(ctx context.Context, to netip.AddrPort, method krpc.Method, args *krpc.Args) response {
	return n.queryAll(ctx, []outQuery{{to, method, args}}, false)[0]
}

// verify pings a node that queried us, so that it enters the table as a
// node known to answer: at most maxVerifying at once, one per address;
// beyond that the work is shed.
func (n *Node) verify(addr netip.AddrPort) {
	n.mu.Lock()
	if _, busy := n.verifying[addr]; busy || len(n.verifying) >= maxVerifying || n.closed {
		n.mu.Unlock()
		n.stats.verifyShed.Add(1)
		return
	}
	n.verifying[addr] = struct{}{}
	n.mu.Unlock()
	args := &krpc.Args{ID: n.ID()}
	n.send(&txn{to: addr, method: krpc.MethodPing, args: args, done: func(response) {
		n.mu.Lock()
		delete(n.verifying, addr)
		n.mu.Unlock()
	}})
}

// Buffers for encoding datagrams.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, krpc.MaxDatagram); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

func (n *Node) write(b []byte, to netip.AddrPort) {
	if !n.sends.allow(len(b)) {
		n.stats.sendDropped.Add(1)
		return
	}
	if n.sink != nil {
		n.sink(b, to)
		return
	}
	if _, err := n.conn.WriteToUDPAddrPort(b, to); err != nil {
		n.stats.sendErrors.Add(1)
		n.debug("sending to %v: %v", to, err)
		return
	}
	n.stats.datagramsOut.Add(1)
	n.stats.bytesOut.Add(uint64(len(b)))
}

// cloneReturn copies a reply's values out of the socket loop's buffer.
func cloneReturn(r *krpc.Return) *krpc.Return {
	c := *r
	buf := make([]byte, 0, len(r.Nodes)+len(r.Nodes6)+len(r.Token)+len(r.V))
	keep := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	c.Nodes, c.Nodes6, c.Token, c.V = keep(r.Nodes), keep(r.Nodes6), keep(r.Token), keep(r.V)
	return &c
}
