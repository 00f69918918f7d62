//go:build natlab

package natlab

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scout-dht/scout/scout"
)

// BEP 42 on "the internet": the lab's WAN namespace gets a link, pub0,
// with documentation addresses (RFC 5737 and RFC 3849), each a /32 or a
// /128. BEP 42 counts them as public (they are not private, loopback or
// link-local), and they are routed nowhere: the namespace has no default
// route, and no route to any other address of those ranges. pub0 is one end
// of a veth pair whose other end, pub1, is in the same namespace too and
// has no address (this kernel has no dummy links); the namespace delivers
// from one of its addresses to another through lo. Every node runs in this
// process with its sockets bound in that namespace (inNamespace).
const (
	pubLink   = "pub0"
	pubPeer   = "pub1"
	bep42Port = 6881
	bep42Wait = 20 * time.Second // for any one condition below
)

// The node under test, and the voters it learns its address from.
var (
	self4 = netip.MustParseAddr("198.51.100.7")
	self6 = netip.MustParseAddr("2001:db8:7::7")
)

const voters = 5

// voterAddrs are voter i's addresses, the IPv6 one in a /64 of its own
// (a rate limit counts an IPv6 source by its /64, an IPv4 one by address).
func voterAddrs(i int) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte{203, 0, 113, byte(10 * (i + 1))}),
		netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::1", 0x100*(i+1)))
}

// bep42Valid reports whether id is a BEP 42 id for ip, by the BEP's rule
// written out here, apart from the library's code: CRC32-C over the
// address ANDed with 0x030f3fff (IPv4) or its first 8 bytes ANDed with
// 0x0103070f1f3f7fff (IPv6), with r = id[19] & 7 as the top three bits;
// the id's first 21 bits are the CRC's first 21.
func bep42Valid(id [20]byte, ip netip.Addr) bool {
	r := uint64(id[19] & 7)
	var masked []byte
	if ip.Is4() {
		a := ip.As4()
		v := binary.BigEndian.Uint32(a[:])&0x030f3fff | uint32(r)<<29
		masked = binary.BigEndian.AppendUint32(nil, v)
	} else {
		a := ip.As16()
		v := binary.BigEndian.Uint64(a[:8])&0x0103070f1f3f7fff | r<<61
		masked = binary.BigEndian.AppendUint64(nil, v)
	}
	crc := crc32.Checksum(masked, crc32.MakeTable(crc32.Castagnoli))
	return binary.BigEndian.Uint32(id[:4])>>11 == crc>>11
}

// TestBEP42Rule checks bep42Valid against the BEP's example table (address
// → example id, whose last byte is r), and that it looks at 21 bits: not
// 20, not 22.
func TestBEP42Rule(t *testing.T) {
	examples := map[string]string{
		"124.31.75.21": "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401",
		"21.75.31.124": "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256",
		"65.23.51.170": "a5d43220bc8f112a3d426c84764f8c2a1150e616",
		"84.124.73.14": "1b0321dd1bb1fe518101ceef99462b947a01ff41",
		"43.213.53.83": "e56f6cbf5b7c4be0237986d5243b87aa6d51305a",
	}
	for ip, hx := range examples {
		t.Run(ip, func(t *testing.T) {
			id := mustID(t, hx)
			a := netip.MustParseAddr(ip)
			if !bep42Valid(id, a) {
				t.Fatalf("the BEP's id %s is not valid for %s", hx, ip)
			}
			bit21, bit22 := id, id
			bit21[2] ^= 0x08
			bit22[2] ^= 0x04
			if bep42Valid(bit21, a) || !bep42Valid(bit22, a) {
				t.Errorf("flipping bit 21 must break the id, flipping bit 22 must not")
			}
			if bep42Valid(id, self4) {
				t.Errorf("valid for %v too", self4)
			}
		})
	}
}

func mustID(t *testing.T, hx string) (id [20]byte) {
	t.Helper()
	b, err := hex.DecodeString(hx)
	if err != nil || len(b) != len(id) {
		t.Fatalf("id %q: %v", hx, err)
	}
	return [20]byte(b)
}

