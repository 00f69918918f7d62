package portmap

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// pcpResponseBytes encodes a response (for the fake server and the fuzzer's
// seeds).
func pcpResponseBytes(r pcpResponse) []byte {
	n := pcpHeaderLen
	if r.opcode == pcpOpMap {
		n = pcpMapLen
	}
	b := make([]byte, n)
	b[0] = pcpVersion
	b[1] = r.opcode | pcpResponseBit
	b[3] = r.result
	binary.BigEndian.PutUint32(b[4:], r.lifetime)
	binary.BigEndian.PutUint32(b[8:], r.epoch)
	if r.opcode == pcpOpMap {
		m := b[pcpHeaderLen:]
		copy(m, r.nonce[:])
		m[12] = r.protocol
		binary.BigEndian.PutUint16(m[16:], r.internalPort)
		binary.BigEndian.PutUint16(m[18:], r.externalPort)
		ip := r.externalIP.As16()
		copy(m[20:36], ip[:])
	}
	return b
}

func TestPCPRequest(t *testing.T) {
	nonce := [pcpNonceLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	b := pcpRequest(pcpOpMap, netip.MustParseAddr("192.168.77.10"), nonce, 51413, 51414, 7200)
	want := []byte{
		2, 1, 0, 0, 0, 0, 0x1c, 0x20, // version, MAP, reserved, lifetime 7200
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 77, 10, // client ::ffff:192.168.77.10
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, // nonce
		17, 0, 0, 0, 0xc8, 0xd5, 0xc8, 0xd6, // UDP, reserved, ports 51413 -> 51414
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, // no preferred address
	}
	if !bytes.Equal(b, want) {
		t.Errorf("MAP request\n got % x\nwant % x", b, want)
	}
	if a := pcpRequest(pcpOpAnnounce, netip.MustParseAddr("10.0.0.2"), nonce, 0, 0, 0); len(a) != pcpHeaderLen || a[1] != 0 {
		t.Errorf("ANNOUNCE request % x", a)
	}
}

func TestParsePCP(t *testing.T) {
	good := pcpResponse{opcode: pcpOpMap, lifetime: 7200, epoch: 99, nonce: [12]byte{7}, protocol: protoUDP,
		internalPort: 4000, externalPort: 4001, externalIP: netip.MustParseAddr("203.0.113.5")}
	r, err := parsePCP(pcpResponseBytes(good))
	if err != nil || r != good {
		t.Fatalf("parse(encode(%+v)) = %+v, %v", good, r, err)
	}
	withOption := append(pcpResponseBytes(good), 1, 0, 0, 4, 0, 0, 0, 0)
	if r, err := parsePCP(withOption); err != nil || r != good {
		t.Errorf("a response with an option: %+v, %v", r, err)
	}
	ann := pcpResponse{opcode: pcpOpAnnounce, epoch: 5}
	if r, err := parsePCP(pcpResponseBytes(ann)); err != nil || r.opcode != pcpOpAnnounce || r.epoch != 5 {
		t.Errorf("ANNOUNCE: %+v, %v", r, err)
	}
	if _, err := parsePCP([]byte{0, 0x80, 0, 1, 0, 0, 0, 0}); !errors.Is(err, errPCPVersion) {
		t.Errorf("a NAT-PMP answer: %v", err)
	}
	bad := map[string][]byte{
		"empty":          nil,
		"short":          pcpResponseBytes(good)[:20],
		"not a multiple": append(pcpResponseBytes(good), 0),
		"too long":       make([]byte, pcpMaxLen+4),
		"version 1":      func() []byte { b := pcpResponseBytes(good); b[0] = 1; return b }(),
		"a request":      func() []byte { b := pcpResponseBytes(good); b[1] = pcpOpMap; return b }(),
		"unknown opcode": func() []byte { b := pcpResponseBytes(good); b[1] = 0x80 | 9; return b }(),
		"MAP too short":  pcpResponseBytes(pcpResponse{opcode: pcpOpMap})[:pcpHeaderLen+32],
		"header, no MAP": func() []byte { b := pcpResponseBytes(ann); b[1] = 0x81; return b }(),
	}
	for name, b := range bad {
		if _, err := parsePCP(b); err == nil {
			t.Errorf("%s: parsed % x", name, b)
		}
	}
	if s := pcpResultError(8).Error(); s != "result 8 (NO_RESOURCES)" {
		t.Errorf("%q", s)
	}
	if s := pcpResultError(200).Error(); s != "result 200" {
		t.Errorf("%q", s)
	}
}

// fakePCP is a PCP server on loopback that answers as a handler says.
type fakePCP struct {
	conn *net.UDPConn
	mu   sync.Mutex
	reqs [][]byte
	// answer returns the datagrams to send back for a request.
	answer func(req []byte) [][]byte
}

func startFakePCP(t *testing.T, answer func(req []byte) [][]byte) *fakePCP {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePCP{conn: c, answer: answer}
	go func() {
		buf := make([]byte, 2000)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			req := append([]byte(nil), buf[:n]...)
			f.mu.Lock()
			f.reqs = append(f.reqs, req)
			f.mu.Unlock()
			for _, r := range f.answer(req) {
				_, _ = c.WriteToUDPAddrPort(r, from)
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return f
}

func (f *fakePCP) client() *pcpClient {
	c := newPCPClient(netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"))
	c.port = uint16(f.conn.LocalAddr().(*net.UDPAddr).Port)
	return c
}

func (f *fakePCP) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// mapAnswer answers a MAP request as a router granting ext.
func mapAnswer(req []byte, ext netip.AddrPort, epoch uint32) []byte {
	var r pcpResponse
	r.opcode = req[1]
	r.epoch = epoch
	if r.opcode == pcpOpMap {
		copy(r.nonce[:], req[24:36])
		r.protocol = req[36]
		r.internalPort = binary.BigEndian.Uint16(req[40:])
		r.lifetime = binary.BigEndian.Uint32(req[4:])
		r.externalPort = ext.Port()
		r.externalIP = ext.Addr()
	}
	return pcpResponseBytes(r)
}

func TestPCPClient(t *testing.T) {
	ext := netip.MustParseAddrPort("203.0.113.9:4444")
	epoch := uint32(1000)
	var mu sync.Mutex
	f := startFakePCP(t, func(req []byte) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		other := append([]byte(nil), req...)
		if len(other) >= 36 {
			other[24] ^= 0xff // another client's nonce: ignored
		}
		return [][]byte{[]byte("junk"), mapAnswer(other, netip.MustParseAddrPort("198.51.100.1:1"), epoch), mapAnswer(req, ext, epoch)}
	})
	c := f.client()
	ctx := context.Background()
	if err := c.probe(ctx); err != nil {
		t.Fatal(err)
	}
	g, err := c.add(ctx, 4000, 4000, 2*time.Hour)
	if err != nil || g.external != ext || g.lease != 2*time.Hour {
		t.Fatalf("add: %+v, %v", g, err)
	}
	if stale, err := c.check(ctx, g); err != nil || stale {
		t.Errorf("check: stale %v, %v", stale, err)
	}
	mu.Lock()
	epoch = 3 // the router restarted
	mu.Unlock()
	if stale, err := c.check(ctx, g); err != nil || !stale {
		t.Errorf("check after a restart: stale %v, %v", stale, err)
	}
	if err := c.remove(ctx, 4000, 4444); err != nil {
		t.Errorf("remove: %v", err)
	}
	f.mu.Lock()
	last := f.reqs[len(f.reqs)-1]
	f.mu.Unlock()
	if binary.BigEndian.Uint32(last[4:]) != 0 || binary.BigEndian.Uint16(last[40:]) != 4000 {
		t.Errorf("a delete is a MAP of lifetime 0 for our port: % x", last)
	}
}

func TestPCPClientErrors(t *testing.T) {
	ctx := context.Background()
	refuse := startFakePCP(t, func(req []byte) [][]byte {
		r, _ := parsePCP(mapAnswer(req, netip.AddrPort{}, 1))
		r.result = 2
		return [][]byte{pcpResponseBytes(r)}
	})
	var re pcpResultError
	if _, err := refuse.client().add(ctx, 4000, 4000, time.Hour); !errors.As(err, &re) || re != 2 || !refused(err) {
		t.Errorf("a refusal: %v", err)
	}
	natpmpOnly := startFakePCP(t, func([]byte) [][]byte { return [][]byte{{0, 0x81, 0, 1, 0, 0, 0, 0}} })
	if err := natpmpOnly.client().probe(ctx); !errors.Is(err, errPCPVersion) {
		t.Errorf("a NAT-PMP server: %v", err)
	}
	silent := startFakePCP(t, func([]byte) [][]byte { return nil })
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, 900*time.Millisecond)
	defer cancel()
	if err := silent.client().probe(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a silent server: %v", err)
	}
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Errorf("gave up after %v", d)
	}
	// 250 ms, then 500: three requests within 900 ms.
	if n := silent.requests(); n != 3 {
		t.Errorf("%d requests sent to a silent server in 900 ms, want 3", n)
	}
	zero := startFakePCP(t, func(req []byte) [][]byte { return [][]byte{mapAnswer(req, netip.AddrPort{}, 1)} })
	if _, err := zero.client().add(ctx, 4000, 4000, time.Hour); err == nil {
		t.Errorf("a grant of no address was taken")
	}
}

func TestEpochClock(t *testing.T) {
	var e epochClock
	if !e.observe(100) {
		t.Error("first")
	}
	if !e.observe(100) || !e.observe(101) {
		t.Error("steady")
	}
	if e.observe(50) {
		t.Error("a clock that went back is a restart")
	}
	e.at = time.Now().Add(-100 * time.Second)
	e.server = 1000
	if e.observe(1010) {
		t.Error("10 s on the server in 100 s here is a restart")
	}
	e.at = time.Now().Add(-100 * time.Second)
	e.server = 1000
	if !e.observe(1095) {
		t.Error("95 s on the server in 100 s here is drift")
	}
}
