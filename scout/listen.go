package scout

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/scout-dht/scout/internal/dht"
)

// Random ports are drawn from the dynamic range (RFC 6335), as the
// original did, and tried again when busy.
const (
	minRandomPort = 49152
	maxRandomPort = 65535
	portTries     = 32
)

// plan is where a session's sockets go: an IPv4 host, an IPv6 host, or
// both (empty strings for a family left out), and the port.
type plan struct {
	host4, host6 string
	use4, use6   bool
	port         int  // 0: a random port (or the system's choice, with fixed)
	fixed        bool // the port was given (0 included)
	port6        int  // ListenAddr6's port, when given
	fixed6       bool
}

// listenPlan works out the families and addresses from the options.
func (o *Options) listenPlan() (plan, error) {
	var p plan
	host := ""
	if o.ListenAddr != "" {
		h, port, err := net.SplitHostPort(o.ListenAddr)
		if err != nil {
			return p, fmt.Errorf("%w: listen address %q: %v", ErrInvalidArgument, o.ListenAddr, err)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return p, fmt.Errorf("%w: listen address %q: bad port", ErrInvalidArgument, o.ListenAddr)
		}
		host, p.port, p.fixed = h, n, true
	}
	fam := "" // the family host names: "4", "6", or "" (any)
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
			if err != nil || len(ips) == 0 {
				return p, fmt.Errorf("%w: listen address %q: %v", ErrInvalidArgument, o.ListenAddr, err)
			}
			ip = ips[0]
		}
		ip = ip.Unmap()
		if ip.Is4() {
			fam = "4"
		} else {
			fam = "6"
		}
		host = ip.String()
	}
	if o.ListenAddr6 != "" {
		h, port, err := net.SplitHostPort(o.ListenAddr6)
		ip, perr := netip.ParseAddr(h)
		n, nerr := strconv.Atoi(port)
		if err != nil || h != "" && (perr != nil || !ip.Is6() || ip.Is4In6()) || nerr != nil || n < 0 || n > 65535 {
			return p, fmt.Errorf("%w: IPv6 listen address %q: want \"[addr]:port\" with an IPv6 addr", ErrInvalidArgument, o.ListenAddr6)
		}
		if fam == "6" {
			return p, fmt.Errorf("%w: ListenAddr6 is for a dual-stack session whose ListenAddr is IPv4", ErrInvalidArgument)
		}
		p.host6, p.port6, p.fixed6 = h, n, true
	}
	switch o.Families {
	case FamiliesAuto:
		switch {
		case o.ListenAddr6 != "":
			p.use4, p.use6 = true, true
		case fam == "4":
			p.use4 = true
		case fam == "6":
			p.use6 = true
		default:
			p.use4, p.use6 = true, true // IPv6 when it can be bound (listen)
		}
	case IPv4Only:
		if fam == "6" {
			return p, fmt.Errorf("%w: IPv4Only with the IPv6 listen address %q", ErrInvalidArgument, o.ListenAddr)
		}
		p.use4 = true
	case IPv6Only:
		if fam == "4" {
			return p, fmt.Errorf("%w: IPv6Only with the IPv4 listen address %q", ErrInvalidArgument, o.ListenAddr)
		}
		p.use6 = true
	case DualStack:
		if fam == "6" {
			return p, fmt.Errorf("%w: a dual-stack session's ListenAddr is its IPv4 address (the IPv6 one is ListenAddr6)", ErrInvalidArgument)
		}
		p.use4, p.use6 = true, true
	default:
		return p, fmt.Errorf("%w: Families %d", ErrInvalidArgument, int(o.Families))
	}
	if fam == "6" {
		p.host6 = host
	} else {
		p.host4 = host
	}
	return p, nil
}

