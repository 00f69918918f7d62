package dht

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// Limits protect a node on the public DHT from any one source, as
// libtorrent's dht_block_ratelimit does: each source may send so many
// queries a second (a token bucket), and one that sends more is ignored
// for a while. (What one source may store is StoreLimits.PerSource.) The
// zero value means the defaults.
type Limits struct {
	// QueryRate and QueryBurst: the queries a second a source may send on
	// average, and in a burst. Zero: 20 and 100.
	QueryRate  float64
	QueryBurst float64
	// Block is how long a source over its rate is ignored. Zero: 1 minute.
	Block time.Duration
	// SendRate bounds the bytes a second the node sends, all destinations
	// together (datagrams over it are dropped). Zero: no bound. (The
	// original libscout ran at 8,000.)
	SendRate float64
	// Exempt reports whether a source is exempt from the limits. Nil: the
	// node's own machine (loopback addresses) is; NoExemption: nobody.
	Exempt func(netip.Addr) bool
}

// NoExemption exempts no source from a node's limits.
func NoExemption(netip.Addr) bool { return false }

// Defaults of Limits.
const (
	DefaultQueryRate  = 20
	DefaultQueryBurst = 100
	DefaultBlock      = time.Minute
)

func (l Limits) withDefaults() Limits {
	if l.QueryRate <= 0 {
		l.QueryRate = DefaultQueryRate
	}
	if l.QueryBurst <= 0 {
		l.QueryBurst = DefaultQueryBurst
	}
	if l.Block <= 0 {
		l.Block = DefaultBlock
	}
	if l.Exempt == nil {
		l.Exempt = netip.Addr.IsLoopback
	}
	return l
}

// sourceOf is what a source is counted as: its IPv4 address, or its IPv6
// address's /64 (what one host is given, and can take any address of). On
// loopback, where every node of a test swarm has the same address, its
// address and port.
func sourceOf(a netip.AddrPort) netip.AddrPort {
	ip := a.Addr().Unmap()
	switch {
	case ip.IsLoopback():
		return a
	case ip.Is6():
		p, _ := ip.Prefix(64)
		return netip.AddrPortFrom(p.Addr(), 0)
	}
	return netip.AddrPortFrom(ip, 0)
}

// queryLimiter keeps a token bucket per source in a table of fixed size,
// made at the first query that is not exempt (a test swarm on loopback
// never makes it): a source is known by a keyed hash of it, and sources
// whose hashes share a slot share it, so that no number of sources grows
// the node's memory. A newcomer takes over a slot unless its holder is
// blocked: a flooding source cannot be freed by another one's queries,
// and nobody can choose to collide with a source, the key being secret.
type queryLimiter struct {
	limits Limits
	now    func() time.Time
	seed   maphash.Seed

	mu    sync.Mutex
	slots []limiterSlot // limiterSlots of them, once needed
	epoch time.Time     // what the slots' times count from
}

const limiterSlots = 4096

// limiterSlot is one source's bucket: 32 bytes.
type limiterSlot struct {
	key     uint64  // the source's hash; 0: free
	tokens  float64 // left in the bucket
	last    int64   // when the bucket was last filled, in ns since epoch
	blocked int64   // ignored until then, in ns since epoch
}

func newQueryLimiter(l Limits, now func() time.Time) *queryLimiter {
	return &queryLimiter{limits: l, now: now, seed: maphash.MakeSeed()}
}

// sourceKey is the key of from's source: a keyed hash, never 0.
func (q *queryLimiter) sourceKey(from netip.AddrPort) uint64 {
	src := sourceOf(from)
	b := src.Addr().As16()
	return maphash.Bytes(q.seed, b[:]) ^ uint64(src.Port())*0x9e3779b97f4a7c15 | 1
}

// allow reports whether a query from from may be answered.
func (q *queryLimiter) allow(from netip.AddrPort) bool {
	if q.limits.Exempt(from.Addr()) {
		return true
	}
	key := q.sourceKey(from)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.slots == nil {
		q.slots = make([]limiterSlot, limiterSlots)
		q.epoch = q.now()
	}
	now := int64(q.now().Sub(q.epoch))
	s := &q.slots[key%limiterSlots]
	if now < s.blocked {
		return false // its holder is blocked, and so is a newcomer to it
	}
	if s.key != key {
		*s = limiterSlot{key: key, tokens: q.limits.QueryBurst, last: now}
	}
	s.tokens = min(q.limits.QueryBurst, s.tokens+float64(now-s.last)/1e9*q.limits.QueryRate)
	s.last = now
	if s.tokens < 1 {
		s.blocked = now + int64(q.limits.Block)
		return false
	}
	s.tokens--
	return true
}

// sendLimiter is one token bucket of bytes for everything a node sends.
type sendLimiter struct {
	rate float64
	now  func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// allow reports whether n more bytes may go out now.
func (s *sendLimiter) allow(n int) bool {
	if s == nil {
		return true
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = min(s.rate, s.tokens+now.Sub(s.last).Seconds()*s.rate) // a second's worth at most
	s.last = now
	if s.tokens < float64(n) {
		return false
	}
	s.tokens -= float64(n)
	return true
}