// TestInLabBEP42: a node on a public IPv4 and IPv6 address (198.51.100.7
// and 2001:db8:7::7), whose state file holds ids that are not BEP 42 ids
// for them, joins five other nodes on public addresses of their own. The
// "ip" of their replies tells it its addresses (three distinct voters
// each); it then takes BEP 42 ids for them, as its Stats say and its state
// file, written on Stop, shows (checked by the BEP's rule, bep42Valid, not
// by the library's code). Started again with that state file, it learns
// the same addresses and keeps its ids. The other nodes took BEP 42 ids
// for their own addresses too and, stopped, list it under its new ids
// only. (Whether they count it as verified, the table's BEP 42 flag, no
// public API says.)
func TestInLabBEP42(t *testing.T) {
	ns := skipOutside(t) + "-wan"
	dir := t.TempDir()
	addrs := []netip.Addr{self4, self6}
	for i := range voters {
		a4, a6 := voterAddrs(i)
		addrs = append(addrs, a4, a6)
	}
	publicLink(t, ns, addrs)

	// The voters: the first has no bootstrap node, the others join through it.
	var vs []*scout.Session
	v0, v06 := voterAddrs(0)
	for i := range voters {
		a4, a6 := voterAddrs(i)
		var boot []netip.Addr
		if i > 0 {
			boot = []netip.Addr{v0, v06}
		}
		vs = append(vs, startPublic(t, ns, a4, a6, filepath.Join(dir, fmt.Sprintf("voter%d.json", i)), boot...))
	}

	// The node under test, through the first voter only, with ids that
	// are not BEP 42 ids for its addresses.
	state := filepath.Join(dir, "self.json")
	old := savedState{ID: hex.EncodeToString(idNotFor(self4)), ID6: hex.EncodeToString(idNotFor(self6)), Nodes: []savedNode{}}
	b, err := json.Marshal(old)
	must(t, err)
	must(t, os.WriteFile(state, b, 0o600))

	first := joinSelf(t, ns, state, v0, v06)
	t.Logf("first run: %s", first)
	saved := readState(t, state)
	id4, id6 := mustID(t, saved.ID), mustID(t, saved.ID6)
	if saved.ID == old.ID || !bep42Valid(id4, self4) {
		t.Errorf("saved id %s (was %s): want a new BEP 42 id for %v", saved.ID, old.ID, self4)
	}
	if saved.ID6 == old.ID6 || !bep42Valid(id6, self6) {
		t.Errorf("saved id6 %s (was %s): want a new BEP 42 id for %v", saved.ID6, old.ID6, self6)
	}
	if len(saved.Nodes) == 0 {
		t.Errorf("the state file lists no node")
	}

	// Again, from that state file: the same addresses, the same ids.
	again := joinSelf(t, ns, state, v0, v06)
	if kept := readState(t, state); kept.ID != saved.ID || kept.ID6 != saved.ID6 {
		t.Errorf("restarted with ids %s, %s, it saved %s, %s: want them kept", saved.ID, saved.ID6, kept.ID, kept.ID6)
	}
	t.Logf("restarted with the ids it saved: %s", again)

	// The voters: each names its own addresses with BEP 42 ids (they
	// vote for each other too), saves those ids, and lists the node under
	// test under its new ids. The network is smaller than a bucket (8), so
	// the node's join lookup under its new ids asked every voter, and a
	// node that queries from a known address with a new id takes the old
	// one's place in the table.
	if !waitFor(bep42Wait, func() bool {
		for i, v := range vs {
			a4, a6 := voterAddrs(i)
			if got := v.Stats(); got.ExternalAddr != a4 || !got.IDSecure || got.ExternalAddr6 != a6 || !got.IDSecure6 {
				return false
			}
		}
		return true
	}) {
		for i, v := range vs {
			got := v.Stats()
			t.Errorf("voter %d sees itself at %v (BEP 42 id: %v) and %v (%v)", i, got.ExternalAddr, got.IDSecure, got.ExternalAddr6, got.IDSecure6)
		}
	}
	mine := map[string][2]string{
		netip.AddrPortFrom(self4, bep42Port).String(): {saved.ID, old.ID},
		netip.AddrPortFrom(self6, bep42Port).String(): {saved.ID6, old.ID6},
	}
	listing := 0
	for i, v := range vs {
		a4, a6 := voterAddrs(i)
		must(t, v.Stop())
		vst := readState(t, filepath.Join(dir, fmt.Sprintf("voter%d.json", i)))
		if !bep42Valid(mustID(t, vst.ID), a4) || !bep42Valid(mustID(t, vst.ID6), a6) {
			t.Errorf("voter %d saved ids %s, %s: not BEP 42 ids for %v, %v", i, vst.ID, vst.ID6, a4, a6)
		}
		var seen []string
		for _, n := range vst.Nodes {
			ids, ok := mine[n.Addr]
			switch {
			case !ok:
			case n.ID == ids[0]:
				seen = append(seen, n.Addr)
			default:
				t.Errorf("voter %d lists %s as %s, not as its new id %s (old: %s)", i, n.Addr, n.ID, ids[0], ids[1])
			}
		}
		if len(seen) == len(mine) {
			listing++
		}
	}
	if listing != voters {
		t.Errorf("%d voters of %d list the node under test under its new ids in both families, want all", listing, voters)
	}
	t.Logf("%d voters of %d took BEP 42 ids and list the node under test under its new ids only", listing, voters)
}

