//go:build natlab

package natlab

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scout-dht/scout/internal/portmap"
	"github.com/scout-dht/scout/scout"
)

// TestInLabIsolated: the lab cannot reach anything outside it. No
// namespace has a link but lo and the lab's own veths, and the router has
// no default route: a datagram for any address beyond 10.99.0.0/24 and
// 192.168.77.0/24 has nowhere to go.
func TestInLabIsolated(t *testing.T) {
	prefix := skipOutside(t)
	links := map[string][]string{
		prefix + "-wan": {"lo", "eth0"},
		prefix + "-rtr": {"lo", "wan0", "lan0"},
		prefix + "-lan": {"lo", "eth0"},
	}
	for ns, want := range links {
		out := run(t, "ip", "-n", ns, "-o", "link", "show")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 {
				got = append(got, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s has links %v, want %v", ns, got, want)
		}
	}
	if out := run(t, "ip", "-n", prefix+"-rtr", "route", "show", "default"); strings.TrimSpace(out) != "" {
		t.Errorf("the router has a default route: %s", out)
	}
	if out := run(t, "ip", "-n", prefix+"-wan", "route", "show", "default"); strings.TrimSpace(out) != "" {
		t.Errorf("the WAN side has a default route: %s", out)
	}
	if out := run(t, "ip", "-n", prefix+"-lan", "route", "show", "default"); !strings.HasPrefix(out, "default via "+routerLAN+" dev eth0") {
		t.Errorf("the client's default route is not the lab router: %s", out)
	}
	// And from here (the client namespace): the way out is the lab router.
	c, err := net.Dial("udp4", "192.0.2.1:9")
	must(t, err)
	c.Close()
	if got := c.LocalAddr().(*net.UDPAddr).IP.String(); got != clientLAN {
		t.Errorf("the client reaches out from %s, want %s", got, clientLAN)
	}
}

// logLines is a slog handler that keeps every line.
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

func (l *logLines) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// startNode starts a full DHT node in the client namespace, on all
// interfaces, with no bootstrap node: it sends nothing on its own, and
// answers what reaches it.
func startNode(t *testing.T, pm scout.PortMap, log *logLines) *scout.Session {
	t.Helper()
	opts := scout.Options{ListenAddr: "0.0.0.0:0", Bootstrap: []string{}, PortMap: pm, Timeout: 5 * time.Second}
	if log != nil {
		opts.Logger = slog.New(log)
	}
	s, err := scout.NewSession(opts)
	must(t, err)
	start := time.Now()
	must(t, s.Start(context.Background()))
	if d := time.Since(start); d > time.Second {
		t.Errorf("Start took %v: it must not wait for the router", d)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// waitMapped waits for the session's mapping.
func waitMapped(t *testing.T, s *scout.Session, within time.Duration) scout.PortMapping {
	t.Helper()
	deadline := time.After(within)
	for {
		m, changed := s.PortMapping()
		if m.Protocol != "" {
			return m
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no mapping within %v", within)
		}
	}
}

// TestInLabMapping: for a router offering all three protocols (PCP wins),
// and for routers offering only one each, a node in the client namespace
// maps its port; a real KRPC ping from the WAN side to the router's
// external address and port gets the node's reply; after Stop the mapping
// is gone from the router's firewall, and a datagram to that port no longer
// reaches the client, even with a socket listening on it.
func TestInLabMapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		router routerConfig
		want   string
	}{
		{"all three: pcp first", allProtocols, "pcp"},
		{"upnp only", routerConfig{upnp: true}, "upnp"},
		{"natpmp only", routerConfig{natpmp: true}, "natpmp"},
		{"pcp only", routerConfig{pcp: true}, "pcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRouter(t, tc.router)
			log := new(logLines)
			start := time.Now()
			s := startNode(t, scout.PortMapOn, log)
			port := s.Addr().Port()
			m := waitMapped(t, s, 10*time.Second)
			mapIn := time.Since(start)
			if m.Protocol != tc.want {
				t.Errorf("mapped via %s, want %s", m.Protocol, tc.want)
			}
			want := netip.AddrPortFrom(netip.MustParseAddr(routerWAN), port)
			if m.External != want { // the same port: it was free
				t.Errorf("mapped %v, want %v", m.External, want)
			}
			if m.Internal != netip.AddrPortFrom(netip.MustParseAddr(clientLAN), port) || m.Gateway != netip.MustParseAddr(routerLAN) {
				t.Errorf("mapping %+v: wrong internal address or gateway", m)
			}
			if fw := r.forwards(); len(fw) != 1 || fw[port] != m.Internal {
				t.Errorf("the router forwards %v, want only %d -> %v", fw, port, m.Internal)
			}
			if got := log.match(`^INFO port mapping: mapped udp ` + regexp.QuoteMeta(want.String()) + ` .* via ` + tc.want); len(got) != 1 {
				t.Errorf("want one log line for the mapping, got %q\n%s", got, log.all())
			}

			reply, err := ping(t, m.External, 2*time.Second)
			if err != nil {
				t.Fatalf("ping through the mapping: %v", err)
			}
			if !reply.IP.Addr().IsValid() || reply.IP.Addr() != netip.MustParseAddr(wanHost) {
				t.Errorf("the node saw the pinger at %v, want %s (the router forwards the source unchanged)", reply.IP, wanHost)
			}

			stopStart := time.Now()
			must(t, s.Stop())
			stopIn := time.Since(stopStart)
			if fw := r.forwards(); len(fw) != 0 {
				t.Errorf("after Stop the router still forwards %v", fw)
			}
			if got, _ := s.PortMapping(); got.Protocol != "" {
				t.Errorf("after Stop the session still reports %+v", got)
			}
			if got := log.match(`^INFO port mapping: removed udp ` + regexp.QuoteMeta(want.String())); len(got) != 1 {
				t.Errorf("want one log line for the removal, got %q", got)
			}
			if _, err := ping(t, m.External, 500*time.Millisecond); err == nil {
				t.Errorf("a ping after Stop got a reply")
			}
			if arrives(t, m.External, port, 500*time.Millisecond) {
				t.Errorf("after Stop a datagram to %v still reaches port %d in the client", m.External, port)
			}
			t.Logf("mapped via %s in %v (from Start), removed on Stop in %v (Stop took that long)",
				m.Protocol, mapIn.Round(time.Millisecond), stopIn.Round(time.Millisecond))
		})
	}
}

