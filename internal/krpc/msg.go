// Package krpc is the wire format of the mainline DHT: every query, reply
// and error of BEP 5 and BEP 44 as a Go type, with one strict codec for
// everything that comes off the network.
//
// Decode reads a datagram written by a stranger. It never panics, allocates
// nothing larger than the datagram, reflects on nothing, and accepts only
// exact types and sizes: ids and targets of 20 bytes, keys of 32, signatures
// of 64, canonical integers, compact node lists whose length is a multiple
// of their record, strings no longer than what is left of the datagram,
// nesting no deeper than MaxDepth. Unknown keys are skipped (they are how
// the protocol grows); a known key with the wrong type or size makes the
// whole message malformed.
//
// The Append functions encode messages with their keys in sorted order, as
// bencoding requires, into a caller's buffer.
package krpc

import (
	"fmt"
	"net/netip"
)

// Limits of the codec.
const (
	// MaxDatagram is the largest datagram Decode reads; bigger ones are
	// refused unread (the mainline DHT's messages fit in one Ethernet MTU).
	MaxDatagram = 1500
	// MaxDepth bounds the nesting of lists and dictionaries, in unknown
	// keys and in BEP 44 values alike.
	MaxDepth = 16
	// MaxTransactionID bounds the "t" a message may carry; a reply echoes
	// it, so a stranger must not choose its size freely.
	MaxTransactionID = 32
	// MaxToken bounds a write token.
	MaxToken = 64
	// MaxValue is BEP 44's bound on the bencoded "v" of a stored item.
	MaxValue = 1000
	// MaxSalt is BEP 44's bound on the salt.
	MaxSalt = 64
)

// ID is a node id, a lookup target or an info hash: 20 bytes.
type ID [20]byte

// Kind is a message's "y": a query, a reply or an error.
type Kind byte

// The three kinds of message.
const (
	KindQuery Kind = 'q'
	KindReply Kind = 'r'
	KindError Kind = 'e'
)

// Method is a query's "q". Methods this package does not know decode as
// MethodUnknown; their names are not kept.
type Method uint8

// The methods of BEP 5 and BEP 44.
const (
	MethodUnknown Method = iota
	MethodPing
	MethodFindNode
	MethodGetPeers
	MethodAnnouncePeer
	MethodGet
	MethodPut
)

var methodNames = [...]string{
	MethodUnknown:      "",
	MethodPing:         "ping",
	MethodFindNode:     "find_node",
	MethodGetPeers:     "get_peers",
	MethodAnnouncePeer: "announce_peer",
	MethodGet:          "get",
	MethodPut:          "put",
}

func (m Method) String() string {
	if int(m) < len(methodNames) && m != MethodUnknown {
		return methodNames[m]
	}
	return "unknown"
}

func methodOf(name []byte) Method {
	// A switch on string(name) does not allocate.
	switch string(name) {
	case "ping":
		return MethodPing
	case "find_node":
		return MethodFindNode
	case "get_peers":
		return MethodGetPeers
	case "announce_peer":
		return MethodAnnouncePeer
	case "get":
		return MethodGet
	case "put":
		return MethodPut
	}
	return MethodUnknown
}

// Want is the set of address families a query asks nodes for (BEP 32).
type Want uint8

// The families of "want".
const (
	WantN4 Want = 1 << iota
	WantN6
)

// Msg is one decoded KRPC message. Its byte slices point into the datagram
// it was decoded from: copy what outlives that buffer.
type Msg struct {
	T  []byte // transaction id, 1 to MaxTransactionID bytes
	Y  Kind
	Q  Method // for a query
	A  Args   // for a query
	R  Return // for a reply
	E  Error  // for an error
	RO bool   // BEP 43: the sender is read-only
	// IP is the address the sender saw us at (BEP 42's "ip"), when given.
	IP netip.AddrPort
}

