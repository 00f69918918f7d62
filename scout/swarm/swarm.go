// Package swarm starts a loopback swarm of real Scout DHT nodes in one
// process, for tests, the demo, benchmarks and the other languages' tests.
package swarm

import (
	"context"
	"errors"
	"net/netip"
)

// Options configure a swarm. The zero value means "default".
type Options struct {
	// Nodes is how many nodes to start. Zero: 32.
	Nodes int
	// Port is the first node's UDP port on 127.0.0.1; the others follow.
	// Zero: every node on a port the system chooses.
	Port int
}

// Swarm is a running loopback swarm.
type Swarm struct{}

// Start starts the nodes, joins them into one DHT and returns once every
// node's routing table is populated.
func Start(ctx context.Context, opts Options) (*Swarm, error) {
	return nil, errors.New("swarm: not implemented yet")
}

// Bootstrap returns the first node's address, "127.0.0.1:PORT".
func (s *Swarm) Bootstrap() string { return "" }

// Addrs returns every node's address.
func (s *Swarm) Addrs() []netip.AddrPort { return nil }

// Close stops every node. Calling it again does nothing.
func (s *Swarm) Close() error { return nil }
