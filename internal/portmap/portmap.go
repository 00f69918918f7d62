// Package portmap keeps one UDP port mapped on the home router, in the
// background: it finds the gateway (the default route), asks it with PCP
// (RFC 6887), NAT-PMP (RFC 6886) and UPnP IGD (WANIPConnection:2, then :1)
// at once and maps with the first of those that answers; it asks for the
// same external port as the internal one and takes the one the router
// grants, for a lease of DefaultLease renewed at half-life; it learns the
// external address; it checks the route and the router now and then, and
// remaps once when they change; on Close it removes what it mapped.
//
// Nothing a router sends can panic the host: the parsers return errors
// (fuzzed), and every goroutine started here recovers.
package portmap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Protocol names a port mapping protocol.
type Protocol string

// The protocols, in the order they are preferred.
const (
	PCP    Protocol = "pcp"
	NATPMP Protocol = "natpmp"
	UPnP   Protocol = "upnp"
)

// Defaults for the zero Config.
const (
	DefaultLease       = 2 * time.Hour
	DefaultCheckEvery  = 5 * time.Minute
	DefaultRetryEvery  = 5 * time.Minute
	DefaultStopTimeout = 2 * time.Second
	// probeTimeout bounds the search for a router that answers.
	probeTimeout = 3 * time.Second
	// opTimeout bounds one request while running (a renewal, a check).
	opTimeout = 5 * time.Second
)

// Mapping is a port mapping the router granted.
type Mapping struct {
	Protocol Protocol       // how it was made
	External netip.AddrPort // the router's external address and the port it forwards
	Internal netip.AddrPort // where it forwards to: our address and port
	Gateway  netip.Addr     // the router asked
	Lease    time.Duration  // as granted; 0 for a permanent UPnP mapping
	Renewed  time.Time      // when the router last granted it
}

// Config configures a Mapper. The zero value of each field means its
// default.
type Config struct {
	// Port is the internal UDP port to map. Required.
	Port uint16
	// Local is the address the port is bound to. Zero or unspecified: our
	// address towards the gateway.
	Local netip.Addr
	// Gateway is the router to ask. Zero: the default route's.
	Gateway netip.Addr
	// Lease is the lifetime asked for; it is renewed at half of what the
	// router grants. Zero: DefaultLease.
	Lease time.Duration
	// CheckEvery is how often the route and the router are checked
	// between renewals. Zero: DefaultCheckEvery.
	CheckEvery time.Duration
	// RetryEvery is how long to wait after no router would map. Zero:
	// DefaultRetryEvery.
	RetryEvery time.Duration
	// StopTimeout bounds the removal on Close. Zero: DefaultStopTimeout.
	StopTimeout time.Duration
	// Protocols are the protocols to try. Nil: all three.
	Protocols []Protocol
	// Logger receives what happens. Nil: nothing is logged.
	Logger *slog.Logger
	// OnChange, when set, is called with every new Mapping (the zero
	// Mapping once there is none), from the Mapper's goroutine, in order.
	OnChange func(Mapping)
}

// grant is what a router granted: the external address and port, and the
// lease.
type grant struct {
	external netip.AddrPort
	lease    time.Duration
}

// client speaks one protocol to one gateway.
type client interface {
	protocol() Protocol
	// probe tells whether the gateway speaks the protocol (and learns
	// its external address where the protocol can).
	probe(ctx context.Context) error
	// add creates or refreshes the mapping of internalPort, asking for
	// externalPort.
	add(ctx context.Context, internalPort, externalPort uint16, lease time.Duration) (grant, error)
	// remove deletes the mapping of internalPort (to externalPort).
	remove(ctx context.Context, internalPort, externalPort uint16) error
	// check reports whether the mapping needs to be refreshed now: the
	// router restarted, lost it, or has another external address.
	check(ctx context.Context, g grant) (stale bool, err error)
}

// Mapper keeps one port mapped. Its methods are safe to call from many
// goroutines.
type Mapper struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup // the probes
	once   sync.Once

	// for tests
	findRoute  func() (route, error)
	newClients func(route) []client

	mu      sync.Mutex
	cur     Mapping
	changed chan struct{}
}

// held is the mapping the Mapper holds, or is asking for.
type held struct {
	c       client
	rt      route
	port    uint16 // the external port asked for, then granted
	g       grant
	granted bool
	at      time.Time // when last granted
}

// Start starts mapping cfg.Port in the background and returns at once.
func Start(cfg Config) *Mapper {
	m := newMapper(cfg)
	m.start()
	return m
}

func newMapper(cfg Config) *Mapper {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = DefaultCheckEvery
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = DefaultRetryEvery
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.Protocols == nil {
		cfg.Protocols = []Protocol{PCP, NATPMP, UPnP}
	}
	m := &Mapper{cfg: cfg, log: cfg.Logger, done: make(chan struct{}), changed: make(chan struct{})}
	m.findRoute = func() (route, error) { return findRoute(cfg.Gateway, cfg.Local) }
	m.newClients = m.realClients
	return m
}