// Args are a query's arguments ("a"). A Has flag tells a field that was
// present from its zero value.
type Args struct {
	ID       ID
	Target   ID // find_node, get
	InfoHash ID // get_peers, announce_peer
	Token    []byte
	V        []byte // put: the item's bencoded value, verbatim
	K        [32]byte
	Sig      [64]byte
	Salt     []byte
	Seq      int64
	Cas      int64
	Port     int64
	Want     Want
	Implied  bool // announce_peer's implied_port

	HasID, HasTarget, HasInfoHash, HasK, HasSig, HasSeq, HasCas, HasPort bool
}

// Return is a reply's values ("r").
type Return struct {
	ID     ID
	Nodes  []byte // compact IPv4 node infos, a multiple of 26 bytes
	Nodes6 []byte // compact IPv6 node infos, a multiple of 38 bytes
	Token  []byte
	V      []byte // get: the item's bencoded value, verbatim
	K      [32]byte
	Sig    [64]byte
	Seq    int64
	Values int // get_peers: how many peer addresses came (they are not kept)

	HasID, HasK, HasSig, HasSeq bool
}

// Error codes of BEP 5 and BEP 44.
const (
	CodeGeneric       = 201
	CodeServer        = 202
	CodeProtocol      = 203
	CodeMethodUnknown = 204
	CodeValueTooBig   = 205
	CodeBadSignature  = 206
	CodeSaltTooBig    = 207
	CodeCasMismatch   = 301
	CodeSeqTooLow     = 302
)

// Error is a KRPC error ("e"): a code and a message. It is a Go error too.
type Error struct {
	Code int
	Msg  string
}

func (e Error) Error() string { return fmt.Sprintf("krpc error %d: %s", e.Code, e.Msg) }

// Errors this package's users send.
var (
	ErrMethodUnknown = Error{CodeMethodUnknown, "method unknown"}
	ErrValueTooBig   = Error{CodeValueTooBig, "message (v field) too big"}
	ErrBadSignature  = Error{CodeBadSignature, "invalid signature"}
	ErrSaltTooBig    = Error{CodeSaltTooBig, "salt (salt field) too big"}
	ErrCasMismatch   = Error{CodeCasMismatch, "the CAS hash mismatched, re-read value and try again"}
	ErrSeqTooLow     = Error{CodeSeqTooLow, "sequence number less than current"}
)

// Compact node info sizes (BEP 5, BEP 32).
const (
	NodeInfo4Size = 26
	NodeInfo6Size = 38
)

// NodeInfo is a node's id and address, from a compact node list.
type NodeInfo struct {
	ID   ID
	Addr netip.AddrPort
}

// EachNode calls f for each record of a compact node list (26-byte IPv4
// or 38-byte IPv6 records, as the list's length tells); a list that is a
// multiple of neither is ignored. Decode has already refused such lists.
func EachNode(compact []byte, size int, f func(NodeInfo)) {
	if size != NodeInfo4Size && size != NodeInfo6Size || len(compact)%size != 0 {
		return
	}
	for b := compact; len(b) >= size; b = b[size:] {
		var ni NodeInfo
		copy(ni.ID[:], b[:20])
		ni.Addr = addrFromCompact(b[20:size])
		f(ni)
	}
}

// addrFromCompact reads a 6- or 18-byte compact address.
func addrFromCompact(b []byte) netip.AddrPort {
	port := uint16(b[len(b)-2])<<8 | uint16(b[len(b)-1])
	switch len(b) {
	case 6:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), port)
	case 18:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])).Unmap(), port)
	}
	return netip.AddrPort{}
}

// AppendCompactAddr appends a's compact form: 6 bytes for IPv4, 18 for
// IPv6.
func AppendCompactAddr(b []byte, a netip.AddrPort) []byte {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		v := ip.As4()
		b = append(b, v[:]...)
	} else {
		v := ip.As16()
		b = append(b, v[:]...)
	}
	return append(b, byte(a.Port()>>8), byte(a.Port()))
}

// AppendNodeInfo appends ni's compact record (26 or 38 bytes).
func AppendNodeInfo(b []byte, ni NodeInfo) []byte {
	b = append(b, ni.ID[:]...)
	return AppendCompactAddr(b, ni.Addr)
}