// listen binds the session's sockets, the IPv4 one first: one port for
// both families unless ListenAddr6 gives another. Under FamiliesAuto an
// IPv6 socket that cannot be bound (no IPv6 on the machine) is left out.
func (s *Session) listen() ([]*net.UDPConn, error) {
	p, err := s.opts.listenPlan()
	if err != nil {
		return nil, err
	}
	optional6 := s.opts.Families == FamiliesAuto && p.use4 && p.use6 && !p.fixed6
	bind := func(port int) ([]*net.UDPConn, error) {
		var out []*net.UDPConn
		if p.use4 {
			c, err := bindUDP("udp4", p.host4, port)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			if port == 0 {
				port = c.LocalAddr().(*net.UDPAddr).Port
			}
		}
		if p.use6 {
			port6 := port
			if p.fixed6 {
				port6 = p.port6
			}
			c, err := bindUDP("udp6", p.host6, port6)
			if err != nil && !(optional6 && !errors.Is(err, syscall.EADDRINUSE)) {
				closeAll(out)
				return nil, err
			}
			if err == nil {
				out = append(out, c)
			} else {
				s.logf("no IPv6 socket, IPv4 only: %v", err)
			}
		}
		return out, nil
	}
	if p.fixed && (p.port != 0 || !p.use4 || !p.use6 || p.fixed6) {
		return bind(p.port)
	}
	// A random port (or the system's, for port 0) free in both families.
	for range portTries {
		port := 0
		if !p.fixed {
			n, _ := rand.Int(rand.Reader, big.NewInt(maxRandomPort-minRandomPort+1))
			port = minRandomPort + int(n.Int64())
		}
		conns, err2 := bind(port)
		if err2 == nil {
			return conns, nil
		}
		if err = err2; !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, err
}

// bindUDP binds network ("udp4" or "udp6", so an IPv6 socket is IPv6
// only) on host (empty: every interface) and port.
func bindUDP(network, host string, port int) (*net.UDPConn, error) {
	ua := &net.UDPAddr{Port: port}
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return nil, err
		}
		ua.IP, ua.Zone = ip.AsSlice(), ip.Zone()
	}
	return net.ListenUDP(network, ua)
}

func closeAll(conns []*net.UDPConn) {
	for _, c := range conns {
		c.Close()
	}
}

// resolveSeeds resolves the bootstrap nodes, every address of each name
// in both families (each node takes those of its own).
func (s *Session) resolveSeeds() []dht.Contact {
	var out []dht.Contact
	for _, hp := range s.opts.Bootstrap {
		aps, err := resolveAll(hp)
		if err != nil {
			s.logf("bootstrap node %s: %v", hp, err)
			continue
		}
		for _, ap := range aps {
			out = append(out, dht.Contact{Addr: ap})
		}
	}
	return out
}

// resolveAll resolves "host:port" or "[v6]:port" to every address it names.
func resolveAll(hp string) ([]netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return nil, fmt.Errorf("bad port %q", port)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{dht.NormAddr(netip.AddrPortFrom(ip, uint16(n)))}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		out = append(out, dht.NormAddr(netip.AddrPortFrom(ip, uint16(n))))
	}
	return out, nil
}

// resolveNode resolves a node's "host:port" or "[v6]:port" to an address
// of a family the session has a node for, an IPv4 one first.
func (s *Session) resolveNode(addr string) (netip.AddrPort, error) {
	aps, err := resolveAll(addr)
	if err != nil || len(aps) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: node address %q: %v", ErrInvalidArgument, addr, err)
	}
	var has4, has6 bool
	for _, n := range s.node.Nodes() {
		has4, has6 = has4 || !n.IPv6(), has6 || n.IPv6()
	}
	for _, want4 := range []bool{true, false} {
		for _, ap := range aps {
			if is4 := ap.Addr().Is4(); is4 == want4 && (is4 && has4 || !is4 && has6) {
				return ap, nil
			}
		}
	}
	fam := "IPv4"
	if has6 {
		fam = "IPv6"
	}
	return netip.AddrPort{}, fmt.Errorf("%w: node address %q has no %s address, and the session speaks %s only", ErrInvalidArgument, addr, fam, fam)
}