// publicLink makes the link pub0 (and its veth peer pub1) in namespace ns,
// gives pub0 addrs, and turns IPv6 on for pub0 and lo (the lab has it
// off), through which the namespace delivers to its own addresses; pub0
// gets no link-local address. Both are undone when the test ends (the
// lab's teardown would delete them anyway).
func publicLink(t *testing.T, ns string, addrs []netip.Addr) {
	t.Cleanup(func() {
		run(t, "ip", "-n", ns, "link", "del", pubLink) // and pub1
		runIn(t, ns, "sysctl", "-qw", "net.ipv6.conf.lo.disable_ipv6=1")
	})
	run(t, "ip", "-n", ns, "link", "add", pubLink, "type", "veth", "peer", "name", pubPeer)
	run(t, "ip", "-n", ns, "link", "set", pubLink, "addrgenmode", "none")
	for _, dev := range []string{"lo", pubLink} {
		runIn(t, ns, "sysctl", "-qw", "net.ipv6.conf."+dev+".disable_ipv6=0")
	}
	for _, dev := range []string{pubLink, pubPeer} {
		run(t, "ip", "-n", ns, "link", "set", dev, "up")
	}
	for _, a := range addrs {
		args := []string{"-n", ns, "addr", "add", netip.PrefixFrom(a, a.BitLen()).String(), "dev", pubLink}
		if a.Is6() {
			args = append(args, "nodad") // usable at once
		}
		run(t, "ip", args...)
	}
}

// startPublic starts a dual-stack node on a4 and a6 (port 6881), its
// sockets bound in namespace ns, joining through the nodes at boot.
func startPublic(t *testing.T, ns string, a4, a6 netip.Addr, state string, boot ...netip.Addr) *scout.Session {
	t.Helper()
	s := newPublic(t, a4, a6, state, boot...)
	startIn(t, ns, s)
	return s
}

