// Package dht is Scout's mainline DHT engine: a node that owns its UDP
// socket (transactions, adaptive timeouts, query slots), answers every
// query from its own routing table and BEP 44 store, and walks the DHT
// with its own lookup. Everything it reads from the network goes through
// internal/krpc's strict codec.
//
// The files: node.go (the node's life and its options), transport.go
// (the socket loop and transactions), server.go (answering queries),
// table.go (the routing table), lookup.go (the iterative lookup), ops.go
// (get, put and find_node as the domain uses them), store.go and item.go
// (BEP 44), token.go (write tokens).
package dht

import (
	"math/bits"
	"net/netip"

	"github.com/scout-dht/scout/internal/krpc"
)

// ID is a node id or a lookup target.
type ID = krpc.ID

// xorCompare orders a and b by XOR distance to target: -1 when a is closer.
func xorCompare(target, a, b ID) int {
	for i := range target {
		da, db := a[i]^target[i], b[i]^target[i]
		if da != db {
			if da < db {
				return -1
			}
			return 1
		}
	}
	return 0
}

// commonPrefix is the number of leading bits a and b share (160 when equal).
func commonPrefix(a, b ID) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			return i*8 + bits.LeadingZeros8(x)
		}
	}
	return 160
}

// NormAddr makes one spelling of every address: IPv4-mapped IPv6 addresses
// become plain IPv4, so one node never appears twice under two names.
func NormAddr(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Contact is a node we may query: its address and, once known, its id.
type Contact struct {
	ID    ID
	HasID bool
	Addr  netip.AddrPort
}
