//go:build natlab

package natlab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scout-dht/scout/internal/krpc"
)

// routerConfig is one router the lab can be: which protocols miniupnpd
// offers, and whether it has an external address (through STUN).
type routerConfig struct {
	upnp, natpmp, pcp bool
	// refusing: no STUN, so miniupnpd sees only its private WAN address
	// and maps nothing (a router behind carrier-grade NAT).
	refusing bool
	// minLifetime is miniupnpd's shortest NAT-PMP/PCP lease, in seconds
	// (0: its default of 120).
	minLifetime int
}

var allProtocols = routerConfig{upnp: true, natpmp: true, pcp: true}

// router is a miniupnpd running in the router namespace.
type router struct {
	t      *testing.T
	ns     string
	dir    string
	cmd    *exec.Cmd
	mu     sync.Mutex
	log    bytes.Buffer
	leases string
	nft    string // the last listing of the forwards
}

// startRouter loads the router's firewall and starts miniupnpd; both go
// when the test ends. miniupnpd 2.3 does not create its nftables chains
// (Debian's nft_init.sh would, but dies on "Can't find iptables"), so the
// ruleset here holds them: table inet filter, chains miniupnpd,
// prerouting_miniupnpd and postrouting_miniupnpd. miniupnpd answers NAT-PMP
// and PCP on one socket: a router offering only one of them is made by
// rejecting the other's version byte (0: NAT-PMP, 2: PCP) at port 5351, as
// a router without that server would (ICMP port unreachable).
func startRouter(t *testing.T, cfg routerConfig) *router {
	t.Helper()
	prefix := skipOutside(t)
	if !cfg.refusing {
		startSTUN(t)
	}
	dir := t.TempDir()
	r := &router{t: t, ns: prefix + "-rtr", dir: dir, leases: filepath.Join(dir, "upnp.leases")}

	var reject []string
	if !cfg.natpmp {
		reject = append(reject, "udp dport 5351 @th,64,8 0 reject")
	}
	if !cfg.pcp {
		reject = append(reject, "udp dport 5351 @th,64,8 2 reject")
	}
	ruleset := fmt.Sprintf(`flush ruleset
table inet filter {
	chain input {
		type filter hook input priority 0; policy accept;
		%s
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		oifname "wan0" masquerade
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
`, strings.Join(reject, "\n\t\t"))
	rules := filepath.Join(dir, "ruleset.nft")
	must(t, os.WriteFile(rules, []byte(ruleset), 0o644))
	runIn(t, r.ns, "nft", "-f", rules)

	var conf strings.Builder
	fmt.Fprintf(&conf, "ext_ifname=wan0\nlistening_ip=lan0\nhttp_port=5000\n")
	fmt.Fprintf(&conf, "enable_upnp=%s\nenable_natpmp=%s\n", yesNo(cfg.upnp), yesNo(cfg.natpmp || cfg.pcp))
	if !cfg.refusing {
		// miniupnpd refuses to forward from a private WAN address unless
		// STUN shows no NAT in front (then 10.99.0.2 is its external
		// address), and refuses a private ext_ip= outright.
		fmt.Fprintf(&conf, "ext_perform_stun=yes\next_stun_host=%s\next_stun_port=%d\n", wanHost, stunPort)
	}
	minLife := cfg.minLifetime
	if minLife == 0 {
		minLife = 120
	}
	fmt.Fprintf(&conf, "min_lifetime=%d\nmax_lifetime=86400\n", minLife)
	fmt.Fprintf(&conf, `secure_mode=yes
system_uptime=yes
ipv6_disable=yes
notify_interval=60
uuid=3a7c1f2e-0b6d-4e8a-9c21-5d4f6a7b8c90
friendly_name=scout lab router
lease_file=%s
allow 1024-65535 192.168.77.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`, r.leases)
	confFile := filepath.Join(dir, "miniupnpd.conf")
	must(t, os.WriteFile(confFile, []byte(conf.String()), 0o644))

	// -d: in the foreground, logging to stderr. Its own pid file must not
	// name a live process, or it refuses to start.
	r.cmd = exec.Command("ip", "netns", "exec", r.ns, "/usr/sbin/miniupnpd", "-d", "-f", confFile, "-P", filepath.Join(dir, "miniupnpd.pid"))
	out, err := r.cmd.StderrPipe()
	must(t, err)
	r.cmd.Stdout = io.Discard
	must(t, r.cmd.Start())
	ready := make(chan struct{})
	go r.read(out, cfg, ready)
	t.Cleanup(r.stop)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("miniupnpd did not come up:\n%s", r.Log())
	}
	return r
}

