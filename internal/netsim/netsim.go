// Package netsim emulates the internet between the nodes of a loopback
// swarm: each node's UDP socket is wrapped so that a datagram to another
// node of the swarm leaves only after the two nodes' access delays (drawn
// per node from a lognormal distribution), plus jitter that can reorder,
// and may be lost; a dead node is a black hole (nothing reaches it, nothing
// leaves it), and nodes in different partitions do not hear each other.
// Datagrams still travel through the kernel, between real sockets.
//
// The per-node delays and the choice of whom to kill follow from the
// seed; which datagram is lost depends on the order the nodes send in.
package netsim

import (
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Model is what the emulated network does to datagrams. The zero value is
// a perfect network: no delay, no loss.
type Model struct {
	// RTT is the median round trip between two nodes; each node's access
	// delay is lognormal (sigma 0.7) around it, which puts the p99 of
	// round trips at about 3.6 times the median.
	RTT time.Duration
	// MaxRTT caps every round trip (each node's access delay is at most a
	// quarter of it). Zero: 500 ms or 8 times RTT, whichever is more.
	MaxRTT time.Duration
	// Jitter adds to each datagram's delay a uniform random share of it,
	// up to this fraction (0.2: up to 20 % more), so that datagrams can
	// overtake each other.
	Jitter float64
	// Loss is the probability that a datagram is lost, each way.
	Loss float64
	// Seed makes the delays and the victims of Kill repeatable.
	Seed uint64
}

// sigma of the per-node access delay's lognormal distribution, and the
// factor that brings the median of the sum of two nodes' delays to RTT/2.
const (
	sigma          = 0.7
	medianOfAccess = 0.45 // RTT × 0.45 / 2 per node: pairwise median ≈ RTT
)

// Network is the emulated internet of one swarm.
type Network struct {
	model Model

	mu    sync.RWMutex
	rng   *rand.Rand // for Kill
	nodes map[netip.AddrPort]*Conn
	order []*Conn // by index

	sent, lost, blocked, delivered atomic.Uint64
}

// New returns a network of model m.
func New(m Model) *Network {
	if m.RTT > 0 && m.MaxRTT == 0 {
		m.MaxRTT = max(500*time.Millisecond, 8*m.RTT)
	}
	return &Network{model: m, rng: rand.New(rand.NewPCG(m.Seed, 0x5c0c7)), nodes: make(map[netip.AddrPort]*Conn)}
}

// Conn is a node's socket on the network: the node reads from it as from
// its UDP socket, and its writes to other nodes of the network pass
// through the model.
type Conn struct {
	*net.UDPConn
	net    *Network
	index  int
	addr   netip.AddrPort
	access time.Duration // one way
	rng    *rand.Rand    // for this node's datagrams; guarded by mu
	mu     sync.Mutex
	dead   atomic.Bool
	group  atomic.Int32 // partition
	// Datagrams this node wrote to other nodes, and that others wrote to it.
	out, in atomic.Uint64
}

// Wrap registers c as node number index of the network (its delay
// follows from the seed and the index) and returns the socket its node is
// to use. Nodes may be wrapped in any order, from many goroutines.
func (n *Network) Wrap(c *net.UDPConn, index int) *Conn {
	addr := c.LocalAddr().(*net.UDPAddr).AddrPort()
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	w := &Conn{UDPConn: c, net: n, index: index, addr: addr, rng: rand.New(rand.NewPCG(n.model.Seed, uint64(index)+1))}
	if n.model.RTT > 0 {
		median := float64(n.model.RTT) * medianOfAccess / 2
		d := time.Duration(median * math.Exp(sigma*w.rng.NormFloat64()))
		w.access = min(d, n.model.MaxRTT/4)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nodes[addr] = w
	for len(n.order) <= index {
		n.order = append(n.order, nil)
	}
	n.order[index] = w
	return w
}

// WriteToUDPAddrPort sends b to addr through the model: at once to an
// address that is not a node of the network, otherwise after the two
// nodes' access delays and jitter, unless it is lost, or either node is
// dead, or they are in different partitions.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	n := c.net
	n.mu.RLock()
	dst := n.nodes[netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())]
	n.mu.RUnlock()
	if dst == nil {
		// An endpoint outside the network (a client of the swarm): this
		// node's side of the model applies, its access delay and loss, and
		// a dead node sends it nothing.
		dst = outside
	} else {
		n.sent.Add(1)
		dst.in.Add(1)
	}
	c.out.Add(1)
	if c.dead.Load() || dst.dead.Load() || c.group.Load() != dst.group.Load() {
		n.blocked.Add(1)
		return len(b), nil
	}
	c.mu.Lock()
	lost := n.model.Loss > 0 && c.rng.Float64() < n.model.Loss
	delay := c.access + dst.access
	if n.model.Jitter > 0 {
		delay += time.Duration(float64(delay) * n.model.Jitter * c.rng.Float64())
	}
	c.mu.Unlock()
	if lost {
		n.lost.Add(1)
		return len(b), nil
	}
	if delay <= 0 {
		n.delivered.Add(1)
		return c.UDPConn.WriteToUDPAddrPort(b, addr)
	}
	msg := append([]byte(nil), b...)
	time.AfterFunc(delay, func() {
		// Whoever died meanwhile takes the datagram with it.
		if c.dead.Load() || dst.dead.Load() {
			n.blocked.Add(1)
			return
		}
		n.delivered.Add(1)
		_, _ = c.UDPConn.WriteToUDPAddrPort(msg, addr)
	})
	return len(b), nil
}