// TestInLabSamePortTaken: when the external port equal to ours is mapped
// to another LAN host, the router grants another, and that one works.
func TestInLabSamePortTaken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		router routerConfig
	}{
		{"pcp", routerConfig{pcp: true}},
		{"natpmp", routerConfig{natpmp: true}},
		{"upnp", routerConfig{upnp: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRouter(t, tc.router)
			// A first node holds port P; a second one, on another address
			// of this host, asks for P too (its own port is also P).
			prefix := skipOutside(t)
			runIn(t, prefix+"-lan", "ip", "addr", "add", "192.168.77.11/24", "dev", "eth0")
			t.Cleanup(func() { runIn(t, prefix+"-lan", "ip", "addr", "del", "192.168.77.11/24", "dev", "eth0") })
			a := startNodeOn(t, clientLAN+":0")
			port := a.Addr().Port()
			ma := waitMapped(t, a, 10*time.Second)
			b := startNodeOn(t, fmt.Sprintf("192.168.77.11:%d", port))
			mb := waitMapped(t, b, 10*time.Second)
			if ma.External.Port() != port || mb.External.Port() == port || mb.External.Port() == 0 {
				t.Fatalf("mappings %v and %v: want the first on %d, the second on another port", ma.External, mb.External, port)
			}
			for _, m := range []scout.PortMapping{ma, mb} {
				if _, err := ping(t, m.External, 2*time.Second); err != nil {
					t.Errorf("ping %v: %v", m.External, err)
				}
			}
			must(t, b.Stop())
			must(t, a.Stop())
			if fw := r.forwards(); len(fw) != 0 {
				t.Errorf("after Stop the router still forwards %v", fw)
			}
		})
	}
}

