package dht

import (
	"net/netip"

	"github.com/scout-dht/scout/internal/krpc"
)

// answer replies to a well-formed query, on the socket loop. It must not
// block: everything it does is local (the table, the store, the tokens).
func (n *Node) answer(m *krpc.Msg, from netip.AddrPort) {
	n.stats.received(m.Q)
	if n.readOnly {
		return // BEP 43: a read-only node answers nothing
	}
	n.meet(m, from)
	a := &m.A
	r := krpc.Return{ID: n.ID(), HasID: true}
	var nodes [bucketSize * (krpc.NodeInfo4Size + krpc.NodeInfo6Size)]byte
	switch m.Q {
	case krpc.MethodPing, krpc.MethodAnnouncePeer:
	case krpc.MethodFindNode:
		n.closeNodes(&r, nodes[:0], a.Target, a.Want, from)
	case krpc.MethodGetPeers:
		n.closeNodes(&r, nodes[:0], a.InfoHash, a.Want, from)
		r.Token = n.tokens.create(from)
	case krpc.MethodGet:
		n.closeNodes(&r, nodes[:0], a.Target, a.Want, from)
		r.Token = n.tokens.create(from)
		if it, ok := n.store.Get(a.Target); ok {
			if it.Mutable {
				r.K, r.HasK, r.Sig, r.HasSig, r.Seq, r.HasSeq = it.K, true, it.Sig, true, it.Seq, true
			}
			// BEP 44: leave the value out when the asker has this seq.
			if !it.Mutable || !a.HasSeq || it.Seq > a.Seq {
				r.V = it.V
			}
		}
	case krpc.MethodPut:
		if !n.tokens.valid(a.Token, from) {
			n.replyError(m.T, from, krpc.Error{Code: krpc.CodeProtocol, Msg: "bad token"})
			return
		}
		it := Item{V: a.V, Mutable: a.HasK, K: a.K, Salt: a.Salt, Seq: a.Seq, Sig: a.Sig}
		source := from
		if n.limits.Exempt(from.Addr()) {
			source = netip.AddrPort{}
		}
		if err := n.store.PutFrom(it, a.Cas, a.HasCas, sourceOfValid(source)); err != nil {
			ke, ok := err.(krpc.Error)
			if !ok {
				ke = krpc.Error{Code: krpc.CodeServer, Msg: "storing failed"}
			}
			n.replyError(m.T, from, ke)
			return
		}
	default:
		n.replyError(m.T, from, krpc.ErrMethodUnknown)
		return
	}
	buf := getBuf()
	*buf = krpc.AppendReply((*buf)[:0], m.T, &r, from)
	n.write(*buf, from)
	putBuf(buf)
}

// answerMalformed replies to a query the codec refused: 204 for a method
// we do not know, 203 with the reason otherwise.
func (n *Node) answerMalformed(m *krpc.Msg, from netip.AddrPort, err error) {
	n.stats.received(m.Q)
	if m.Q == krpc.MethodUnknown && m.A.HasID {
		n.replyError(m.T, from, krpc.ErrMethodUnknown)
		return
	}
	reason := err.Error()
	if de, ok := err.(*krpc.DecodeError); ok {
		reason = de.Reason
	}
	n.replyError(m.T, from, krpc.Error{Code: krpc.CodeProtocol, Msg: reason})
}

func (n *Node) replyError(t []byte, to netip.AddrPort, e krpc.Error) {
	buf := getBuf()
	*buf = krpc.AppendError((*buf)[:0], t, e)
	n.write(*buf, to)
	putBuf(buf)
}

// meet updates the table for a node that queried us: one that says it is
// read-only leaves it; one we know is seen alive; one we do not know is
// pinged, when its bucket has room, so that it enters as a node known to
// answer.
func (n *Node) meet(m *krpc.Msg, from netip.AddrPort) {
	switch {
	case m.RO:
		n.table.remove(from)
	case n.table.knows(from):
		n.table.responded(m.A.ID, from, 0)
	case n.table.hasRoomFor(m.A.ID):
		n.verify(from)
	}
}

// closeNodes fills r's "nodes" and "nodes6" with the good nodes closest
// to target of the families want asks for (BEP 32); without a want, of the
// asker's family. A family the node has no table for (a single-stack
// node, asked for the other) is left out. b is the buffer to use.
func (n *Node) closeNodes(r *krpc.Return, b []byte, target ID, want krpc.Want, from netip.AddrPort) {
	if want == 0 {
		want = krpc.WantN4
		if !from.Addr().Unmap().Is4() {
			want = krpc.WantN6
		}
	}
	for _, f := range [...]krpc.Want{krpc.WantN4, krpc.WantN6} {
		if want&f == 0 {
			continue
		}
		src := n
		if (f == krpc.WantN6) != n.v6 {
			if src = n.sibling.Load(); src == nil {
				continue
			}
		}
		start := len(b)
		b = src.compactNodes(b, target)
		if f == krpc.WantN4 {
			r.Nodes = b[start:len(b):len(b)]
		} else {
			r.Nodes6 = b[start:len(b):len(b)]
		}
	}
}

// compactNodes appends the good nodes closest to target of the node's
// family (BEP 5, BEP 32).
func (n *Node) compactNodes(b []byte, target ID) []byte {
	var buf [bucketSize]Contact
	for _, c := range n.table.appendClosest(buf[:0], target, bucketSize) {
		if n.sameFamily(c.Addr) {
			b = krpc.AppendNodeInfo(b, krpc.NodeInfo{ID: c.ID, Addr: c.Addr})
		}
	}
	return b
}

// sourceOfValid is sourceOf for a valid address, and leaves an invalid one.
func sourceOfValid(a netip.AddrPort) netip.AddrPort {
	if !a.IsValid() {
		return a
	}
	return sourceOf(a)
}