func (m *Mapper) start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go m.run(ctx)
}

func (m *Mapper) realClients(rt route) []client {
	var cs []client
	for _, p := range m.cfg.Protocols {
		switch p {
		case PCP:
			cs = append(cs, newPCPClient(rt.gateway, rt.local))
		case NATPMP:
			cs = append(cs, newNATPMPClient(rt.gateway, rt.local))
		case UPnP:
			cs = append(cs, newUPnPClient(rt.gateway, rt.local))
		}
	}
	return cs
}

// Mapping returns the mapping in force (the zero Mapping when there is
// none) and a channel that is closed when it next changes.
func (m *Mapper) Mapping() (Mapping, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur, m.changed
}

// Close stops the Mapper and removes the mapping it made (or was asking
// for), waiting at most about StopTimeout for the router, plus the end of
// a NAT-PMP request in flight (1.5 s at most). Calling it again waits for
// the first call.
func (m *Mapper) Close() {
	m.once.Do(m.cancel)
	<-m.done
	m.wg.Wait()
}

// publish makes mp the mapping in force. Only the Mapper's goroutine
// calls it, so OnChange sees the changes in order.
func (m *Mapper) publish(mp Mapping) {
	m.mu.Lock()
	if mp == m.cur {
		m.mu.Unlock()
		return
	}
	m.cur = mp
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(mp)
	}
}

func (m *Mapper) logf(level slog.Level, format string, args ...any) {
	if m.log != nil {
		m.log.Log(context.Background(), level, "port mapping: "+fmt.Sprintf(format, args...))
	}
}

// recoverPanic is deferred by every goroutine of the Mapper: a panic (a
// bug, whatever a router sent) is logged, never the end of the host.
func (m *Mapper) recoverPanic(what string) {
	if r := recover(); r != nil {
		m.logf(slog.LevelError, "%s stopped on a panic: %v\n%s", what, r, debug.Stack())
	}
}

// run is the Mapper's goroutine: map, keep mapped, and on the end, remove.
func (m *Mapper) run(ctx context.Context) {
	defer close(m.done)
	var h *held
	defer func() {
		defer m.recoverPanic("removing the mapping")
		m.release(h)
	}()
	defer m.recoverPanic("the mapper")

	warned := false
	for ctx.Err() == nil {
		if h == nil {
			err := m.establish(ctx, &h)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				if !warned {
					m.logf(slog.LevelWarn, "%v; the node runs unmapped (trying again every %v)", err, m.cfg.RetryEvery)
					warned = true
				} else {
					m.logf(slog.LevelDebug, "%v", err)
				}
				if !sleep(ctx, m.cfg.RetryEvery) {
					return
				}
				continue
			}
			warned = false
			m.announce(h, "mapped")
		}
		h = m.keep(ctx, h)
	}
}

// establish finds a router that maps: it probes every protocol at once and
// maps with the first in order of preference whose probe succeeded. *hp is
// set before the request that may create the mapping, so that release
// removes it even if the answer never comes.
func (m *Mapper) establish(ctx context.Context, hp **held) error {
	rt, err := m.findRoute()
	if err != nil {
		return fmt.Errorf("cannot map: %v", err)
	}
	clients := m.newClients(rt)
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	probed := make([]chan error, len(clients))
	for i, c := range clients {
		probed[i] = make(chan error, 1)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			err := errors.New("panicked")
			defer func() { probed[i] <- err }()
			defer m.recoverPanic(fmt.Sprintf("the %s probe", c.protocol()))
			err = c.probe(pctx)
		}()
	}
	var reasons []string
	for i, c := range clients {
		err := <-probed[i]
		if err == nil {
			*hp = &held{c: c, rt: rt, port: m.cfg.Port}
			err = m.renew(ctx, *hp)
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err() // *hp stays: release removes what may have been made
			}
			if !refused(err) {
				m.remove(*hp, m.cfg.StopTimeout)
			}
			*hp = nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p := string(c.protocol()) + ": "
		reasons = append(reasons, p+strings.TrimPrefix(err.Error(), p))
	}
	return fmt.Errorf("the gateway %v maps nothing for %v:%d (%s)", rt.gateway, rt.local, m.cfg.Port, strings.Join(reasons, "; "))
}

// renew asks for the mapping (again) and records the grant.
func (m *Mapper) renew(ctx context.Context, h *held) error {
	g, err := h.c.add(ctx, m.cfg.Port, h.port, m.cfg.Lease)
	if err != nil {
		return err
	}
	h.g, h.granted, h.at, h.port = g, true, time.Now(), g.external.Port()
	return nil
}