func startNodeOn(t *testing.T, addr string) *scout.Session {
	t.Helper()
	s, err := scout.NewSession(scout.Options{ListenAddr: addr, Bootstrap: []string{}, PortMap: scout.PortMapOn, Timeout: 5 * time.Second})
	must(t, err)
	must(t, s.Start(context.Background()))
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// TestInLabRenewal: with a lease of 4 s (the router's shortest set to
// 2 s), the mapping is renewed at half-life and keeps forwarding for three
// leases and more, as one mapping: the router's lease moves forward, and
// it never holds a second one.
func TestInLabRenewal(t *testing.T) {
	for _, p := range []portmap.Protocol{portmap.PCP, portmap.NATPMP, portmap.UPnP} {
		t.Run(string(p), func(t *testing.T) {
			cfg := allProtocols
			cfg.minLifetime = 2
			r := startRouter(t, cfg)
			s := startNode(t, scout.PortMapOff, nil)
			port := s.Addr().Port()
			const lease = 4 * time.Second
			mp := portmap.Start(portmap.Config{Port: port, Lease: lease, Protocols: []portmap.Protocol{p}})
			defer mp.Close()
			var m portmap.Mapping
			if !waitFor(10*time.Second, func() bool { m, _ = mp.Mapping(); return m.Protocol == p }) {
				t.Fatalf("not mapped via %s", p)
			}
			if m.Lease != lease {
				t.Errorf("granted %v, asked for %v", m.Lease, lease)
			}
			first := m.Renewed
			end := time.Now().Add(3*lease + lease/2)
			pings := 0
			for time.Now().Before(end) {
				if _, err := ping(t, m.External, time.Second); err != nil {
					t.Fatalf("after %d pings over %v: %v", pings, time.Since(first).Round(time.Millisecond), err)
				}
				pings++
				if fw := r.forwards(); len(fw) != 1 || fw[port].Port() != port {
					t.Fatalf("the router forwards %v, want exactly one mapping of %d", fw, port)
				}
				if exp, ok := r.leaseExpiry(m.External.Port()); !ok || time.Until(exp) > lease+time.Second {
					t.Fatalf("the router's lease ends at %v (%v from now), want within %v", exp, time.Until(exp), lease)
				}
				time.Sleep(500 * time.Millisecond)
			}
			m, _ = mp.Mapping()
			if !m.Renewed.After(first.Add(5 * lease / 2)) {
				t.Errorf("last renewed %v after the first grant: not renewed at half-life", m.Renewed.Sub(first))
			}
			t.Logf("%d pings answered over %v of %v leases", pings, time.Since(first).Round(time.Millisecond), lease)
			mp.Close()
			if fw := r.forwards(); len(fw) != 0 {
				t.Errorf("after Close the router still forwards %v", fw)
			}
		})
	}
}

// TestInLabRefused: a router without an external address (miniupnpd
// without STUN, as behind carrier-grade NAT) refuses every protocol. The
// node logs one clear line, keeps working unmapped (it answers on the
// LAN), and the router forwards nothing.
func TestInLabRefused(t *testing.T) {
	r := startRouter(t, routerConfig{upnp: true, natpmp: true, pcp: true, refusing: true})
	log := new(logLines)
	s := startNode(t, scout.PortMapOn, log)
	var warned []string
	if !waitFor(10*time.Second, func() bool { warned = log.match(`^(WARN|ERROR) `); return len(warned) > 0 }) {
		t.Fatalf("no warning logged:\n%s", log.all())
	}
	time.Sleep(time.Second) // anything else it would log about it
	if warned = log.match(`^(WARN|ERROR) `); len(warned) != 1 {
		t.Errorf("want one warning, got %d:\n%s", len(warned), strings.Join(warned, "\n"))
	}
	t.Logf("the line: %s", warned[0])
	for _, want := range []string{"gateway " + routerLAN, "unmapped", "pcp:", "natpmp:", "upnp:"} {
		if !strings.Contains(warned[0], want) {
			t.Errorf("the warning does not say %q", want)
		}
	}
	if m, _ := s.PortMapping(); m.Protocol != "" {
		t.Errorf("mapped %+v", m)
	}
	if fw := r.forwards(); len(fw) != 0 {
		t.Errorf("the router forwards %v", fw)
	}
	// The node works: a node on the LAN (here) pings it and adds it.
	other := startNode(t, scout.PortMapOff, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := other.AddNode(ctx, fmt.Sprintf("%s:%d", clientLAN, s.Addr().Port())); err != nil {
		t.Errorf("the unmapped node does not answer on the LAN: %v", err)
	}
	start := time.Now()
	must(t, s.Stop())
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop took %v with nothing mapped", d)
	}
}

// TestInLabServe: `scout serve --portmap` prints its listening line, then
// its mapped line; the mapping forwards a ping; SIGINT stops it cleanly,
// the mapping is removed and the state file saved.
func TestInLabServe(t *testing.T) {
	r := startRouter(t, allProtocols)
	state := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(os.Getenv(envCLI), "serve", "--portmap", "--bootstrap=", "--state", state, "--for", "2m")
	out, err := cmd.StdoutPipe()
	must(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(10 * time.Second):
			t.Fatalf("scout serve printed nothing more; stderr:\n%s", stderr.String())
			return ""
		}
	}
	var port uint16
	l := next()
	if _, err := fmt.Sscanf(l, "listening 0.0.0.0:%d", &port); err != nil {
		t.Fatalf("first line %q, want \"listening ADDR\"", l)
	}
	l = next()
	want := fmt.Sprintf("mapped udp %s:%d via pcp", routerWAN, port)
	if l != want {
		t.Fatalf("second line %q, want %q", l, want)
	}
	ext := netip.AddrPortFrom(netip.MustParseAddr(routerWAN), port)
	if _, err := ping(t, ext, 2*time.Second); err != nil {
		t.Errorf("ping through serve's mapping: %v", err)
	}
	must(t, cmd.Process.Signal(syscall.SIGINT))
	if err := cmd.Wait(); err != nil {
		t.Errorf("scout serve after SIGINT: %v; stderr:\n%s", err, stderr.String())
	}
	if fw := r.forwards(); len(fw) != 0 {
		t.Errorf("after scout serve ended the router still forwards %v", fw)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("no state file: %v", err)
	}
	t.Logf("stderr:\n%s", stderr.String())
}
