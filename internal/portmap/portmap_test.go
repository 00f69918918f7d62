package portmap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRouter holds the mappings fake clients make: what a real router
// would forward.
type fakeRouter struct {
	mu      sync.Mutex
	ext     netip.Addr
	held    map[uint16]string // external port -> internal "ip:port"
	most    int               // the most mappings held at once
	adds    int
	removes int
	lease   time.Duration // granted; zero: as asked
}

func newFakeRouter() *fakeRouter {
	return &fakeRouter{ext: netip.MustParseAddr("203.0.113.1"), held: map[uint16]string{}}
}

func (r *fakeRouter) count() (held, most, adds, removes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.held), r.most, r.adds, r.removes
}

// fakeClient speaks a fake protocol to a fakeRouter; each hook, when set,
// replaces the default behaviour.
type fakeClient struct {
	proto  Protocol
	r      *fakeRouter
	local  netip.Addr
	probeF func(ctx context.Context) error
	addF   func(ctx context.Context) error // before the default add
	remF   func(ctx context.Context) error
	checkF func() (bool, error)
}

func (c *fakeClient) protocol() Protocol { return c.proto }

func (c *fakeClient) probe(ctx context.Context) error {
	if c.probeF != nil {
		return c.probeF(ctx)
	}
	return nil
}

func (c *fakeClient) add(ctx context.Context, in, ext uint16, lease time.Duration) (grant, error) {
	if c.addF != nil {
		if err := c.addF(ctx); err != nil {
			return grant{}, err
		}
	}
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	r.adds++
	if r.lease > 0 {
		lease = r.lease
	}
	to := fmt.Sprintf("%v:%d", c.local, in)
	if cur, ok := r.held[ext]; ok && cur != to {
		ext += 1000 // taken: another port
	}
	r.held[ext] = to
	r.most = max(r.most, len(r.held))
	return grant{external: netip.AddrPortFrom(r.ext, ext), lease: lease}, nil
}

func (c *fakeClient) remove(ctx context.Context, in, ext uint16) error {
	if c.remF != nil {
		if err := c.remF(ctx); err != nil {
			return err
		}
	}
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removes++
	delete(r.held, ext)
	return nil
}

func (c *fakeClient) check(context.Context, grant) (bool, error) {
	if c.checkF != nil {
		return c.checkF()
	}
	return false, nil
}

