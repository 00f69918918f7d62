package scout

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// The default rule (PortMapAuto): a full node of the public DHT behind a
// router maps; loopback, test swarms, read-only nodes do not.
func TestPortMapDefaultRule(t *testing.T) {
	any4 := netip.MustParseAddrPort("0.0.0.0:6881")
	lan := netip.MustParseAddrPort("192.168.1.10:6881")
	for _, tc := range []struct {
		name  string
		opts  Options
		bound netip.AddrPort
		want  bool
	}{
		{"all interfaces, public routers", Options{}, any4, true},
		{"a LAN address, public routers", Options{}, lan, true},
		{"a public address", Options{}, netip.MustParseAddrPort("203.0.113.4:6881"), true},
		{"the public routers named", Options{Bootstrap: DefaultBootstrap}, any4, true},
		{"loopback", Options{}, netip.MustParseAddrPort("127.0.0.1:6881"), false},
		{"link-local", Options{}, netip.MustParseAddrPort("169.254.3.4:6881"), false},
		{"IPv6", Options{}, netip.MustParseAddrPort("[2001:db8::1]:6881"), false},
		{"a test swarm", Options{Bootstrap: []string{"127.0.0.1:7000"}}, any4, false},
		{"a private network", Options{Bootstrap: []string{"10.0.0.2:6881"}}, lan, false},
		{"no bootstrap node", Options{Bootstrap: []string{}}, any4, false},
		{"read-only", Options{ReadOnly: true}, any4, false},
		{"on, loopback", Options{PortMap: PortMapOn}, netip.MustParseAddrPort("127.0.0.1:6881"), true},
		{"on, a test swarm", Options{PortMap: PortMapOn, Bootstrap: []string{"127.0.0.1:7000"}}, any4, true},
		{"off", Options{PortMap: PortMapOff}, any4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(BootstrapEnv, "")
			s, err := NewSession(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.wantsPortMap(tc.bound); got != tc.want {
				t.Errorf("maps: %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPortMapInvalid(t *testing.T) {
	for _, p := range []PortMap{-1, 3} {
		if _, err := NewSession(Options{PortMap: p}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("PortMap %d: %v", p, err)
		}
	}
}

// A session that does not map never starts a mapper: Start and Stop stay
// local, and PortMapping says none.
func TestNoPortMapOnLoopback(t *testing.T) {
	s, err := NewSession(Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	m, changed := s.PortMapping()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.pm.mapper != nil {
		t.Error("a mapper started for a loopback node")
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop took %v", d)
	}
	select {
	case <-changed:
		t.Error("the mapping changed")
	default:
	}
	if m.Protocol != "" {
		t.Errorf("%+v", m)
	}
}
