package scout

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/portmap"
)

// PortMap says whether a session maps its UDP port on the home router
// (Options.PortMap).
type PortMap int

const (
	// PortMapAuto, the zero value, maps when the session is a full node
	// of the public DHT behind a router: not ReadOnly, joining through
	// the public routers (Bootstrap nil or DefaultBootstrap), listening on
	// all IPv4 interfaces or on one LAN or public IPv4 address. It does
	// not map for loopback, link-local or IPv6 addresses, for test swarms
	// and private networks (any other bootstrap list), or for read-only
	// nodes, which answer no one and so gain nothing from being reachable.
	PortMapAuto PortMap = iota
	// PortMapOn maps whatever the address and bootstrap list.
	PortMapOn
	// PortMapOff never maps.
	PortMapOff
)

// check refuses a value that is none of the three.
func (p PortMap) check() error {
	if p < PortMapAuto || p > PortMapOff {
		return fmt.Errorf("%w: port mapping mode %d", ErrInvalidArgument, int(p))
	}
	return nil
}

// PortMapping is the mapping a session holds on the router: the external
// address and port that the router forwards to the session's socket, and
// the protocol that made it. The zero value means none.
type PortMapping struct {
	// Protocol is "pcp", "natpmp" or "upnp"; "" when there is no mapping.
	Protocol string
	// External is the router's external address and the port it
	// forwards: the address other nodes can reach this one at (the
	// address BEP 42 derives node ids from).
	External netip.AddrPort
	// Internal is where the router forwards to: our address towards the
	// router and the session's port.
	Internal netip.AddrPort
	// Gateway is the router.
	Gateway netip.Addr
	// Lease is what the router granted, renewed at half-life; zero for a
	// router that grants only permanent mappings (removed on Stop all the
	// same).
	Lease time.Duration
}

// portMapState is a session's port mapping: the mapper, and what it holds.
type portMapState struct {
	mu      sync.Mutex
	mapper  *portmap.Mapper
	cur     PortMapping
	changed chan struct{}
}

// PortMapping returns the session's port mapping, the zero PortMapping
// while it has none, and a channel that is closed when that changes. The
// mapping is made in the background once the session has started; Stop
// removes it.
func (s *Session) PortMapping() (PortMapping, <-chan struct{}) {
	p := &s.pm
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return p.cur, p.changed
}

func (s *Session) setPortMapping(m portmap.Mapping) {
	pm := PortMapping{
		Protocol: string(m.Protocol),
		External: m.External,
		Internal: m.Internal,
		Gateway:  m.Gateway,
		Lease:    m.Lease,
	}
	if ext := m.External.Addr(); ext.IsValid() {
		s.node.SetExternal(ext) // the router's word for BEP 42
	}
	p := &s.pm
	p.mu.Lock()
	defer p.mu.Unlock()
	if pm == p.cur {
		return // a renewal that changed nothing
	}
	p.cur = pm
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// wantsPortMap applies Options.PortMap to the bound address.
func (s *Session) wantsPortMap(bound netip.AddrPort) bool {
	switch s.opts.PortMap {
	case PortMapOn:
		return true
	case PortMapOff:
		return false
	}
	if s.opts.ReadOnly || !slices.Equal(s.opts.Bootstrap, DefaultBootstrap) {
		return false
	}
	ip := bound.Addr()
	switch {
	case !ip.Is4():
		return false // an IPv6 node needs no NAT mapping (a dual-stack one maps its IPv4 port)
	case ip.IsUnspecified():
		return true
	case ip.IsLoopback(), ip.IsLinkLocalUnicast(), ip.IsMulticast():
		return false
	}
	return ip.IsGlobalUnicast()
}

// startPortMap starts mapping the session's port in the background, when
// Options.PortMap says so: Start never waits for a router.
func (s *Session) startPortMap() {
	bound := s.node.Addr()
	if !s.wantsPortMap(bound) {
		s.logf("port mapping: off")
		return
	}
	m := portmap.Start(portmap.Config{
		Port:     bound.Port(),
		Local:    bound.Addr(),
		Logger:   s.opts.Logger,
		OnChange: s.setPortMapping,
	})
	s.pm.mu.Lock()
	s.pm.mapper = m
	s.pm.mu.Unlock()
}

// stopPortMap removes the mapping, within a bounded time
// (portmap.DefaultStopTimeout, plus at most 1.5 s for a NAT-PMP request in
// flight).
func (s *Session) stopPortMap() {
	s.pm.mu.Lock()
	m := s.pm.mapper
	s.pm.mapper = nil
	s.pm.mu.Unlock()
	if m != nil {
		m.Close()
	}
}
