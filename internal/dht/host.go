package dht

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
)

// Host is what runs a session's DHT: one node, or a dual-stack pair
// (BEP 32), an IPv4 node and an IPv6 node with a socket, a routing table
// and an id each (BEP 42 derives an id from each family's address), which
// share one store. Each operation runs on every node at once: the IPv4
// and the IPv6 DHT are two DHTs, each with its own closest nodes to a
// target. A get gathers the answers of both; a put writes to both, and a
// round of puts succeeds as a whole (a majority of the union of the nodes
// written to is a majority of one family's at least).
type Host struct {
	nodes []*Node // one or two; the IPv4 node first
}

// NewHost makes a host of one node, or two of different families that it
// pairs (Node.Pair).
func NewHost(nodes ...*Node) (*Host, error) {
	switch {
	case len(nodes) == 1:
	case len(nodes) == 2 && nodes[0].v6 != nodes[1].v6:
		if nodes[0].v6 {
			nodes[0], nodes[1] = nodes[1], nodes[0]
		}
		nodes[0].Pair(nodes[1])
	default:
		return nil, errors.New("dht: a host is one node or an IPv4 and an IPv6 node")
	}
	return &Host{nodes: nodes}, nil
}

// Nodes returns the host's nodes, the IPv4 one first.
func (h *Host) Nodes() []*Node { return h.nodes }

// Primary is the first node: the IPv4 one when there is one.
func (h *Host) Primary() *Node { return h.nodes[0] }

// node returns the node of a's family, or nil.
func (h *Host) node(a netip.AddrPort) *Node {
	for _, n := range h.nodes {
		if n.sameFamily(a) {
			return n
		}
	}
	return nil
}

// ID is the primary node's id.
func (h *Host) ID() ID { return h.Primary().ID() }

// Addr is the primary node's address.
func (h *Host) Addr() netip.AddrPort { return h.Primary().Addr() }

// ReadOnly reports whether the nodes are read-only.
func (h *Host) ReadOnly() bool { return h.Primary().ReadOnly() }

// Store is the nodes' store.
func (h *Host) Store() *Store { return h.Primary().Store() }

// SetSeeds gives each node the seeds of its family.
func (h *Host) SetSeeds(seeds []Contact) {
	for _, n := range h.nodes {
		n.SetSeeds(seeds)
	}
}

// SetExternal gives the node of ip's family its external address
// (Node.SetExternal).
func (h *Host) SetExternal(ip netip.Addr) {
	for _, n := range h.nodes {
		n.SetExternal(ip)
	}
}

// Close closes every node.
func (h *Host) Close() {
	for _, n := range h.nodes {
		n.Close()
	}
}

// NodeCount sums the nodes' tables.
func (h *Host) NodeCount() (nodes, good int) {
	for _, n := range h.nodes {
		a, b := n.NodeCount()
		nodes, good = nodes+a, good+b
	}
	return nodes, good
}

// GoodContacts returns the good nodes of every table.
func (h *Host) GoodContacts() []Contact {
	var out []Contact
	for _, n := range h.nodes {
		out = append(out, n.GoodContacts()...)
	}
	return out
}

// each runs f on every node, in parallel when there are two.
func (h *Host) each(f func(i int, n *Node)) {
	if len(h.nodes) == 1 {
		f(0, h.nodes[0])
		return
	}
	var wg sync.WaitGroup
	for i, n := range h.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer n.recoverPanic("a dual-stack operation")
			f(i, n)
		}()
	}
	wg.Wait()
}

// Ping pings addr from the node of its family.
func (h *Host) Ping(ctx context.Context, addr netip.AddrPort) error {
	n := h.node(addr)
	if n == nil {
		return errNoFamily
	}
	return n.Ping(ctx, addr)
}

// errNoFamily: an address of a family the host has no node for.
var errNoFamily = errors.New("dht: no node of the address's family (IPv4 or IPv6)")

// Bootstrap bootstraps every node. A node of a family the seeds did not
// reach tries again once the other has bootstrapped: the other's lookups
// ask for its family's nodes (BEP 32's want) while it has too few.
func (h *Host) Bootstrap(ctx context.Context) bool {
	ok := make([]bool, len(h.nodes))
	h.each(func(i int, n *Node) { ok[i] = n.Bootstrap(ctx) })
	any := false
	for i, n := range h.nodes {
		if !ok[i] && len(h.nodes) == 2 && len(n.getSeeds()) > 0 && ctx.Err() == nil {
			ok[i] = n.Bootstrap(ctx)
		}
		any = any || ok[i]
	}
	return any
}

