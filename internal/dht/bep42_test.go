package dht

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

// The BEP's own table: an address, the random byte r, and an example id
// whose first 21 bits and last byte follow from them.
var bep42Vectors = []struct {
	ip string
	r  byte
	id string
}{
	{"124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
	{"21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
	{"65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
	{"84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
	{"43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
}

func TestBEP42Vectors(t *testing.T) {
	for _, v := range bep42Vectors {
		t.Run(v.ip, func(t *testing.T) {
			raw, err := hex.DecodeString(v.id)
			require.NoError(t, err)
			want := ID(raw)
			ip := netip.MustParseAddr(v.ip)
			assert.True(t, idValid(want, ip), "the BEP's id is valid for its address")

			var random [20]byte
			copy(random[:], want[:])
			got := secureID(ip, random)
			assert.Equal(t, want[:3], got[:3], "the first 21 bits follow from the address and r")
			assert.Equal(t, v.r, got[19])
			assert.True(t, idValid(got, ip))

			other := netip.MustParseAddr("203.0.113.7")
			assert.False(t, idValid(want, other), "not valid for another address")
			wrong := want
			wrong[0] ^= 0x80
			assert.False(t, idValid(wrong, ip))
		})
	}
}

func TestBEP42Exemptions(t *testing.T) {
	var id ID // any id
	for _, ip := range []string{"10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "::1", "fe80::1", "fd00::1"} {
		assert.True(t, idValid(id, netip.MustParseAddr(ip)), ip)
	}
	assert.False(t, idValid(id, netip.MustParseAddr("8.8.8.8")))
	// IPv6: a /64's first 8 bytes, masked.
	ip := netip.MustParseAddr("2001:db8:1:2:3:4:5:6")
	var random [20]byte
	random[19] = 5
	sid := secureID(ip, random)
	assert.True(t, idValid(sid, ip))
	assert.True(t, idValid(sid, netip.MustParseAddr("2001:db8:1:2:ffff::")), "the same /64, masked alike")
}

func TestExternalVote(t *testing.T) {
	var v externalVote
	me := netip.MustParseAddr("198.51.100.7")
	src := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}) }
	_, changed := v.vote(me, src(1))
	assert.False(t, changed)
	_, changed = v.vote(me, src(1))
	assert.False(t, changed, "one source votes once")
	_, changed = v.vote(me, src(2))
	assert.False(t, changed)
	ext, changed := v.vote(me, src(3))
	assert.True(t, changed, "three sources agree")
	assert.Equal(t, me, ext)
	assert.Equal(t, me, v.current())

	// A stranger naming many addresses cannot grow the tally, nor win.
	for i := range 1000 {
		_, changed = v.vote(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), src(99))
		assert.False(t, changed)
	}
	assert.LessOrEqual(t, len(v.tallies), maxCandidates4)
	assert.Equal(t, me, v.current())

	// A new address, once more sources see it than the old one: the old
	// one's tally saturates, so a move needs a bounded number of votes.
	for i := range 20 {
		v.vote(me, src(20+i))
	}
	moved := netip.MustParseAddr("198.51.100.8")
	votes := 0
	for i := 0; v.current() != moved; i++ {
		v.vote(moved, src(60+i))
		votes++
		require.Less(t, votes, 20)
	}
	assert.Equal(t, maxVoters+1, votes)
}

// TestNodeTakesABEP42ID: replies that say the node is seen at a public
// address make it take a BEP 42 id for that address, once three sources
// agree; the table moves to the new id, and nodes whose ids follow BEP 42
// are preferred in a full bucket.
func TestNodeTakesABEP42ID(t *testing.T) {
	nodes := startNodes(t, 1)
	n := nodes[0]
	old := n.ID()
	ext := netip.MustParseAddr("198.51.100.7")
	require.False(t, idValid(old, ext) && !exemptFromBEP42(ext), "a random id is not a BEP 42 id (1 in 2 million)")
	ctx := context.Background()
	for i := range 3 {
		// A responder on its own loopback address answers the node's ping
		// with "ip": where it saw the ping come from, as a node on the
		// internet would.
		src := newRawSource(t, fmt.Sprintf("127.30.0.%d", i+1), n.Addr())
		go func() {
			buf := make([]byte, 1500)
			src.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			size, from, err := src.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var m krpc.Msg
			if krpc.Decode(buf[:size], &m) != nil || m.Y != krpc.KindQuery {
				return
			}
			r := krpc.Return{ID: ID{byte(i + 1)}, HasID: true}
			_, _ = src.conn.WriteToUDPAddrPort(krpc.AppendReply(nil, m.T, &r, netip.AddrPortFrom(ext, 6881)), from)
		}()
		require.NoError(t, n.Ping(ctx, netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf("127.30.0.%d", i+1)), src.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port())))
	}
	got, valid := n.External()
	assert.Equal(t, ext, got)
	assert.True(t, valid)
	assert.NotEqual(t, old, n.ID())
	assert.True(t, idValid(n.ID(), ext))
	assert.Equal(t, 3, n.table.len(), "the table kept its nodes under the new id")
	assert.Equal(t, n.ID(), n.table.self)
}

func TestTablePrefersSecureIDs(t *testing.T) {
	pub := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), 6881)
	}
	var random [20]byte
	sid := secureID(pub(50).Addr(), random)
	require.True(t, idValid(sid, pub(50).Addr()))
	// Our id shares sid's first 5 bits: sid falls in bucket 5 (k places).
	self := sid
	self[0] ^= 0x04
	tbl := newTable(self)
	// Nine nodes in that bucket whose ids do not follow BEP 42 fill it
	// (eight) and its replacement cache.
	for i := range 9 {
		id := sid
		id[10], id[11] = 0xee, byte(i)
		require.False(t, idValid(id, pub(i).Addr()))
		tbl.responded(id, pub(i), time.Millisecond)
	}
	require.Equal(t, bucketSize, tbl.len())
	tbl.responded(sid, pub(50), time.Millisecond)
	assert.True(t, tbl.knows(pub(50)), "a secure id takes the place of an insecure one")
	assert.Equal(t, bucketSize, tbl.len())
	assert.False(t, tbl.knows(pub(0)), "the longest silent insecure node made way")
}

// TestSetExternal: the router's word (a port mapping's external address)
// makes the node take a BEP 42 id at once, and stands against a few
// nodes' votes for another address; an address of the other family or a
// private one changes no id.
func TestSetExternal(t *testing.T) {
	n := startNodes(t, 1)[0]
	old := n.ID()
	n.SetExternal(netip.MustParseAddr("2001:db8::1"))
	n.SetExternal(netip.Addr{})
	ext, _ := n.External()
	assert.False(t, ext.IsValid(), "an IPv6 address is not an IPv4 node's")
	n.SetExternal(netip.MustParseAddr("192.168.1.20"))
	assert.Equal(t, old, n.ID(), "a private address takes no BEP 42 id")
	pub := netip.MustParseAddr("203.0.113.9")
	n.SetExternal(pub)
	got, valid := n.External()
	assert.Equal(t, pub, got)
	assert.True(t, valid)
	assert.True(t, idValid(n.ID(), pub))
	assert.Equal(t, n.ID(), n.table.self)
	other := netip.MustParseAddr("198.51.100.77")
	for i := range maxVoters {
		n.external.vote(other, netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}))
	}
	got, _ = n.External()
	assert.Equal(t, pub, got, "as many voters as the router's tally do not outvote it")
}
