package scout

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"syscall"

	"github.com/scout-dht/scout/internal/dht"
)

// The range a session picks its port from when none is given (the dynamic
// ports, 49152–65535), and how often it retries a busy one.
const (
	minRandomPort = 49152
	maxRandomPort = 65535
	portTries     = 32
)

// listen binds the UDP socket: the given address, or a random free port in
// the dynamic range.
func (s *Session) listen() (*net.UDPConn, error) {
	if s.opts.ListenAddr != "" {
		host, _, _ := net.SplitHostPort(s.opts.ListenAddr)
		network := "udp"
		if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().Is4() || host == "" {
			network = "udp4"
		}
		ua, err := net.ResolveUDPAddr(network, s.opts.ListenAddr)
		if err != nil {
			return nil, err
		}
		return net.ListenUDP(network, ua)
	}
	var err error
	for range portTries {
		p, _ := rand.Int(rand.Reader, big.NewInt(maxRandomPort-minRandomPort+1))
		var conn *net.UDPConn
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: minRandomPort + int(p.Int64())})
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, err
}

// resolveSeeds turns the bootstrap list into contacts; names that do not
// resolve are logged and skipped.
func (s *Session) resolveSeeds() []dht.Contact {
	var out []dht.Contact
	for _, hp := range s.opts.Bootstrap {
		ua, err := net.ResolveUDPAddr("udp4", hp)
		if err != nil {
			s.logf("bootstrap node %s: %v", hp, err)
			continue
		}
		out = append(out, dht.Contact{Addr: dht.NormAddr(ua.AddrPort())})
	}
	return out
}

// resolveNode resolves a node's "host:port" for AddNode.
func resolveNode(addr string) (netip.AddrPort, error) {
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: node address %q: %v", ErrInvalidArgument, addr, err)
	}
	return dht.NormAddr(ua.AddrPort()), nil
}
