package dht

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
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
	return n.query(ctx, addr, krpc.MethodPing, &krpc.Args{ID: n.id}).err
}

// FindNode looks up target with find_node queries, which fills the table
// with the nodes on the way. It returns how many nodes answered.
func (n *Node) FindNode(ctx context.Context, target ID) (int, error) {
	res, err := n.lookup(ctx, lookupSpec{
		target: target,
		method: krpc.MethodFindNode,
		args:   krpc.Args{Target: target, HasTarget: true, Want: krpc.WantN4},
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
	answered, _ := n.FindNode(ctx, n.id)
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
			_, _ = n.FindNode(ctx, randomIDInBucket(n.id, i, r))
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
		args:   krpc.Args{Target: target, HasTarget: true, Seq: seq, HasSeq: hasSeq, Want: krpc.WantN4},
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
	args := &krpc.Args{ID: n.id, Target: target, HasTarget: true}
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
// node held when read (ok false: send none).
func (n *Node) Put(ctx context.Context, to []Answer, it Item, cas func(Answer) (int64, bool)) PutResult {
	qs := make([]outQuery, 0, len(to))
	nodes := make([]Contact, 0, len(to))
	args := make([]krpc.Args, len(to))
	for i, a := range to {
		if a.Token == nil {
			continue
		}
		args := &args[i]
		*args = krpc.Args{ID: n.id, Token: a.Token, V: it.V, Salt: it.Salt}
		if it.Mutable {
			args.K, args.HasK, args.Sig, args.HasSig, args.Seq, args.HasSeq = it.K, true, it.Sig, true, it.Seq, true
		}
		if cas != nil {
			args.Cas, args.HasCas = cas(a)
		}
		qs = append(qs, outQuery{to: a.Node.Addr, method: krpc.MethodPut, args: args})
		nodes = append(nodes, a.Node)
	}
	var res PutResult
	for i, r := range n.queryAll(ctx, qs, false) {
		var ke krpc.Error
		switch {
		case r.err == nil:
			res.Stored++
		case errors.As(r.err, &ke) && (ke.Code == krpc.CodeCasMismatch || ke.Code == krpc.CodeSeqTooLow):
			res.Conflicts++
			res.LastErr = r.err
		default:
			res.LastErr = r.err
			n.debug("put to %v: %v", nodes[i].Addr, r.err)
		}
	}
	return res
}
