package dht

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"slices"
	"sync"

	"github.com/scout-dht/scout/internal/krpc"
)

// Answer is a node that answered a get: its write token and, when it holds
// a verified copy of the item asked for, that item.
type Answer struct {
	Node  Contact
	Token []byte
	Item  *Item // nil: none, or one that failed verification
}

// Ping asks addr for its id; an answer puts the node in the table.
func (n *Node) Ping(ctx context.Context, addr netip.AddrPort) error {
	return n.query(ctx, addr, krpc.MethodPing, &krpc.Args{ID: n.ID()}).err
}

// FindNode looks up target with find_node queries, which fills the table
// with the nodes on the way. It returns how many nodes answered.
func (n *Node) FindNode(ctx context.Context, target ID) (int, error) {
	res, err := n.lookup(ctx, lookupSpec{
		target: target,
		method: krpc.MethodFindNode,
		args:   krpc.Args{Target: target, HasTarget: true, Want: n.want()},
		wide:   true,
	})
	return len(res), err
}

// Bootstrap joins the DHT, or refreshes what the node knows of it: a
// lookup of our own id, which fills the table with our neighbourhood, then
// in parallel a lookup of a random id in each bucket that holds fewer than
// k good nodes (Kademlia's bucket refresh), so that lookups from here find
// a way into every part of the id space. It reports whether any node
// answered.
func (n *Node) Bootstrap(ctx context.Context) bool {
	answered, _ := n.FindNode(ctx, n.ID())
	if answered == 0 && n.table.len() == 0 {
		return false // nobody answered
	}
	var wg sync.WaitGroup
	for _, i := range n.table.sparseBuckets() {
		var r [20]byte
		rand.Read(r[:])
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer n.recoverPanic("a bucket refresh")
			_, _ = n.FindNode(ctx, randomIDInBucket(n.ID(), i, r))
		}()
	}
	wg.Wait()
	return true
}

// Get looks up target with BEP 44 get queries: the answers carry write
// tokens and, where nodes hold it, the item, verified (an immutable
// item's value must hash to target; a mutable one must be signed by a key
// that does). seq, when hasSeq, asks nodes to leave out a mutable value
// whose seq is not above it. stop, when set, sees each answer as it comes
// and ends the lookup by returning true. Get returns the k closest nodes
// that answered, closest first.
func (n *Node) Get(ctx context.Context, target ID, seq int64, hasSeq bool, stop func(Answer) bool) ([]Answer, error) {
	v := newVerifier(target)
	spec := lookupSpec{
		target: target,
		method: krpc.MethodGet,
		args:   krpc.Args{Target: target, HasTarget: true, Seq: seq, HasSeq: hasSeq, Want: n.want()},
	}
	if stop != nil {
		spec.stop = func(r *lookupResult) bool { return stop(v.answer(r)) }
	}
	res, err := n.lookup(ctx, spec)
	if err != nil {
		return nil, err
	}
	out := make([]Answer, len(res))
	for i := range res {
		out[i] = v.answer(&res[i])
	}
	return out, nil
}

// GetFrom asks each of nodes for target directly, in parallel, and returns
// the answers of those that answered.
func (n *Node) GetFrom(ctx context.Context, target ID, nodes []Contact) []Answer {
	v := newVerifier(target)
	args := &krpc.Args{ID: n.ID(), Target: target, HasTarget: true}
	qs := make([]outQuery, len(nodes))
	for i, c := range nodes {
		qs[i] = outQuery{to: c.Addr, method: krpc.MethodGet, args: args}
	}
	var out []Answer
	for i, r := range n.queryAll(ctx, qs, true) {
		if r.err == nil && r.r != nil {
			res := resultOf(nodes[i], r.r)
			out = append(out, v.answer(&res))
		}
	}
	return out
}

// resultOf copies what a reply from c says about an item: its token, and
// the item when it carries a value.
func resultOf(c Contact, r *krpc.Return) lookupResult {
	res := lookupResult{Contact: c, token: append([]byte(nil), r.Token...)}
	if r.V == nil {
		return res
	}
	if r.HasK || r.HasSig || r.HasSeq {
		if !r.HasK || !r.HasSig || !r.HasSeq {
			return res // a mutable item without its key, signature or seq
		}
		res.item = &Item{V: append([]byte(nil), r.V...), Mutable: true, K: r.K, Sig: r.Sig, Seq: r.Seq}
		return res
	}
	res.item = &Item{V: append([]byte(nil), r.V...)}
	return res
}

// verifier turns get replies into answers, verifying each distinct copy
// of the item once (replicas are mostly identical).
type verifier struct {
	target ID
	mu     sync.Mutex
	seen   map[[64]byte][]*Item // by signature (immutable items: none)
	ok     map[*Item]bool
}

func newVerifier(target ID) *verifier { return &verifier{target: target} }

