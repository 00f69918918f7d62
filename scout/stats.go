package scout

import "net/netip"

// Stats is a snapshot of what a session's node is doing. Counters count
// since the session started.
type Stats struct {
	// The routing table: every node in it, the good ones (answered in the
	// last 15 minutes), the questionable ones (to be pinged before they are
	// trusted again).
	Nodes, GoodNodes, QuestionableNodes int
	// The items this node keeps for others, and the bytes they cost.
	StoredItems, StoredBytes int
	// Queries by method ("ping", "find_node", "get_peers",
	// "announce_peer", "get", "put", "unknown"): answered by us, and sent.
	QueriesIn, QueriesOut map[string]uint64
	// What became of our queries: replies, KRPC errors, no answer by the
	// hard timeout; and how many were sent again after their
	// retransmission timeout.
	Replies, Errors, Timeouts, Resent uint64
	// Datagrams and bytes, each way.
	DatagramsIn, DatagramsOut, BytesIn, BytesOut uint64
	// Datagrams refused: malformed, from a source over its rate limit,
	// not sent because of the bound on bytes sent.
	Malformed, RateLimited, SendDropped uint64
	// The external address other nodes see us at (BEP 42's "ip" in their
	// replies; invalid until three agree), and whether the node's id is a
	// BEP 42 id for it (the node takes one when the address is public).
	ExternalAddr netip.Addr
	IDSecure     bool
}

// Stats returns a snapshot of the session's statistics (zero before
// Start). It costs a few atomic loads and one pass over the routing table.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	n := s.node
	s.mu.Unlock()
	if n == nil {
		return Stats{}
	}
	d := n.Stats()
	return Stats{
		Nodes: d.Nodes, GoodNodes: d.Good, QuestionableNodes: d.Questionable,
		StoredItems: d.StoredItems, StoredBytes: d.StoredBytes,
		QueriesIn: d.QueriesIn, QueriesOut: d.QueriesOut,
		Replies: d.Replies, Errors: d.Errors, Timeouts: d.Timeouts, Resent: d.Resent,
		DatagramsIn: d.DatagramsIn, DatagramsOut: d.DatagramsOut, BytesIn: d.BytesIn, BytesOut: d.BytesOut,
		Malformed: d.Malformed, RateLimited: d.RateLimited, SendDropped: d.SendDropped,
		ExternalAddr: d.External, IDSecure: d.ExternalSecure,
	}
}