// read keeps miniupnpd's log and closes ready once it serves (and, with
// STUN, once it enabled forwarding).
func (r *router) read(out io.Reader, cfg routerConfig, ready chan struct{}) {
	sc := bufio.NewScanner(out)
	http, natpmp, forwarding := !cfg.upnp, !cfg.natpmp && !cfg.pcp, cfg.refusing
	closed := false
	for sc.Scan() {
		line := sc.Text()
		r.mu.Lock()
		r.log.WriteString(line + "\n")
		r.mu.Unlock()
		switch {
		case strings.Contains(line, "HTTP listening"):
			http = true
		case strings.Contains(line, "Listening for NAT-PMP"):
			natpmp = true
		case strings.Contains(line, "Port forwarding is now enabled"):
			forwarding = true
		}
		if http && natpmp && forwarding && !closed {
			close(ready)
			closed = true
		}
	}
}

// Log returns what miniupnpd logged so far.
func (r *router) Log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// stop ends miniupnpd. It removes its rules as it exits; the next test
// loads its own ruleset anyway.
func (r *router) stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(unix.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
		}
	}
	if r.t.Failed() {
		r.mu.Lock()
		r.t.Logf("the router's forwards, last listed:\n%s", r.nft)
		r.mu.Unlock()
		r.t.Logf("miniupnpd's log:\n%s", r.Log())
	}
}

// dnatRule is one of miniupnpd's forwards in prerouting_miniupnpd, e.g.
// `iif "wan0" @nh,72,8 0x11 th dport 44475 dnat ip to 192.168.77.10:44475`
// (0x11: UDP).
var dnatRule = regexp.MustCompile(`@nh,72,8 0x11 th dport (\d+) dnat (?:ip )?to ([0-9.]+):(\d+)`)

// forwards returns the UDP port forwards in the router's firewall, as
// "external port -> internal address": what the router really does, not
// what it says.
func (r *router) forwards() map[uint16]netip.AddrPort {
	out := runIn(r.t, r.ns, "nft", "list", "ruleset")
	r.mu.Lock()
	r.nft = out
	r.mu.Unlock()
	fw := map[uint16]netip.AddrPort{}
	for _, m := range dnatRule.FindAllStringSubmatch(out, -1) {
		ext, _ := strconv.Atoi(m[1])
		to, _ := strconv.Atoi(m[3])
		fw[uint16(ext)] = netip.AddrPortFrom(netip.MustParseAddr(m[2]), uint16(to))
	}
	return fw
}

// leaseExpiry returns when the router's lease on external UDP port ends,
// from its lease file ("UDP:ext:ip:port:expiry:description").
func (r *router) leaseExpiry(ext uint16) (time.Time, bool) {
	b, _ := os.ReadFile(r.leases)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 6)
		if len(f) == 6 && f[0] == "UDP" && f[1] == strconv.Itoa(int(ext)) {
			if ts, err := strconv.ParseInt(f[4], 10, 64); err == nil {
				return time.Unix(ts, 0), true
			}
		}
	}
	return time.Time{}, false
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The main goroutine keeps the main thread, so that inNamespace never moves
// it: /proc/self/net, where the default route is read from, follows the
// main thread's namespace.
func init() { runtime.LockOSThread() }

// inNamespace runs f on an OS thread moved into the network namespace
// ns: sockets f opens live there, whatever thread later uses them. The
// thread is never handed back to the runtime (it ends with the goroutine).
func inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // and never unlock: the thread dies with us
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// wanSocket opens a UDP socket on the WAN side ("the internet").
func wanSocket(t *testing.T) *net.UDPConn {
	t.Helper()
	prefix := skipOutside(t)
	var c *net.UDPConn
	must(t, inNamespace(prefix+"-wan", func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(wanHost)})
		return err
	}))
	return c
}

