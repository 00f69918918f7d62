package scout

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
)

// Stats is a snapshot of what a session's node is doing. Counters count
// since the session started. A dual-stack session's IPv4 and IPv6 nodes
// are summed but for the routing tables and the external addresses,
// which are per family.
type Stats struct {
	// The IPv4 routing table: every node in it, the good ones (answered
	// in the last 15 minutes), the questionable ones (to be pinged before
	// they are trusted again). Zero for an IPv6-only session.
	Nodes, GoodNodes, QuestionableNodes int
	// The IPv6 routing table (BEP 32), likewise. Zero without IPv6.
	Nodes6, GoodNodes6, QuestionableNodes6 int
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
	// The external addresses other nodes see us at, per family (BEP 42's
	// "ip" in their replies; invalid until three agree), and whether the
	// node's id is a BEP 42 id for it (the node takes one when the address
	// is public).
	ExternalAddr, ExternalAddr6 netip.Addr
	IDSecure, IDSecure6         bool
	// The session's operations (Put, Get, GetList, Synchronize, Read,
	// AddNode, Refresh) by how they ended.
	Operations OperationStats
}

// OperationStats counts operations by outcome.
type OperationStats struct {
	OK        uint64 // succeeded
	NotFound  uint64 // ErrNotFound
	Timeout   uint64 // ErrTimeout
	Cancelled uint64 // ErrCancelled
	Conflict  uint64 // ErrConflict
	Failed    uint64 // any other error
}

// opCounters are OperationStats' atomic counters.
type opCounters struct {
	ok, notFound, timeout, cancelled, conflict, failed atomic.Uint64
}

// count counts an operation that ended with err (a session's error,
// already classified by opErr).
func (c *opCounters) count(err error) {
	switch {
	case err == nil:
		c.ok.Add(1)
	case errors.Is(err, ErrNotFound):
		c.notFound.Add(1)
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		c.timeout.Add(1)
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		c.cancelled.Add(1)
	case errors.Is(err, ErrConflict):
		c.conflict.Add(1)
	default:
		c.failed.Add(1)
	}
}

func (c *opCounters) snapshot() OperationStats {
	return OperationStats{OK: c.ok.Load(), NotFound: c.notFound.Load(), Timeout: c.timeout.Load(),
		Cancelled: c.cancelled.Load(), Conflict: c.conflict.Load(), Failed: c.failed.Load()}
}

// Add adds o's counters, routing tables, store and operations to s (as
// over the nodes of a swarm); s's external addresses and BEP 42 flags stay
// as they are.
func (s *Stats) Add(o Stats) {
	s.Nodes += o.Nodes
	s.GoodNodes += o.GoodNodes
	s.QuestionableNodes += o.QuestionableNodes
	s.Nodes6 += o.Nodes6
	s.GoodNodes6 += o.GoodNodes6
	s.QuestionableNodes6 += o.QuestionableNodes6
	s.StoredItems += o.StoredItems
	s.StoredBytes += o.StoredBytes
	s.QueriesIn = addCounts(s.QueriesIn, o.QueriesIn)
	s.QueriesOut = addCounts(s.QueriesOut, o.QueriesOut)
	s.Replies += o.Replies
	s.Errors += o.Errors
	s.Timeouts += o.Timeouts
	s.Resent += o.Resent
	s.DatagramsIn += o.DatagramsIn
	s.DatagramsOut += o.DatagramsOut
	s.BytesIn += o.BytesIn
	s.BytesOut += o.BytesOut
	s.Malformed += o.Malformed
	s.RateLimited += o.RateLimited
	s.SendDropped += o.SendDropped
	p, q := &s.Operations, o.Operations
	p.OK += q.OK
	p.NotFound += q.NotFound
	p.Timeout += q.Timeout
	p.Cancelled += q.Cancelled
	p.Conflict += q.Conflict
	p.Failed += q.Failed
}

// addCounts adds o's counts to m, made when nil, and returns it.
func addCounts(m, o map[string]uint64) map[string]uint64 {
	if m == nil {
		m = make(map[string]uint64, len(o))
	}
	for k, v := range o {
		m[k] += v
	}
	return m
}

// Stats returns a snapshot of the session's statistics (zero before
// Start). It costs a few atomic loads and one pass over each routing table.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	h := s.node
	s.mu.Unlock()
	if h == nil {
		return Stats{}
	}
	out := Stats{QueriesIn: map[string]uint64{}, QueriesOut: map[string]uint64{}, Operations: s.opStats.snapshot()}
	for _, n := range h.Nodes() {
		d := n.Stats()
		part := Stats{
			QueriesIn: d.QueriesIn, QueriesOut: d.QueriesOut,
			Replies: d.Replies, Errors: d.Errors, Timeouts: d.Timeouts, Resent: d.Resent,
			DatagramsIn: d.DatagramsIn, DatagramsOut: d.DatagramsOut, BytesIn: d.BytesIn, BytesOut: d.BytesOut,
			Malformed: d.Malformed, RateLimited: d.RateLimited, SendDropped: d.SendDropped,
		}
		if n.IPv6() {
			part.Nodes6, part.GoodNodes6, part.QuestionableNodes6 = d.Nodes, d.Good, d.Questionable
			out.ExternalAddr6, out.IDSecure6 = d.External, d.ExternalSecure
		} else {
			part.Nodes, part.GoodNodes, part.QuestionableNodes = d.Nodes, d.Good, d.Questionable
			out.ExternalAddr, out.IDSecure = d.External, d.ExternalSecure
		}
		out.Add(part)
		out.StoredItems, out.StoredBytes = d.StoredItems, d.StoredBytes // one store for both
	}
	return out
}