// outside stands for any endpoint that is not a node of the network: no
// delay of its own, never dead, in partition 0.
var outside = &Conn{}

// ReadFromUDPAddrPort reads the next datagram for the node. A dead node
// reads nothing from outside the network (the nodes of the network drop
// what they send it themselves).
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := c.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil || !c.dead.Load() {
			return n, from, err
		}
		c.net.mu.RLock()
		member := c.net.nodes[netip.AddrPortFrom(from.Addr().Unmap(), from.Port())] != nil
		c.net.mu.RUnlock()
		if member {
			return n, from, err // sent before it died
		}
		c.net.blocked.Add(1)
	}
}

// Datagrams returns how many datagrams this node wrote to other nodes of
// the network (or outside it) and how many the nodes wrote to it (lost or
// not).
func (c *Conn) Datagrams() (out, in uint64) { return c.out.Load(), c.in.Load() }

// Access returns the node's one-way access delay.
func (c *Conn) Access() time.Duration { return c.access }

// SetDead makes the node a black hole (or brings it back).
func (c *Conn) SetDead(dead bool) { c.dead.Store(dead) }

// Dead reports whether the node is a black hole.
func (c *Conn) Dead() bool { return c.dead.Load() }

// SetPartition puts the node in partition g: it hears only the nodes of
// the same partition (all start in partition 0).
func (c *Conn) SetPartition(g int) { c.group.Store(int32(g)) }

// Node returns node number i.
func (n *Network) Node(i int) *Conn {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.order[i]
}

// Index returns the node's number.
func (c *Conn) Index() int { return c.index }

// Kill makes a fraction (0 to 1) of the nodes (of all of them), chosen
// from the seed among the live ones not excluded, black holes, and returns
// them.
func (n *Network) Kill(fraction float64, exclude func(*Conn) bool) []*Conn {
	if !(fraction > 0) { // also NaN
		return nil
	}
	fraction = min(fraction, 1)
	n.mu.Lock()
	var live []*Conn
	for _, c := range n.order {
		if c != nil && !c.Dead() && (exclude == nil || !exclude(c)) {
			live = append(live, c)
		}
	}
	n.rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	n.mu.Unlock()
	victims := live[:min(len(live), int(math.Round(fraction*float64(len(n.order)))))]
	for _, c := range victims {
		c.SetDead(true)
	}
	return victims
}

// Stats counts the datagrams between nodes of the network.
type Stats struct {
	Sent      uint64 // written by a node to another
	Lost      uint64 // dropped by the loss model
	Blocked   uint64 // to or from a dead node, or across a partition
	Delivered uint64 // handed to the kernel
}

// Stats returns the counts so far.
func (n *Network) Stats() Stats {
	return Stats{Sent: n.sent.Load(), Lost: n.lost.Load(), Blocked: n.blocked.Load(), Delivered: n.delivered.Load()}
}

// RTT returns the round trip the model gives two nodes (without jitter).
func RTT(a, b *Conn) time.Duration { return 2 * (a.access + b.access) }