// logLines keeps log lines as "LEVEL message".
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) match(re string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if regexp.MustCompile(re).MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// harness runs a Mapper on fake clients and a fake route.
type harness struct {
	m   *Mapper
	r   *fakeRouter
	log *logLines
	mu  sync.Mutex
	rt  route
}

func newHarness(t *testing.T, cfg Config, clients func(h *harness, rt route) []client) *harness {
	t.Helper()
	h := &harness{r: newFakeRouter(), log: new(logLines),
		rt: route{gateway: netip.MustParseAddr("192.168.1.1"), local: netip.MustParseAddr("192.168.1.10")}}
	if cfg.Port == 0 {
		cfg.Port = 4000
	}
	cfg.Logger = slog.New(h.log)
	h.m = newMapper(cfg)
	h.m.findRoute = func() (route, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.rt, nil
	}
	h.m.newClients = func(rt route) []client { return clients(h, rt) }
	h.m.start()
	t.Cleanup(h.m.Close)
	return h
}

func (h *harness) fake(p Protocol, rt route) *fakeClient {
	return &fakeClient{proto: p, r: h.r, local: rt.local}
}

// waitMapping waits until cond holds for the Mapper's mapping.
func waitMapping(t *testing.T, m *Mapper, d time.Duration, cond func(Mapping) bool) Mapping {
	t.Helper()
	deadline := time.After(d)
	for {
		cur, changed := m.Mapping()
		if cond(cur) {
			return cur
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("mapping %+v: the condition did not hold within %v", cur, d)
		}
	}
}

func mapped(m Mapping) bool { return m.Protocol != "" }

// The preferred protocol wins even when a later one answers first; the
// others are not asked to map.
func TestPrefersPCPThenNATPMPThenUPnP(t *testing.T) {
	h := newHarness(t, Config{}, func(h *harness, rt route) []client {
		slow := h.fake(PCP, rt)
		slow.probeF = func(context.Context) error { time.Sleep(50 * time.Millisecond); return nil }
		return []client{slow, h.fake(NATPMP, rt), h.fake(UPnP, rt)}
	})
	m := waitMapping(t, h.m, 2*time.Second, mapped)
	if m.Protocol != PCP || m.External != netip.MustParseAddrPort("203.0.113.1:4000") ||
		m.Internal != netip.MustParseAddrPort("192.168.1.10:4000") || m.Lease != DefaultLease {
		t.Errorf("mapping %+v", m)
	}
	if _, _, adds, _ := h.r.count(); adds != 1 {
		t.Errorf("%d adds, want 1", adds)
	}
	h.m.Close()
	if held, _, _, removes := h.r.count(); held != 0 || removes != 1 {
		t.Errorf("after Close: %d held, %d removes", held, removes)
	}
	if m, _ := h.m.Mapping(); mapped(m) {
		t.Errorf("after Close: %+v", m)
	}
	if got := h.log.match(`^INFO port mapping: removed udp 203.0.113.1:4000 via pcp`); len(got) != 1 {
		t.Errorf("removal logged %q", got)
	}
}

// A protocol that refuses to map gives way to the next; when all refuse,
// one warning, then silent retries, and the mapping once a router takes it.
func TestRefusalThenRetry(t *testing.T) {
	var mu sync.Mutex
	refuse := true
	h := newHarness(t, Config{RetryEvery: 30 * time.Millisecond}, func(h *harness, rt route) []client {
		no := func(p Protocol) *fakeClient {
			c := h.fake(p, rt)
			c.addF = func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if refuse {
					return pcpResultError(8)
				}
				return nil
			}
			return c
		}
		gone := h.fake(NATPMP, rt)
		gone.probeF = func(context.Context) error { return errors.New("connection refused") }
		return []client{no(PCP), gone, no(UPnP)}
	})
	time.Sleep(200 * time.Millisecond) // several retries
	warn := h.log.match(`^WARN `)
	if len(warn) != 1 || !strings.Contains(warn[0], "maps nothing") || !strings.Contains(warn[0], "pcp: result 8 (NO_RESOURCES); natpmp: connection refused; upnp: result 8") {
		t.Fatalf("warnings: %q", warn)
	}
	if n := len(h.log.match(`^DEBUG .*maps nothing`)); n < 2 {
		t.Errorf("%d retries logged at debug level, want some", n)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	m := waitMapping(t, h.m, 2*time.Second, mapped)
	if m.Protocol != PCP {
		t.Errorf("mapped via %s", m.Protocol)
	}
	if held, most, _, _ := h.r.count(); held != 1 || most != 1 {
		t.Errorf("%d held, at most %d", held, most)
	}
}

// Renewals at half of the granted lease; a changed external address is
// announced once, and the mapping stays one.
func TestRenewalAndAddressChange(t *testing.T) {
	h := newHarness(t, Config{Lease: time.Hour}, func(h *harness, rt route) []client {
		return []client{h.fake(NATPMP, rt)}
	})
	h.r.mu.Lock()
	h.r.lease = 100 * time.Millisecond // the router grants less than asked
	h.r.mu.Unlock()
	first := waitMapping(t, h.m, 2*time.Second, mapped)
	if first.Lease != 100*time.Millisecond {
		t.Errorf("lease %v", first.Lease)
	}
	time.Sleep(330 * time.Millisecond)
	_, _, adds, _ := h.r.count()
	if adds < 4 || adds > 10 {
		t.Errorf("%d adds in 330 ms of 100 ms leases, want a renewal every 50 ms", adds)
	}
	h.r.mu.Lock()
	h.r.ext = netip.MustParseAddr("198.51.100.7")
	h.r.mu.Unlock()
	m := waitMapping(t, h.m, time.Second, func(m Mapping) bool { return m.External.Addr() == netip.MustParseAddr("198.51.100.7") })
	if m.External.Port() != first.External.Port() {
		t.Errorf("the port moved: %v -> %v", first.External, m.External)
	}
	time.Sleep(120 * time.Millisecond)
	if got := h.log.match(`external address changed`); len(got) != 1 {
		t.Errorf("address change logged %d times: %q", len(got), got)
	}
	if held, most, _, removes := h.r.count(); held != 1 || most != 1 || removes != 0 {
		t.Errorf("%d held, at most %d, %d removes: a renewal is a refresh, never a second mapping", held, most, removes)
	}
}

// A new local address (DHCP) or gateway: the old mapping is removed, then
// the new one made, once; never two at a time.
func TestRouteChangeRemapsOnce(t *testing.T) {
	h := newHarness(t, Config{CheckEvery: 30 * time.Millisecond}, func(h *harness, rt route) []client {
		return []client{h.fake(UPnP, rt)}
	})
	first := waitMapping(t, h.m, 2*time.Second, mapped)
	h.mu.Lock()
	h.rt.local = netip.MustParseAddr("192.168.1.23")
	h.mu.Unlock()
	m := waitMapping(t, h.m, 2*time.Second, func(m Mapping) bool { return m.Internal.Addr() == netip.MustParseAddr("192.168.1.23") })
	time.Sleep(100 * time.Millisecond) // more checks: nothing more to do
	held, most, adds, removes := h.r.count()
	if held != 1 || most != 1 || adds != 2 || removes != 1 {
		t.Errorf("%d held, at most %d, %d adds, %d removes; want 1, 1, 2, 1", held, most, adds, removes)
	}
	if m.External != first.External {
		t.Errorf("remapped to %v, was %v", m.External, first.External)
	}
	if got := h.log.match(`route changed`); len(got) != 1 {
		t.Errorf("logged %q", got)
	}
}

// A check that finds the mapping lost (the router restarted) refreshes it.
func TestStaleCheckRefreshes(t *testing.T) {
	var mu sync.Mutex
	stale := false
	h := newHarness(t, Config{CheckEvery: 20 * time.Millisecond}, func(h *harness, rt route) []client {
		c := h.fake(PCP, rt)
		c.checkF = func() (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			s := stale
			stale = false
			return s, nil
		}
		return []client{c}
	})
	waitMapping(t, h.m, 2*time.Second, mapped)
	h.r.mu.Lock()
	h.r.held = map[uint16]string{} // the router restarted
	h.r.mu.Unlock()
	mu.Lock()
	stale = true
	mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if held, _, adds, _ := h.r.count(); held == 1 && adds == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not refreshed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close while the add is in flight (no answer yet) still removes what may
// have been made; Close is bounded when the router does not answer.
func TestCloseRemovesAPendingAddWithinBounds(t *testing.T) {
	addStarted := make(chan struct{})
	var once sync.Once
	var removed sync.WaitGroup
	removed.Add(1)
	h := newHarness(t, Config{StopTimeout: 200 * time.Millisecond}, func(h *harness, rt route) []client {
		c := h.fake(UPnP, rt)
		c.addF = func(ctx context.Context) error {
			once.Do(func() { close(addStarted) })
			<-ctx.Done() // the router never answers
			return ctx.Err()
		}
		c.remF = func(ctx context.Context) error {
			defer removed.Done()
			<-ctx.Done() // nor to the removal
			return ctx.Err()
		}
		return []client{c}
	})
	<-addStarted
	start := time.Now()
	h.m.Close()
	if d := time.Since(start); d < 200*time.Millisecond || d > time.Second {
		t.Errorf("Close took %v, want the stop timeout of 200 ms", d)
	}
	removed.Wait()
	if got := h.log.match(`^WARN port mapping: removing the udp port 4000 being asked for via upnp: context deadline exceeded`); len(got) != 1 {
		t.Errorf("logged %q", h.log.lines)
	}
}

// A panic in a probe or in the mapper's own work is logged and contained:
// the host goes on, and Close still returns.
func TestPanicsAreContained(t *testing.T) {
	h := newHarness(t, Config{RetryEvery: time.Hour}, func(h *harness, rt route) []client {
		p := h.fake(PCP, rt)
		p.probeF = func(context.Context) error { panic("a router's bytes") }
		u := h.fake(UPnP, rt)
		u.addF = func(context.Context) error { panic("another") }
		return []client{p, u}
	})
	deadline := time.Now().Add(2 * time.Second)
	for len(h.log.match(`^ERROR port mapping: the mapper stopped on a panic: another`)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no panic logged: %q", h.log.lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(h.log.match(`^ERROR port mapping: the pcp probe stopped on a panic: a router's bytes`)) != 1 {
		t.Errorf("the probe's panic: %q", h.log.lines)
	}
	h.m.Close()
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]uint32{0: 1, time.Millisecond: 1, 7200 * time.Second: 7200, 1 << 62: 1<<32 - 1} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %d, want %d", d, got, want)
		}
	}
}
