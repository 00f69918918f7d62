// Package swarm starts a loopback swarm of real Scout DHT nodes in one
// process, for tests, the demo, benchmarks and the other languages' tests.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/scout-dht/scout/scout"
)

// Options configure a swarm. The zero value means "default".
type Options struct {
	// Nodes is how many nodes to start. Zero: 32.
	Nodes int
	// Port is the first node's UDP port on 127.0.0.1; the others follow.
	// Zero: every node on a port the system chooses.
	Port int
	// Store bounds what each node keeps.
	Store scout.StoreLimits
}

// Swarm is a running loopback swarm.
type Swarm struct {
	nodes []*scout.Session
	once  sync.Once
}

// joinParallel is how many nodes join (or refresh) at once.
const joinParallel = 64

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
	if n < 1 || n > 4096 {
		return nil, fmt.Errorf("%w: swarm of %d nodes", scout.ErrInvalidArgument, n)
	}
	if opts.Port < 0 || opts.Port > 0 && opts.Port+n-1 > 65535 {
		return nil, fmt.Errorf("%w: swarm port %d", scout.ErrInvalidArgument, opts.Port)
	}
	sw := &Swarm{nodes: make([]*scout.Session, n)}
	addr := func(i int) string {
		if opts.Port == 0 {
			return "127.0.0.1:0"
		}
		return fmt.Sprintf("127.0.0.1:%d", opts.Port+i)
	}
	first, err := scout.NewSession(scout.Options{ListenAddr: addr(0), Bootstrap: []string{}, Timeout: 10 * time.Second, Store: opts.Store})
	if err != nil {
		return nil, err
	}
	if err := first.Start(ctx); err != nil {
		return nil, err
	}
	sw.nodes[0] = first
	boot := []string{sw.Bootstrap()}
	for i := 1; i < n; i++ {
		s, err := scout.NewSession(scout.Options{ListenAddr: addr(i), Bootstrap: boot, Timeout: 10 * time.Second, Store: opts.Store})
		if err != nil {
			sw.Close()
			return nil, err
		}
		sw.nodes[i] = s
	}
	// Join, then refresh.
	if err := sw.each(ctx, func(s *scout.Session) error { return s.Start(ctx) }, 1); err != nil {
		sw.Close()
		return nil, err
	}
	if err := sw.each(ctx, func(s *scout.Session) error { return s.Refresh(ctx) }, 0); err != nil {
		sw.Close()
		return nil, err
	}
	return sw, nil
}

// each runs f on the nodes from index from on, joinParallel at a time.
func (s *Swarm) each(ctx context.Context, f func(*scout.Session) error, from int) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, joinParallel)
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

// Bootstrap returns the first node's address, "127.0.0.1:PORT".
func (s *Swarm) Bootstrap() string { return s.nodes[0].Addr().String() }

// Addrs returns every node's address.
func (s *Swarm) Addrs() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(s.nodes))
	for _, n := range s.nodes {
		if n != nil {
			out = append(out, n.Addr())
		}
	}
	return out
}

// Sessions returns the swarm's nodes, for tests that operate from them.
func (s *Swarm) Sessions() []*scout.Session { return append([]*scout.Session(nil), s.nodes...) }

// Close stops every node. Calling it again does nothing.
func (s *Swarm) Close() error {
	s.once.Do(func() {
		var wg sync.WaitGroup
		for _, n := range s.nodes {
			if n != nil {
				wg.Add(1)
				go func() { defer wg.Done(); n.Stop() }()
			}
		}
		wg.Wait()
	})
	return nil
}
