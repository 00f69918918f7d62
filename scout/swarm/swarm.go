// Package swarm starts a loopback swarm of real Scout DHT nodes in one
// process, for tests, the demo, benchmarks and the other languages' tests.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/netsim"
	"github.com/scout-dht/scout/scout"
)

// Options configure a swarm. The zero value means "default".
type Options struct {
	// Nodes is how many nodes to start. Zero: 32. At most 16,384.
	Nodes int
	// Port is the first node's UDP port on 127.0.0.1 (::1 with IPv6);
	// the others follow. Zero: every node on a port the system chooses.
	Port int
	// IPv6 puts the swarm on ::1: an IPv6 DHT (BEP 32), its nodes
	// reached at "[::1]:PORT".
	IPv6 bool
	// Store bounds what each node keeps.
	Store scout.StoreLimits
	// WAN, when set, puts the swarm on an emulated internet: round trips,
	// jitter and loss between its nodes, which can also die or be split
	// apart (Kill, SetDead, Partition).
	WAN *WAN
}

// WAN is the emulated internet between the nodes of a swarm: each node has
// an access delay drawn from a lognormal distribution (the same for every
// datagram it sends or receives), so that round trips between two nodes
// have the median RTT, a p99 about 3.6 times that, and at most MaxRTT.
// The delays and the choice of victims follow from Seed.
type WAN struct {
	RTT    time.Duration // median round trip; zero: no delay
	MaxRTT time.Duration // zero: 500 ms or 8 × RTT, whichever is more
	Jitter float64       // up to this fraction of a datagram's delay is added at random
	Loss   float64       // probability that a datagram is lost, each way
	Seed   uint64
}

// Swarm is a running loopback swarm.
type Swarm struct {
	mu    sync.Mutex // guards nodes and conns as Join grows them
	nodes []*scout.Session
	net   *netsim.Network // nil without a WAN
	conns []*netsim.Conn  // each node's, with a WAN
	opts  Options
	once  sync.Once
}

// joinParallel is how many nodes join (or refresh) at once: on loopback
// the join is CPU-bound, on an emulated WAN it waits on round trips.
const (
	joinParallel    = 64
	joinParallelWAN = 512
)

