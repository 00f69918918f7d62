package dht

import (
	"crypto/rand"
	"hash/crc32"
	"net/netip"
	"sync"
)

// BEP 42, the DHT security extension: a node's id is tied to its external
// IP address. Its first 21 bits are those of CRC32-C over the address,
// masked (so that nodes in one /24 or /64 cannot choose them), with three
// random bits r mixed in; its last byte holds r.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	mask4 = [4]byte{0x03, 0x0f, 0x3f, 0xff}
	mask6 = [8]byte{0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff}
)

// crcIP is BEP 42's CRC32-C of ip, masked, with r (0–7) in its top bits.
func crcIP(ip netip.Addr, r byte) uint32 {
	ip = ip.Unmap()
	var b []byte
	if ip.Is4() {
		a := ip.As4()
		for i := range a {
			a[i] &= mask4[i]
		}
		b = a[:]
	} else {
		a16 := ip.As16()
		var a [8]byte
		for i := range a {
			a[i] = a16[i] & mask6[i]
		}
		b = a[:]
	}
	b[0] |= (r & 7) << 5
	return crc32.Checksum(b, castagnoli)
}

// secureID returns a BEP 42 id for ip, from 20 random bytes.
func secureID(ip netip.Addr, random [20]byte) ID {
	id := ID(random)
	crc := crcIP(ip, id[19])
	id[0] = byte(crc >> 24)
	id[1] = byte(crc >> 16)
	id[2] = byte(crc>>8)&0xf8 | id[2]&7
	return id
}

// idValid reports whether id is a BEP 42 id for ip. Nodes on local,
// private or loopback addresses are exempt, as libtorrent exempts them:
// their external address is not what we see.
func idValid(id ID, ip netip.Addr) bool {
	ip = ip.Unmap()
	if exemptFromBEP42(ip) {
		return true
	}
	crc := crcIP(ip, id[19])
	return id[0] == byte(crc>>24) && id[1] == byte(crc>>16) && id[2]&0xf8 == byte(crc>>8)&0xf8
}

// exemptFromBEP42 reports whether ip is a local, private, link-local or
// loopback address.
func exemptFromBEP42(ip netip.Addr) bool {
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
}

// The external address, by vote: replies carry the address the replier
// saw our query come from (BEP 42's "ip"). An address seen by
// externalVoters different sources, and by more than any other, is our
// external address. When it changes to one for which our id is not a BEP 42
// id, the node takes a new id that is.

const (
	externalVoters = 3 // distinct sources before an address is believed
	maxCandidates4 = 8 // addresses tallied at once
	// maxVoters bounds the sources counted per address: a new address wins
	// over the believed one with one more.
	maxVoters = 2 * externalVoters
)

type externalVote struct {
	mu      sync.Mutex
	addr    netip.Addr // believed so far (invalid: none)
	tallies map[netip.Addr]map[netip.Addr]struct{}
}

// vote counts that from saw us at ip. It returns the external address when
// this vote changed it.
func (v *externalVote) vote(ip, from netip.Addr) (changed netip.Addr, ok bool) {
	ip, from = ip.Unmap(), from.Unmap()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tallies == nil {
		v.tallies = make(map[netip.Addr]map[netip.Addr]struct{})
	}
	voters := v.tallies[ip]
	if voters == nil {
		if len(v.tallies) >= maxCandidates4 {
			// Forget the address with the fewest votes: a stranger cannot
			// fill the tally with addresses of its choosing.
			var least netip.Addr
			for a, vs := range v.tallies {
				if !least.IsValid() || len(vs) < len(v.tallies[least]) {
					least = a
				}
			}
			delete(v.tallies, least)
		}
		voters = make(map[netip.Addr]struct{})
		v.tallies[ip] = voters
	}
	// The believed address's tally stops at maxVoters, a challenger's one
	// past it: a challenger can win.
	if limit := maxVoters + 1; len(voters) < limit && (ip != v.addr || len(voters) < maxVoters) {
		voters[from] = struct{}{}
	}
	if ip == v.addr || len(voters) < externalVoters {
		return netip.Addr{}, false
	}
	for a, vs := range v.tallies {
		if a != ip && len(vs) >= len(voters) {
			return netip.Addr{}, false
		}
	}
	v.addr = ip
	// A new tally from here: the votes for the old address are stale.
	v.tallies = map[netip.Addr]map[netip.Addr]struct{}{ip: voters}
	return ip, true
}

func (v *externalVote) current() netip.Addr {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.addr
}

// externalChanged takes a new external address: when our id is not a BEP
// 42 id for it (and it is not a local or private address), the node takes
// one that is, and looks it up, so that the nodes around the new id learn
// of it. It runs on the socket loop: the lookup runs on its own.
func (n *Node) externalChanged(ext netip.Addr) {
	n.debug("external address %v", ext)
	if exemptFromBEP42(ext) || idValid(n.ID(), ext) {
		return
	}
	var random [20]byte
	rand.Read(random[:])
	id := secureID(ext, random)
	n.self.Store(&id)
	n.table.rekey(id)
	n.debug("new id %x for external address %v (BEP 42)", id, ext)
	if n.rejoin.CompareAndSwap(false, true) {
		go func() {
			defer n.rejoin.Store(false)
			defer n.recoverPanic("a rejoin under a new id")
			n.Bootstrap(n.life)
		}()
	}
}

// SetExternal takes ip as the node's external address on better word than
// other nodes' votes (the home router's, which mapped our port): the node
// believes it at once, with a full tally, and takes a BEP 42 id for it
// when it is public. An address of the other family, or an invalid one,
// is ignored.
func (n *Node) SetExternal(ip netip.Addr) {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Is4() == n.v6 {
		return
	}
	if n.external.believe(ip) {
		n.externalChanged(ip)
	}
}

// believe makes ip the believed address with a full tally (a challenger
// needs more voters than maxVoters to win). It reports whether that
// changed the address.
func (v *externalVote) believe(ip netip.Addr) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	voters := make(map[netip.Addr]struct{}, maxVoters)
	for i := range maxVoters {
		// Stand-ins for the router's word: addresses no node can have.
		voters[netip.AddrFrom4([4]byte{0, 0, 0, byte(i + 1)})] = struct{}{}
	}
	changed := v.addr != ip
	v.addr = ip
	v.tallies = map[netip.Addr]map[netip.Addr]struct{}{ip: voters}
	return changed
}

// External returns the external address other nodes report (BEP 42;
// invalid until enough of them agree), and whether our id is a BEP 42 id
// for it.
func (n *Node) External() (netip.Addr, bool) {
	ext := n.external.current()
	return ext, ext.IsValid() && idValid(n.ID(), ext)
}