// Get runs Node.Get on every node and returns the answers of all, each
// node's closest first. stop, when it returns true, ends every lookup.
// It fails only when every node's lookup failed.
func (h *Host) Get(ctx context.Context, target ID, seq int64, hasSeq bool, stop func(Answer) bool) ([]Answer, error) {
	if len(h.nodes) == 1 {
		return h.nodes[0].Get(ctx, target, seq, hasSeq, stop)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		stopped bool
	)
	var each func(Answer) bool
	if stop != nil {
		each = func(a Answer) bool {
			mu.Lock()
			defer mu.Unlock()
			if stopped || stop(a) {
				stopped = true
				cancel()
			}
			return stopped
		}
	}
	answers := make([][]Answer, len(h.nodes))
	errs := make([]error, len(h.nodes))
	h.each(func(i int, n *Node) { answers[i], errs[i] = n.Get(ctx, target, seq, hasSeq, each) })
	out, err := gather(answers, errs)
	mu.Lock()
	defer mu.Unlock()
	if err != nil && !stopped {
		return nil, err
	}
	return out, nil
}

// gather joins the nodes' answers, the first node's first; the error is
// all of theirs when every node failed, else nil.
func gather(answers [][]Answer, errs []error) ([]Answer, error) {
	var out []Answer
	failed := 0
	for i := range answers {
		out = append(out, answers[i]...)
		if errs[i] != nil {
			failed++
		}
	}
	if failed == len(errs) {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// byFamily splits items among the host's nodes by the family of each one's
// address.
func byFamily[T any](h *Host, items []T, addr func(T) netip.AddrPort) [][]T {
	parts := make([][]T, len(h.nodes))
	for _, it := range items {
		for i, n := range h.nodes {
			if n.sameFamily(addr(it)) {
				parts[i] = append(parts[i], it)
			}
		}
	}
	return parts
}

// GetFrom asks each of nodes from the node of its family.
func (h *Host) GetFrom(ctx context.Context, target ID, nodes []Contact) []Answer {
	if len(h.nodes) == 1 {
		return h.nodes[0].GetFrom(ctx, target, nodes)
	}
	parts := byFamily(h, nodes, func(c Contact) netip.AddrPort { return c.Addr })
	answers := make([][]Answer, len(h.nodes))
	h.each(func(i int, n *Node) {
		if len(parts[i]) > 0 {
			answers[i] = n.GetFrom(ctx, target, parts[i])
		}
	})
	return slices.Concat(answers...)
}

// Put sends it to each of to from the node of its family (Node.Put) and
// sums how the puts ended.
func (h *Host) Put(ctx context.Context, to []Answer, it Item, cas func(Answer) (int64, bool)) PutResult {
	if len(h.nodes) == 1 {
		return h.nodes[0].Put(ctx, to, it, cas)
	}
	parts := byFamily(h, to, func(a Answer) netip.AddrPort { return a.Node.Addr })
	res := make([]PutResult, len(h.nodes))
	h.each(func(i int, n *Node) {
		if len(parts[i]) > 0 {
			res[i] = n.Put(ctx, parts[i], it, cas)
		}
	})
	return sumPuts(res)
}

// PutItem runs Node.PutItem on every node, and sums how the puts ended;
// it fails only when every node's lookup failed.
func (h *Host) PutItem(ctx context.Context, it Item) (PutResult, []Answer, error) {
	if len(h.nodes) == 1 {
		return h.nodes[0].PutItem(ctx, it)
	}
	res := make([]PutResult, len(h.nodes))
	answers := make([][]Answer, len(h.nodes))
	errs := make([]error, len(h.nodes))
	h.each(func(i int, n *Node) { res[i], answers[i], errs[i] = n.PutItem(ctx, it) })
	out, err := gather(answers, errs)
	if err != nil {
		return sumPuts(res), nil, err
	}
	return sumPuts(res), out, nil
}

func sumPuts(rs []PutResult) PutResult {
	var out PutResult
	for _, r := range rs {
		out.Stored += r.Stored
		out.Conflicts += r.Conflicts
		if r.LastErr != nil {
			out.LastErr = r.LastErr
		}
	}
	return out
}
