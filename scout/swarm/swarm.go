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

// Start starts the nodes, joins them into one DHT and returns once every
// node knows its neighbourhood. On error, nothing is left running.
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

	// The others join through the first, a few at a time.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 16)
	)
	for i := 1; i < n; i++ {
		s, err := scout.NewSession(scout.Options{ListenAddr: addr(i), Bootstrap: boot, Timeout: 10 * time.Second, Store: opts.Store})
		if err != nil {
			sw.Close()
			return nil, err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.Start(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			mu.Lock()
			sw.nodes[i] = s
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		sw.Close()
		return nil, errors.Join(errs...)
	}
	// Then every node meets every other (as a long-running node's table
	// would fill over time): lookups start from the closest nodes there are.
	all := sw.Addrs()
	for _, s := range sw.nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, a := range all {
				if a != s.Addr() {
					_ = s.AddNode(ctx, a.String())
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		sw.Close()
		return nil, err
	}
	return sw, nil
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