// Start starts the nodes and joins them into one DHT the way nodes join
// the mainline DHT: each through the first node, with a lookup of its own
// id and one of a random id, then once more, in parallel, so that the
// nodes which joined early learn the ones which joined late. That costs
// O(log N) queries per node, O(N log N) in all. Start returns once every
// node has done so. On error, nothing is left running.
func Start(ctx context.Context, opts Options) (*Swarm, error) {
	n := opts.Nodes
	if n == 0 {
		n = 32
	}
	if n < 1 || n > 16384 {
		return nil, fmt.Errorf("%w: swarm of %d nodes", scout.ErrInvalidArgument, n)
	}
	if opts.Port < 0 || opts.Port > 0 && opts.Port+n-1 > 65535 {
		return nil, fmt.Errorf("%w: swarm port %d", scout.ErrInvalidArgument, opts.Port)
	}
	sw := &Swarm{nodes: make([]*scout.Session, n), opts: opts}
	parallel := joinParallel
	timeout := 10 * time.Second
	socket := func(int) func(*net.UDPConn) scout.PacketConn { return nil }
	if w := opts.WAN; w != nil {
		if w.RTT < 0 || w.MaxRTT < 0 || !(w.Jitter >= 0) || !(w.Loss >= 0) || w.Loss >= 1 { // NaN fails too
			return nil, fmt.Errorf("%w: WAN model %+v", scout.ErrInvalidArgument, *w)
		}
		sw.net = netsim.New(netsim.Model{RTT: w.RTT, MaxRTT: w.MaxRTT, Jitter: w.Jitter, Loss: w.Loss, Seed: w.Seed})
		sw.conns = make([]*netsim.Conn, n)
		socket = func(i int) func(*net.UDPConn) scout.PacketConn {
			return func(c *net.UDPConn) scout.PacketConn {
				sw.conns[i] = sw.net.Wrap(c, i)
				return sw.conns[i]
			}
		}
		parallel = joinParallelWAN
		timeout = 30 * time.Second
	}
	addr := func(i int) string {
		port := 0
		if opts.Port != 0 {
			port = opts.Port + i
		}
		return net.JoinHostPort(sw.host(), strconv.Itoa(port))
	}
	first, err := scout.NewSession(scout.Options{ListenAddr: addr(0), Bootstrap: []string{}, Timeout: timeout, Store: opts.Store, Socket: socket(0)})
	if err != nil {
		return nil, err
	}
	if err := first.Start(ctx); err != nil {
		return nil, err
	}
	sw.nodes[0] = first
	boot := []string{sw.Bootstrap()}
	for i := 1; i < n; i++ {
		s, err := scout.NewSession(scout.Options{ListenAddr: addr(i), Bootstrap: boot, Timeout: timeout, Store: opts.Store, Socket: socket(i)})
		if err != nil {
			sw.Close()
			return nil, err
		}
		sw.nodes[i] = s
	}
	// Join, then refresh.
	if err := sw.each(ctx, func(s *scout.Session) error { return s.Start(ctx) }, 1, parallel); err != nil {
		sw.Close()
		return nil, err
	}
	// A refresh that ran out of time still taught the node what it met.
	refresh := func(s *scout.Session) error {
		if err := s.Refresh(ctx); err != nil && ctx.Err() != nil {
			return err
		}
		return nil
	}
	if err := sw.each(ctx, refresh, 0, parallel); err != nil {
		sw.Close()
		return nil, err
	}
	return sw, nil
}

// each runs f on the nodes from index from on, parallel at a time.
func (s *Swarm) each(ctx context.Context, f func(*scout.Session) error, from, parallel int) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, parallel)
	)
	for _, node := range s.nodes[from:] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(node); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// host is the swarm's loopback address.
func (s *Swarm) host() string {
	if s.opts.IPv6 {
		return "::1"
	}
	return "127.0.0.1"
}

// Bootstrap returns the first node's address, "127.0.0.1:PORT" or
// "[::1]:PORT".
func (s *Swarm) Bootstrap() string { return s.nodes[0].Addr().String() }

// Addrs returns every node's address.
func (s *Swarm) Addrs() []netip.AddrPort {
	nodes := s.Sessions()
	out := make([]netip.AddrPort, 0, len(nodes))
	for _, n := range nodes {
		if n != nil {
			out = append(out, n.Addr())
		}
	}
	return out
}

// Sessions returns the swarm's nodes, for tests that operate from them.
func (s *Swarm) Sessions() []*scout.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*scout.Session(nil), s.nodes...)
}

// Join starts one more node, on the swarm's WAN if it has one, joined the
// ordinary way through the first node, and returns its session (index
// len(Sessions())-1), which the swarm stops with the others. opts sets
// what the swarm does not (ListenAddr, ListenAddr6, Families, Bootstrap
// and Socket are the swarm's).
func (s *Swarm) Join(ctx context.Context, opts scout.Options) (*scout.Session, error) {
	opts.ListenAddr = net.JoinHostPort(s.host(), "0")
	opts.ListenAddr6 = ""
	opts.Families = scout.FamiliesAuto
	opts.Bootstrap = []string{s.Bootstrap()}
	opts.Socket = nil
	if opts.Store == (scout.StoreLimits{}) {
		opts.Store = s.opts.Store
	}
	i := -1 // the node's index, taken once the options are known to be good
	if s.net != nil {
		opts.Socket = func(c *net.UDPConn) scout.PacketConn {
			wc := s.net.Wrap(c, i)
			s.mu.Lock()
			s.conns[i] = wc
			s.mu.Unlock()
			return wc
		}
	}
	sess, err := scout.NewSession(opts)
	if err != nil {
		return nil, err // refused options take no index
	}
	s.mu.Lock()
	i = len(s.nodes)
	s.nodes = append(s.nodes, sess) // a Join beside this one gets the next
	if s.net != nil {
		for len(s.conns) <= i {
			s.conns = append(s.conns, nil)
		}
	}
	s.mu.Unlock()
	if err := sess.Start(ctx); err != nil {
		return nil, err
	}
	return sess, nil
}

