package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

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

// TestFamiliesValues: SCOUT_FAMILIES_* are scout.Families' values.
func TestFamiliesValues(t *testing.T) {
	for _, c := range []struct {
		c any
		g scout.Families
	}{{familiesAuto, scout.FamiliesAuto}, {familiesIPv4, scout.IPv4Only}, {familiesIPv6, scout.IPv6Only}, {familiesDualStack, scout.DualStack}} {
		if fmt.Sprint(c.c) != fmt.Sprint(int(c.g)) {
			t.Errorf("SCOUT_FAMILIES_* %v, scout.Families %d (%v)", c.c, c.g, c.g)
		}
	}
}

// TestCStats: what scout_session_stats writes for a snapshot: every field
// in its place, methods by scout_query_method (one it does not number as
// unknown), the external addresses as text, "" while unknown.
func TestCStats(t *testing.T) {
	st := scout.Stats{
		Nodes: 1, GoodNodes: 2, QuestionableNodes: 3, Nodes6: 4, GoodNodes6: 5, QuestionableNodes6: 6,
		StoredItems: 7, StoredBytes: 8,
		QueriesIn:  map[string]uint64{"ping": 9, "put": 10, "unknown": 11, "sample_infohashes": 12},
		QueriesOut: map[string]uint64{"get": 13, "find_node": 14},
		Replies:    15, Errors: 16, Timeouts: 17, Resent: 18,
		DatagramsIn: 19, DatagramsOut: 20, BytesIn: 21, BytesOut: 22,
		Malformed: 23, RateLimited: 24, SendDropped: 25,
		ExternalAddr6: netip.MustParseAddr("2001:db8::5"), IDSecure6: true,
		Operations: scout.OperationStats{OK: 26, NotFound: 27, Timeout: 28, Cancelled: 29, Conflict: 30, Failed: 31},
	}
	c := cStats(st)
	text := func(b []byte) string { return string(b[:bytes.IndexByte(b, 0)]) }
	ext4 := text(unsafe.Slice((*byte)(unsafe.Pointer(&c.external_addr[0])), len(c.external_addr)))
	ext6 := text(unsafe.Slice((*byte)(unsafe.Pointer(&c.external_addr6[0])), len(c.external_addr6)))
	in := func(m string) uint64 { return uint64(c.queries_in[queryMethods[m]]) }
	out := func(m string) uint64 { return uint64(c.queries_out[queryMethods[m]]) }
	got := []uint64{
		uint64(c.nodes), uint64(c.good_nodes), uint64(c.questionable_nodes),
		uint64(c.nodes6), uint64(c.good_nodes6), uint64(c.questionable_nodes6),
		uint64(c.stored_items), uint64(c.stored_bytes),
		in("ping"), in("put"), in("unknown"), out("get"), out("find_node"),
		uint64(c.replies), uint64(c.errors), uint64(c.timeouts), uint64(c.resent),
		uint64(c.datagrams_in), uint64(c.datagrams_out), uint64(c.bytes_in), uint64(c.bytes_out),
		uint64(c.malformed), uint64(c.rate_limited), uint64(c.send_dropped),
		uint64(c.ops_ok), uint64(c.ops_not_found), uint64(c.ops_timeout), uint64(c.ops_cancelled),
		uint64(c.ops_conflict), uint64(c.ops_failed),
		uint64(c.id_secure), uint64(c.id_secure6),
	}
	want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 + 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
		26, 27, 28, 29, 30, 31, 0, 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if in("get") != 0 || out("ping") != 0 || uint64(c.queries_in[len(c.queries_in)-1]) != 0 {
		t.Errorf("counts appeared where none were: %v %v", c.queries_in, c.queries_out)
	}
	if ext4 != "" || ext6 != "2001:db8::5" {
		t.Errorf("external addresses %q, %q", ext4, ext6)
	}
	if len(queryMethods) != 7 {
		t.Errorf("%d methods numbered, the header has 7", len(queryMethods))
	}
}
