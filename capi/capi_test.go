package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scout-dht/scout/internal/portmap"
	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// The C tests (tests/c) exercise every export through the header; these
// check the Go-side pieces they cannot reach: the error mapping, panic
// recovery and the registry's promises.

func TestDefaultTimeout(t *testing.T) {
	if headerDefaultTimeout != scout.DefaultTimeout {
		t.Fatalf("SCOUT_DEFAULT_TIMEOUT_MS is %v, scout.DefaultTimeout %v", headerDefaultTimeout, scout.DefaultTimeout)
	}
}

func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want any
	}{
		{nil, statusOK},
		{scout.ErrInvalidArgument, statusInvalid},
		{&scout.ParseError{What: "x"}, statusInvalid},
		{scout.ErrTooLarge, statusTooLarge},
		{&scout.LimitError{What: "value", Size: 256, Limit: 255}, statusTooLarge},
		{scout.ErrNotFound, statusNotFound},
		{scout.ErrTimeout, statusTimeout},
		{context.DeadlineExceeded, statusTimeout},
		{scout.ErrCancelled, statusCancelled},
		{context.Canceled, statusCancelled},
		{scout.ErrDecrypt, statusDecrypt},
		{scout.ErrWrongState, statusWrongState},
		{scout.ErrNetwork, statusNetwork},
		{scout.ErrConflict, statusConflict},
		{fmt.Errorf("wrapped: %w", scout.ErrNotFound), statusNotFound},
		{errors.New("something else"), statusInternal},
	} {
		if got := statusOf(c.err); got != c.want {
			t.Errorf("statusOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestGuardRecoversPanics(t *testing.T) {
	var seen any
	panicHook = func(r any, _ []byte) { seen = r }
	defer func() { panicHook = nil }()
	st := statusOK
	func() {
		defer guard(&st)
		panic("boom")
	}()
	if st != statusInternal || seen != "boom" {
		t.Errorf("after a panic: status %v, hook saw %v", st, seen)
	}
	func() {
		defer guardVoid()
		panic("boom again")
	}()
	if seen != "boom again" {
		t.Errorf("guardVoid: hook saw %v", seen)
	}
}

func TestRegistry(t *testing.T) {
	before := liveHandles()
	a := register(kindEntries, &entries{l: scout.NewEntries()})
	b := register(kindSession, "not really a session")
	if a == 0 || b <= a {
		t.Fatalf("ids %d, %d: want increasing from 1", a, b)
	}
	if _, ok := lookup(a, kindSession); ok {
		t.Error("an entries handle was accepted as a session")
	}
	if _, ok := unregister(b, kindEntries); ok {
		t.Error("a session handle was freed as an entries handle")
	}
	if _, ok := lookup(0, kindEntries); ok {
		t.Error("the NULL handle was accepted")
	}
	unregister(a, kindEntries)
	unregister(b, kindSession)
	if _, ok := lookup(a, kindEntries); ok {
		t.Error("a freed handle was accepted")
	}
	c := register(kindEntries, &entries{l: scout.NewEntries()})
	if c == a || c == b {
		t.Errorf("id %d reused", c)
	}
	unregister(c, kindEntries)
	if n := liveHandles(); n != before {
		t.Errorf("%d handles alive, want %d", n, before)
	}
}

// TestProtectTurnsPanicsIntoInternal: an operation whose goroutine panics
// still completes, with SCOUT_INTERNAL, and the process lives on.
func TestProtectTurnsPanicsIntoInternal(t *testing.T) {
	var seen any
	panicHook = func(r any, _ []byte) { seen = r }
	defer func() { panicHook = nil }()
	res, err := protect(func() (scout.PutResult, error) { panic("in the core") })
	if err != errPanic || statusOf(err) != statusInternal || res != (scout.PutResult{}) || seen != "in the core" {
		t.Errorf("after a panic: %v, %v (status %v), hook saw %v", res, err, statusOf(err), seen)
	}
	res, err = protect(func() (scout.PutResult, error) { return scout.PutResult{Stored: 3}, nil })
	if err != nil || res.Stored != 3 {
		t.Errorf("without a panic: %v, %v", res, err)
	}
}

// TestBootstrapEnv: a session whose bootstrap is not set (NULL in C, nil in
// Go) joins through $SCOUT_BOOTSTRAP, else through scout.DefaultBootstrap;
// one set to none ("" in C, an empty slice in Go) uses neither; a malformed
// variable is refused with its name in the error.
func TestBootstrapEnv(t *testing.T) {
	ctx := context.Background()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	joined := func(bootstrap []string) int {
		t.Helper()
		s, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: bootstrap, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		_, good := s.NodeCount()
		return good
	}
	saved := scout.DefaultBootstrap
	defer func() { scout.DefaultBootstrap = saved }()

	// The default stands for the public routers: the swarm here.
	scout.DefaultBootstrap = []string{sw.Bootstrap()}
	t.Setenv(scout.BootstrapEnv, "")
	if n := joined(nil); n == 0 {
		t.Error("with no bootstrap and no variable, the session did not join through the default")
	}
	if n := joined([]string{}); n != 0 {
		t.Errorf("with an empty bootstrap list, the session joined %d nodes (through the default)", n)
	}

	// The variable wins over a default that nobody answers.
	scout.DefaultBootstrap = []string{"127.0.0.1:9"}
	t.Setenv(scout.BootstrapEnv, " , "+sw.Bootstrap()+" ,")
	if n := joined(nil); n == 0 {
		t.Errorf("with %s set and no bootstrap, the session knows no node", scout.BootstrapEnv)
	}
	if n := joined([]string{}); n != 0 {
		t.Errorf("with an empty bootstrap list, the session joined %d nodes (through %s)", n, scout.BootstrapEnv)
	}

	t.Setenv(scout.BootstrapEnv, "no-port-here")
	_, err = scout.NewSession(scout.Options{})
	if !errors.Is(err, scout.ErrInvalidArgument) || !strings.Contains(err.Error(), scout.BootstrapEnv) {
		t.Errorf("a malformed %s: %v", scout.BootstrapEnv, err)
	}
	t.Setenv(scout.BootstrapEnv, " , ")
	if got := scout.BootstrapFromEnv(); got != nil {
		t.Errorf("a blank %s lists %q", scout.BootstrapEnv, got)
	}
}

// TestPortMapValues: SCOUT_PORT_MAP_* are scout.PortMap's values, and
// every protocol of internal/portmap has its scout_port_protocol.
func TestPortMapValues(t *testing.T) {
	for _, c := range []struct {
		c any
		g scout.PortMap
	}{{portMapAuto, scout.PortMapAuto}, {portMapOn, scout.PortMapOn}, {portMapOff, scout.PortMapOff}} {
		if fmt.Sprint(c.c) != fmt.Sprint(int(c.g)) {
			t.Errorf("SCOUT_PORT_MAP_* %v, scout.PortMap %d", c.c, c.g)
		}
	}
	codes := map[string]bool{}
	for _, p := range []portmap.Protocol{portmap.PCP, portmap.NATPMP, portmap.UPnP} {
		code, ok := portProtocols[string(p)]
		if !ok || fmt.Sprint(code) == "0" || codes[fmt.Sprint(code)] {
			t.Errorf("protocol %q: code %v, known %v", p, code, ok)
		}
		codes[fmt.Sprint(code)] = true
	}
}

// TestPortMappingOut: what scout_session_port_mapping writes for a mapping.
func TestPortMappingOut(t *testing.T) {
	m := scout.PortMapping{
		Protocol: "natpmp",
		External: netip.MustParseAddrPort("203.0.113.5:51413"),
		Internal: netip.MustParseAddrPort("192.168.1.10:51413"),
		Gateway:  netip.MustParseAddr("192.168.1.1"),
		Lease:    2*time.Hour + 300*time.Millisecond,
	}
	proto, addrs, lease, ok := portMappingOut(m)
	if !ok || fmt.Sprint(proto) != "2" || addrs != [3]string{"203.0.113.5:51413", "192.168.1.10:51413", "192.168.1.1"} ||
		fmt.Sprint(lease) != "7200" {
		t.Errorf("%+v: %v %q %v %v", m, proto, addrs, lease, ok)
	}
	m.Lease = 0 // permanent
	if _, _, lease, _ := portMappingOut(m); fmt.Sprint(lease) != "0" {
		t.Errorf("a permanent mapping's lease: %v", lease)
	}
	m.Protocol = "carrier pigeon"
	if _, _, _, ok := portMappingOut(m); ok {
		t.Error("an unknown protocol was accepted")
	}
}