// Close stops every node. Calling it again does nothing.
func (s *Swarm) Close() error {
	s.once.Do(func() {
		var wg sync.WaitGroup
		for _, n := range s.Sessions() {
			if n != nil {
				wg.Add(1)
				go func() { defer wg.Done(); n.Stop() }()
			}
		}
		wg.Wait()
	})
	return nil
}

// The emulated WAN: all of these fail, or do nothing, on a swarm started
// without Options.WAN.

// errNoWAN is what the WAN's methods return on a swarm without one.
var errNoWAN = fmt.Errorf("%w: the swarm has no emulated WAN", scout.ErrWrongState)

// Kill makes a fraction of the nodes (chosen from the WAN's seed, never the
// first, through which others join) die without a word: nothing reaches
// them and nothing leaves them. It returns their indices.
func (s *Swarm) Kill(fraction float64) ([]int, error) {
	if s.net == nil {
		return nil, errNoWAN
	}
	if !(fraction >= 0 && fraction <= 1) {
		return nil, fmt.Errorf("%w: a fraction of %v of the nodes", scout.ErrInvalidArgument, fraction)
	}
	first := s.conn(0)
	victims := s.net.Kill(fraction, func(c *netsim.Conn) bool { return c == first })
	out := make([]int, len(victims))
	for i, v := range victims {
		out[i] = v.Index()
	}
	return out, nil
}

// SetDead kills node i, or brings it back.
func (s *Swarm) SetDead(i int, dead bool) error {
	if s.net == nil {
		return errNoWAN
	}
	c := s.conn(i)
	if c == nil {
		return fmt.Errorf("%w: no node %d", scout.ErrInvalidArgument, i)
	}
	c.SetDead(dead)
	return nil
}

// conn returns node i's socket on the WAN, or nil for no such node.
func (s *Swarm) conn(i int) *netsim.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.conns) {
		return nil
	}
	return s.conns[i]
}

// Dead reports whether node i is dead (false for no such node).
func (s *Swarm) Dead(i int) bool {
	c := s.conn(i)
	return c != nil && c.Dead()
}

// Partition puts node i in partition g: it hears only the nodes in the
// same partition (every node starts in partition 0).
func (s *Swarm) Partition(i, g int) error {
	if s.net == nil {
		return errNoWAN
	}
	c := s.conn(i)
	if c == nil {
		return fmt.Errorf("%w: no node %d", scout.ErrInvalidArgument, i)
	}
	c.SetPartition(g)
	return nil
}

// RTT returns the round trip the WAN gives nodes i and j, without jitter
// (0 for no such node).
func (s *Swarm) RTT(i, j int) time.Duration {
	a, b := s.conn(i), s.conn(j)
	if a == nil || b == nil {
		return 0
	}
	return netsim.RTT(a, b)
}

// Datagrams returns how many datagrams node i wrote to the others and how
// many they wrote to it.
func (s *Swarm) Datagrams(i int) (out, in uint64) {
	c := s.conn(i)
	if c == nil {
		return 0, 0
	}
	return c.Datagrams()
}

// WANStats counts the datagrams between the swarm's nodes.
type WANStats = netsim.Stats

// WANStats returns the datagrams counted so far.
func (s *Swarm) WANStats() WANStats {
	if s.net == nil {
		return WANStats{}
	}
	return s.net.Stats()
}
