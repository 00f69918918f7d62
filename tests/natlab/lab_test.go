//go:build natlab

// Package natlab tests port mapping against a real router: Debian's
// miniupnpd (UPnP IGD, NAT-PMP and PCP) in network namespaces that the
// test makes itself:
//
//	[P-wan] eth0 10.99.0.1/24       "the internet": a STUN responder, the pinger
//	   |
//	[P-rtr] wan0 10.99.0.2/24       miniupnpd, nftables (forward drop, LAN->WAN
//	        lan0 192.168.77.1/24    masquerade, miniupnpd's chains), no default route
//	   |
//	[P-lan] eth0 192.168.77.10/24   default via 192.168.77.1: the node under test
//
// TestLab (run as root) builds the namespaces under a prefix of its own
// ("sc" and its process id, so that runs side by side do not collide),
// runs this test binary again inside P-lan for the TestInLab* tests, and
// tears everything down when it ends, failed or not; a run killed before
// that is swept by the next one. No namespace has a link to the host's, so
// nothing leaves them.
//
//	go test -tags natlab -v ./tests/natlab/      (as root; ctest -L natlab)
package natlab

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The lab's addresses.
const (
	wanHost   = "10.99.0.1"
	routerWAN = "10.99.0.2"
	routerLAN = "192.168.77.1"
	clientLAN = "192.168.77.10"
)

// Environment of the run inside the client namespace.
const (
	envPrefix = "SCOUT_NATLAB_PREFIX" // the namespaces' prefix
	envDir    = "SCOUT_NATLAB_DIR"    // a directory for configs and logs
	envCLI    = "SCOUT_CLI"           // the scout command (built by TestLab when unset)
)

// inLab reports whether this process runs inside the lab's client
// namespace, and the namespaces' prefix.
func inLab() (string, bool) {
	p := os.Getenv(envPrefix)
	return p, p != ""
}

// skipOutside skips a TestInLab test run outside the lab: TestLab runs it.
func skipOutside(t *testing.T) string {
	t.Helper()
	p, ok := inLab()
	if !ok {
		t.Skip("runs inside the lab only: TestLab runs it")
	}
	return p
}

// TestLab builds the lab, runs the TestInLab tests inside it, tears it down.
func TestLab(t *testing.T) {
	if _, ok := inLab(); ok {
		t.Skip("inside the lab already")
	}
	if os.Geteuid() != 0 {
		t.Skip("natlab: skipped: network namespaces need root (CI runs as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("natlab: skipped: no ip command (iproute2)")
	}
	// Where namespaces are impossible (a container without CAP_SYS_ADMIN),
	// say so and skip; anything else missing is a failure.
	probe := fmt.Sprintf("scprobe%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("natlab: skipped: cannot create a network namespace: %v: %s", err, out)
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	for _, bin := range []string{"/usr/sbin/miniupnpd", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing: scripts/test.sh installs miniupnpd, miniupnpd-nftables and nftables", bin)
		}
	}
	if out, _ := exec.Command("/usr/sbin/miniupnpd", "--version").CombinedOutput(); !strings.Contains(string(out), "nftables") {
		t.Fatalf("miniupnpd is not the nftables build (apt-get install miniupnpd-nftables): %s", out)
	}

	sweepStale(t)
	prefix := fmt.Sprintf("sc%d", os.Getpid())
	dir := t.TempDir()
	t.Cleanup(func() { teardown(t, prefix) })
	start := time.Now()
	buildNamespaces(t, prefix)
	t.Logf("lab %s-{wan,rtr,lan} up in %v", prefix, time.Since(start).Round(time.Millisecond))

	cli := os.Getenv(envCLI)
	if cli == "" {
		cli = dir + "/scout"
		out, err := exec.Command("go", "build", "-o", cli, "github.com/scout-dht/scout/cmd/scout").CombinedOutput()
		if err != nil {
			t.Fatalf("building the scout command: %v\n%s", err, out)
		}
	}

	// This binary again, inside the client namespace, with the same flags.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"netns", "exec", prefix + "-lan", self, "-test.run", "^TestInLab", "-test.v"}
	if d, ok := t.Deadline(); ok {
		// The child ends first, so that the teardown here always runs.
		args = append(args, "-test.timeout", (time.Until(d) - 20*time.Second).Round(time.Second).String())
	}
	cmd := exec.Command("ip", args...)
	cmd.Env = append(os.Environ(), envPrefix+"="+prefix, envDir+"="+dir, envCLI+"="+cli)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the tests inside the lab failed: %v", err)
	}
}

// run runs a command and fails the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runIn runs a command inside namespace ns.
func runIn(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// buildNamespaces makes the three namespaces, their links, addresses and
// routes. The router's firewall and miniupnpd are each test's own.
func buildNamespaces(t *testing.T, p string) {
	wan, rtr, lan := p+"-wan", p+"-rtr", p+"-lan"
	for _, ns := range []string{wan, rtr, lan} {
		run(t, "ip", "netns", "add", ns)
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		// No IPv6 in the lab: no duplicate address detection, no router
		// advertisements.
		runIn(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	}
	// Each veth is created straight into its namespaces: no name is ever
	// taken in the host's.
	run(t, "ip", "link", "add", "wan0", "netns", rtr, "type", "veth", "peer", "name", "eth0", "netns", wan)
	run(t, "ip", "link", "add", "lan0", "netns", rtr, "type", "veth", "peer", "name", "eth0", "netns", lan)
	run(t, "ip", "-n", wan, "addr", "add", wanHost+"/24", "dev", "eth0")
	run(t, "ip", "-n", rtr, "addr", "add", routerWAN+"/24", "dev", "wan0")
	run(t, "ip", "-n", rtr, "addr", "add", routerLAN+"/24", "dev", "lan0")
	run(t, "ip", "-n", lan, "addr", "add", clientLAN+"/24", "dev", "eth0")
	for _, l := range [][2]string{{wan, "eth0"}, {rtr, "wan0"}, {rtr, "lan0"}, {lan, "eth0"}} {
		run(t, "ip", "-n", l[0], "link", "set", l[1], "up")
	}
	run(t, "ip", "-n", lan, "route", "add", "default", "via", routerLAN)
	runIn(t, rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1")
}

// teardown ends every process left in the lab's namespaces (miniupnpd,
// started by the tests inside) and deletes the namespaces.
func teardown(t *testing.T, p string) {
	start := time.Now()
	for _, ns := range []string{p + "-lan", p + "-rtr", p + "-wan"} {
		killIn(ns)
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("deleting %s: %v: %s", ns, err, out)
		}
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, p+"-") {
			t.Errorf("namespace %s is left after the teardown", line)
		}
	}
	t.Logf("lab %s torn down in %v", p, time.Since(start).Round(time.Millisecond))
}

// killIn kills the processes in namespace ns: only this test's (its
// namespaces are its own), each by its pid.
func killIn(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

var labName = regexp.MustCompile(`^sc(\d+)-(wan|rtr|lan)$`)

// sweepStale deletes the namespaces of earlier runs whose process is gone
// (a run killed before its teardown).
func sweepStale(t *testing.T) {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := labName.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if syscall.Kill(pid, 0) == nil {
			continue // a run still going
		}
		killIn(f[0])
		_ = exec.Command("ip", "netns", "del", f[0]).Run()
		t.Logf("swept %s, left by an earlier run", f[0])
	}
}