func newPublic(t *testing.T, a4, a6 netip.Addr, state string, boot ...netip.Addr) *scout.Session {
	t.Helper()
	opts := scout.Options{
		ListenAddr:  netip.AddrPortFrom(a4, bep42Port).String(),
		ListenAddr6: netip.AddrPortFrom(a6, bep42Port).String(),
		Bootstrap:   []string{},
		StateFile:   state,
		PortMap:     scout.PortMapOff,
		Timeout:     5 * time.Second,
	}
	for _, b := range boot {
		opts.Bootstrap = append(opts.Bootstrap, netip.AddrPortFrom(b, bep42Port).String())
	}
	s, err := scout.NewSession(opts)
	must(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// startIn starts s with its sockets bound in namespace ns (Start binds
// them on a thread moved there), and checks where they are.
func startIn(t *testing.T, ns string, s *scout.Session) {
	t.Helper()
	must(t, inNamespace(ns, func() error { return s.Start(context.Background()) }))
	if got := s.Addrs(); len(got) != 2 || got[0].Port() != bep42Port || got[1].Port() != bep42Port || !got[0].Addr().Is4() || !got[1].Addr().Is6() {
		t.Fatalf("listening on %v, want an IPv4 and an IPv6 address on port %d", got, bep42Port)
	}
}

// learning is what the node under test reported from the moment its Start
// began: when it first named each external address (IPv4, IPv6) and how
// many replies it had by then, when it first had a BEP 42 id for it, and
// how long Start took.
type learning struct {
	addr, secure [2]time.Duration // 0: not yet
	replies      [2]uint64        // both families' replies, summed
	wrong        netip.Addr       // an external address other than its own
	start        time.Duration
}

func (l learning) String() string {
	ms := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("address learned after %v (IPv4, %d replies in) and %v (IPv6, %d replies in), "+
		"a BEP 42 id after %v and %v; Start (its first lookup) took %v",
		ms(l.addr[0]), l.replies[0], ms(l.addr[1]), l.replies[1], ms(l.secure[0]), ms(l.secure[1]), ms(l.start))
}

// joinSelf starts the node under test (self4, self6) with the state file,
// watching its Stats from before Start until it names its addresses with
// BEP 42 ids (or names another address, or bep42Wait passes), then stops it.
func joinSelf(t *testing.T, ns, state string, boot ...netip.Addr) learning {
	t.Helper()
	s := newPublic(t, self4, self6, state, boot...)
	ctx, cancel := context.WithTimeout(context.Background(), bep42Wait)
	defer cancel() // and the watch with it
	begin := time.Now()
	watched := make(chan learning, 1)
	go func() { watched <- watchLearning(ctx, s, begin) }()
	startIn(t, ns, s)
	took := time.Since(begin)
	l := <-watched
	l.start = took
	st := s.Stats()
	must(t, s.Stop())
	if l.wrong.IsValid() {
		t.Fatalf("external address %v, want %v and %v", l.wrong, self4, self6)
	}
	if l.secure[0] == 0 || l.secure[1] == 0 {
		t.Fatalf("after %v: external addresses %v (BEP 42 id: %v) and %v (%v), want %v and %v with BEP 42 ids; %d replies, %d timeouts",
			bep42Wait, st.ExternalAddr, st.IDSecure, st.ExternalAddr6, st.IDSecure6, self4, self6, st.Replies, st.Timeouts)
	}
	return l
}

// watchLearning polls s's Stats every 100 µs until both families name
// self4 and self6 with BEP 42 ids, another address shows, or ctx ends.
func watchLearning(ctx context.Context, s *scout.Session, begin time.Time) (l learning) {
	tick := time.NewTicker(100 * time.Microsecond)
	defer tick.Stop()
	for {
		st := s.Stats()
		now := time.Since(begin)
		for i, f := range [2]struct {
			ext, want netip.Addr
			secure    bool
		}{{st.ExternalAddr, self4, st.IDSecure}, {st.ExternalAddr6, self6, st.IDSecure6}} {
			if f.ext.IsValid() && f.ext != f.want {
				l.wrong = f.ext
				return l
			}
			if f.ext == f.want && l.addr[i] == 0 {
				l.addr[i], l.replies[i] = now, st.Replies
			}
			if f.ext == f.want && f.secure && l.secure[i] == 0 {
				l.secure[i] = now
			}
		}
		if l.secure[0] != 0 && l.secure[1] != 0 {
			return l
		}
		select {
		case <-ctx.Done():
			return l
		case <-tick.C:
		}
	}
}

// idNotFor returns a random id that is not a BEP 42 id for ip.
func idNotFor(ip netip.Addr) []byte {
	for {
		var id [20]byte
		rand.Read(id[:])
		if !bep42Valid(id, ip) {
			return id[:]
		}
	}
}

// savedState is the state file as a session writes it (scout/state.go).
type savedState struct {
	ID    string      `json:"id"`
	ID6   string      `json:"id6"`
	Nodes []savedNode `json:"nodes"`
}

type savedNode struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

func readState(t *testing.T, path string) savedState {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	if st.ID6 == "" || strings.EqualFold(st.ID, st.ID6) {
		t.Errorf("%s: want an id per family: %s", path, b)
	}
	return st
}