// ping sends a KRPC ping from a new WAN socket (a new source port: the
// router's conntrack keeps an old flow alive after its mapping is gone) to
// addr and returns the reply, or an error when none comes within wait.
func ping(t *testing.T, addr netip.AddrPort, wait time.Duration) (*krpc.Msg, error) {
	t.Helper()
	c := wanSocket(t)
	defer c.Close()
	q := []byte("d1:ad2:id20:natlab-pinger-000000e1:q4:ping1:t2:pm1:y1:qe")
	if _, err := c.WriteToUDPAddrPort(q, addr); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, fmt.Errorf("no reply from %v within %v: %w", addr, wait, err)
		}
		if from != addr {
			continue
		}
		m := new(krpc.Msg)
		if err := krpc.Decode(append([]byte(nil), buf[:n]...), m); err != nil {
			return nil, fmt.Errorf("a reply that is not KRPC: %q: %v", buf[:n], err)
		}
		if m.Y == krpc.KindQuery {
			continue // the node pinging us back: it met a new node
		}
		if m.Y != krpc.KindReply || string(m.T) != "pm" || !m.R.HasID {
			return nil, fmt.Errorf("not a ping reply: %q", buf[:n])
		}
		return m, nil
	}
}

// arrives reports whether a datagram sent from the WAN side to ext reaches
// a socket bound to port in the client namespace within wait: whether
// the router forwards, whoever listens.
func arrives(t *testing.T, ext netip.AddrPort, port uint16, wait time.Duration) bool {
	t.Helper()
	l, err := net.ListenUDP("udp4", &net.UDPAddr{Port: int(port)})
	must(t, err)
	defer l.Close()
	c := wanSocket(t)
	defer c.Close()
	_, err = c.WriteToUDPAddrPort([]byte("natlab probe"), ext)
	must(t, err)
	_ = l.SetReadDeadline(time.Now().Add(wait))
	_, _, err = l.ReadFromUDPAddrPort(make([]byte, 64))
	return err == nil
}

// STUN (RFC 5389) Binding responder on the WAN side, for miniupnpd: it
// answers every Binding request with XOR-MAPPED-ADDRESS (and
// MAPPED-ADDRESS) set to the request's source. miniupnpd then sees no NAT
// in front of its private WAN address and enables forwarding.
const (
	stunPort  = 3478
	stunMagic = 0x2112A442
)

var stunOnce sync.Once

// startSTUN starts the responder once for the whole run.
func startSTUN(t *testing.T) {
	prefix := skipOutside(t)
	stunOnce.Do(func() {
		var c *net.UDPConn
		must(t, inNamespace(prefix+"-wan", func() (err error) {
			c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(wanHost), Port: stunPort})
			return err
		}))
		go serveSTUN(c) // until the process ends
	})
}

func serveSTUN(c *net.UDPConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 20 || binary.BigEndian.Uint16(buf) != 0x0001 || binary.BigEndian.Uint32(buf[4:]) != stunMagic {
			continue
		}
		ip := from.Addr().As4()
		ipn := binary.BigEndian.Uint32(ip[:])
		resp := make([]byte, 20, 44)
		binary.BigEndian.PutUint16(resp[0:], 0x0101) // Binding success
		binary.BigEndian.PutUint16(resp[2:], 24)
		binary.BigEndian.PutUint32(resp[4:], stunMagic)
		copy(resp[8:20], buf[8:20])                        // transaction id
		resp = binary.BigEndian.AppendUint16(resp, 0x0020) // XOR-MAPPED-ADDRESS
		resp = binary.BigEndian.AppendUint16(resp, 8)
		resp = append(resp, 0, 1)
		resp = binary.BigEndian.AppendUint16(resp, from.Port()^uint16(stunMagic>>16))
		resp = binary.BigEndian.AppendUint32(resp, ipn^stunMagic)
		resp = binary.BigEndian.AppendUint16(resp, 0x0001) // MAPPED-ADDRESS
		resp = binary.BigEndian.AppendUint16(resp, 8)
		resp = append(resp, 0, 1)
		resp = binary.BigEndian.AppendUint16(resp, from.Port())
		resp = binary.BigEndian.AppendUint32(resp, ipn)
		_, _ = c.WriteToUDPAddrPort(resp, from)
	}
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