// keep holds the mapping: renewals at half-life, checks in between. It
// returns the mapping still held when ctx ends, or nil once it is lost or
// must be made again.
func (m *Mapper) keep(ctx context.Context, h *held) *held {
	lease := h.g.lease
	if lease == 0 {
		lease = m.cfg.Lease // permanent: refresh as if leased
	}
	renewAt := h.at.Add(lease / 2)
	checkAt := time.Now().Add(m.cfg.CheckEvery)
	for {
		next := renewAt
		if checkAt.Before(next) {
			next = checkAt
		}
		if !sleep(ctx, time.Until(next)) {
			return h
		}
		if !time.Now().Before(renewAt) {
			old := h.g
			octx, cancel := context.WithTimeout(ctx, opTimeout)
			err := m.renew(octx, h)
			cancel()
			switch {
			case ctx.Err() != nil:
				return h
			case err == nil:
				if h.g.external != old.external {
					m.announce(h, "the external address changed: mapped")
				} else {
					m.logf(slog.LevelDebug, "renewed udp %v via %s for %v", h.g.external, h.c.protocol(), h.g.lease)
					m.publish(m.mapping(h))
				}
				lease = h.g.lease
				if lease == 0 {
					lease = m.cfg.Lease
				}
				renewAt = h.at.Add(lease / 2)
			case h.g.lease > 0 && !time.Now().Before(h.at.Add(h.g.lease)):
				m.logf(slog.LevelWarn, "the mapping of udp %v expired unrenewed (%v); mapping again", h.g.external, err)
				m.publish(Mapping{})
				return nil
			default:
				m.logf(slog.LevelDebug, "renewing udp %v: %v", h.g.external, err)
				renewAt = time.Now().Add(min(lease/8, 30*time.Second))
			}
			continue
		}
		checkAt = time.Now().Add(m.cfg.CheckEvery)
		rt, err := m.findRoute()
		if err != nil || rt != h.rt {
			why := fmt.Sprintf("the route changed (gateway %v, our address %v)", rt.gateway, rt.local)
			if err != nil {
				why = err.Error()
			}
			m.logf(slog.LevelInfo, "%s: removing udp %v and mapping again", why, h.g.external)
			m.remove(h, m.cfg.StopTimeout)
			m.publish(Mapping{})
			return nil
		}
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		stale, err := h.c.check(octx, h.g)
		cancel()
		switch {
		case ctx.Err() != nil:
			return h
		case err != nil:
			m.logf(slog.LevelDebug, "checking udp %v: %v", h.g.external, err)
		case stale:
			m.logf(slog.LevelInfo, "the router lost udp %v or changed its address: refreshing it", h.g.external)
			renewAt = time.Now()
		}
	}
}

func (m *Mapper) mapping(h *held) Mapping {
	return Mapping{
		Protocol: h.c.protocol(),
		External: h.g.external,
		Internal: netip.AddrPortFrom(h.rt.local, m.cfg.Port),
		Gateway:  h.rt.gateway,
		Lease:    h.g.lease,
		Renewed:  h.at,
	}
}

func (m *Mapper) announce(h *held, what string) {
	mp := m.mapping(h)
	lease := "permanent (the router takes no lease)"
	if mp.Lease > 0 {
		lease = "lease " + mp.Lease.String()
	}
	note := ""
	if a := mp.External.Addr(); a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || isShared(a) {
		note = "; a private address: another NAT stands in front"
	}
	m.logf(slog.LevelInfo, "%s udp %v to %v via %s (gateway %v, %s%s)", what, mp.External, mp.Internal, mp.Protocol, mp.Gateway, lease, note)
	m.publish(mp)
}

// isShared reports whether a is in 100.64.0.0/10, the carrier-grade NAT
// range.
func isShared(a netip.Addr) bool {
	return netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// release removes what the Mapper holds or asked for, on Close.
func (m *Mapper) release(h *held) {
	m.publish(Mapping{})
	if h == nil {
		return
	}
	m.remove(h, m.cfg.StopTimeout)
}

// remove deletes h's mapping, within timeout.
func (m *Mapper) remove(h *held, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := h.c.remove(ctx, m.cfg.Port, h.port)
	what := fmt.Sprintf("udp %v:%d", h.g.external.Addr(), h.port)
	if !h.granted {
		what = fmt.Sprintf("the udp port %d being asked for", h.port)
	}
	if err != nil {
		m.logf(slog.LevelWarn, "removing %s via %s: %v", what, h.c.protocol(), err)
		return
	}
	m.logf(slog.LevelInfo, "removed %s via %s in %v", what, h.c.protocol(), time.Since(start).Round(time.Millisecond))
}

// refused reports whether err is the router's answer (so nothing was
// mapped), rather than a request left unanswered.
func refused(err error) bool {
	var pe pcpResultError
	return errors.As(err, &pe) || errors.Is(err, errPCPVersion) || upnpCode(err) != 0 ||
		// go-nat-pmp's error for a result code other than success
		strings.Contains(err.Error(), "natpmp: Non-zero result code")
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