func (v *verifier) answer(r *lookupResult) Answer {
	a := Answer{Node: r.Contact, Token: r.token}
	it := r.item
	if it == nil {
		return a
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, got := range v.seen[it.Sig] {
		if got.Seq == it.Seq && got.Mutable == it.Mutable && got.K == it.K && bytes.Equal(got.V, it.V) {
			if v.ok[got] {
				a.Item = got
			}
			return a
		}
	}
	if v.seen == nil {
		v.seen, v.ok = make(map[[64]byte][]*Item), make(map[*Item]bool)
	}
	v.seen[it.Sig] = append(v.seen[it.Sig], it)
	if it.Target() == v.target && (!it.Mutable || it.Verify()) && krpc.Valid(it.V) {
		v.ok[it] = true
		a.Item = it
	}
	return a
}

// PutResult counts the answers to a round of puts.
type PutResult struct {
	Stored    int
	Conflicts int   // 301 (cas) and 302 (seq) refusals: another writer got in first
	LastErr   error // the last refusal or failure
}

// Put sends it to every node of to that gave a token, in parallel, and
// counts the answers. cas, when set, gives each node's cas: the seq that
// node held when read (ok false: send none). It returns once a majority of
// those nodes have stored it and every refusal so far is counted, or every
// put has ended: the slowest nodes' puts go on without being waited for.
//
// With cas, that is safe for concurrent writers of one item: two writers
// that read the same nodes cannot both be stored by a majority of them,
// since each node takes only the first of two puts whose cas names what it
// held; the other writer sees a refusal before it has a majority, and
// merges and writes again.
func (n *Node) Put(ctx context.Context, to []Answer, it Item, cas func(Answer) (int64, bool)) PutResult {
	p := newPutRound(n, it, cas)
	var sent []*txn
	for _, a := range to {
		if t := p.query(a); t != nil {
			sent = append(sent, t)
		}
	}
	p.mu.Lock()
	p.quorum = len(sent)/2 + 1
	p.mu.Unlock()
	for _, t := range sent {
		n.send(t)
	}
	return p.wait(ctx)
}

// PutItem stores it on the k nodes closest to its target, with the lookup
// and the puts in one go: each node that answers the lookup while among
// the k closest known gets its put at once (a node that closer ones later
// pass keeps a spare copy), and the final k that have not had one get it
// when the lookup ends. It returns once a majority of the final k have
// stored it (or every put has ended): the slowest nodes' puts go on
// without being waited for, and count only if they ended before. It
// returns how the puts ended and the nodes the lookup found.
func (n *Node) PutItem(ctx context.Context, it Item) (PutResult, []Answer, error) {
	p := newPutRound(n, it, nil)
	target := it.Target()
	res, err := n.lookup(ctx, lookupSpec{
		target: target,
		method: krpc.MethodGet,
		args:   krpc.Args{Target: target, HasTarget: true, Want: n.want()},
		near:   func(r *lookupResult) *txn { return p.query(Answer{Node: r.Contact, Token: r.token}) },
	})
	if err != nil {
		return p.wait(ctx), nil, err
	}
	out := make([]Answer, len(res))
	final := make(map[netip.AddrPort]bool, len(res))
	for i, r := range res {
		out[i] = Answer{Node: r.Contact, Token: r.token}
		final[r.Addr] = true
		if t := p.query(out[i]); t != nil {
			n.send(t)
		}
	}
	p.mu.Lock()
	p.final, p.quorum = final, len(final)/2+1
	p.mu.Unlock()
	return p.wait(ctx), out, nil
}

// putRound sends one item's puts and counts how they end.
type putRound struct {
	n   *Node
	it  Item
	cas func(Answer) (int64, bool)

	mu      sync.Mutex
	asked   map[netip.AddrPort]bool
	out     []*txn // not ended yet
	res     PutResult
	changed chan struct{} // a put ended
	// With a quorum, wait returns once that many of the final nodes have
	// stored the item.
	final        map[netip.AddrPort]bool
	quorum, held int
}

func newPutRound(n *Node, it Item, cas func(Answer) (int64, bool)) *putRound {
	return &putRound{n: n, it: it, cas: cas, asked: make(map[netip.AddrPort]bool), changed: make(chan struct{}, 1)}
}

// query returns the put for a, or nil when a gave no token or has had one.
func (p *putRound) query(a Answer) *txn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a.Token == nil || p.asked[a.Node.Addr] {
		return nil
	}
	p.asked[a.Node.Addr] = true
	args := &krpc.Args{ID: p.n.ID(), Token: a.Token, V: p.it.V, Salt: p.it.Salt}
	if p.it.Mutable {
		args.K, args.HasK, args.Sig, args.HasSig, args.Seq, args.HasSeq = p.it.K, true, p.it.Sig, true, p.it.Seq, true
	}
	if p.cas != nil {
		args.Cas, args.HasCas = p.cas(a)
	}
	t := &txn{to: NormAddr(a.Node.Addr), method: krpc.MethodPut, args: args, own: true, owner: p}
	p.out = append(p.out, t)
	return t
}

func (p *putRound) sent(*txn) {}

func (p *putRound) done(t *txn, r response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.out, t)
	if i < 0 {
		return // given up on already
	}
	p.out = slices.Delete(p.out, i, i+1)
	var ke krpc.Error
	switch {
	case r.err == nil:
		p.res.Stored++
		if p.final == nil || p.final[t.to] {
			p.held++
		}
	case errors.As(r.err, &ke) && (ke.Code == krpc.CodeCasMismatch || ke.Code == krpc.CodeSeqTooLow):
		p.res.Conflicts++
		p.res.LastErr = r.err
	default:
		p.res.LastErr = r.err
		p.n.debug("put to %v: %v", t.to, r.err)
	}
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// wait waits until every put sent has ended, or ctx has (the puts still
// out are then let go), and returns the count.
func (p *putRound) wait(ctx context.Context) PutResult {
	for {
		p.mu.Lock()
		if len(p.out) == 0 || p.quorum > 0 && p.held >= p.quorum {
			defer p.mu.Unlock()
			return p.res
		}
		p.mu.Unlock()
		select {
		case <-p.changed:
		case <-ctx.Done():
			p.mu.Lock()
			out := p.out
			p.out = nil
			if p.res.LastErr == nil {
				p.res.LastErr = ctx.Err()
			}
			res := p.res
			p.mu.Unlock()
			for _, t := range out {
				p.n.release(t, ctx.Err())
			}
			return res
		}
	}
}
