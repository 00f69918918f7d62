package dht

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// peer is a node in the routing table.
type peer struct {
	Contact
	lastResponse time.Time
	fails        int  // consecutive unanswered queries
	secure       bool // its id is a BEP 42 id for its address (or it is exempt)
	rtt          rttEstimator
}

// Timing sets the intervals of a node's upkeep of its table. The zero
// value means the defaults; tests shorten them to run hours in seconds.
type Timing struct {
	// Questionable: a node not heard from this long is no longer good
	// (handed out, counted as good) until it answers a ping. Zero: 15
	// minutes (BEP 5).
	Questionable time.Duration
	// Refresh: a bucket none of whose nodes answered this long is
	// refreshed with a lookup of a random id in it. Zero: 15 minutes.
	Refresh time.Duration
	// Upkeep: how often the node looks after its table (with jitter).
	// Zero: one minute.
	Upkeep time.Duration
}

func (t Timing) withDefaults() Timing {
	if t.Questionable <= 0 {
		t.Questionable = 15 * time.Minute
	}
	if t.Refresh <= 0 {
		t.Refresh = 15 * time.Minute
	}
	if t.Upkeep <= 0 {
		t.Upkeep = time.Minute
	}
	return t
}

// bucketSize is Kademlia's k: how many nodes each bucket keeps, and how
// many nodes an answer names.
const bucketSize = 8

// bucketCap is how many nodes bucket i keeps: the far buckets, which cover
// most of the id space, keep more (128, 64, 32, 16, as libtorrent's
// extended routing table does), so that lookups start closer.
func bucketCap(i int) int {
	if i < 4 {
		return bucketSize << (4 - i)
	}
	return bucketSize
}

// bucket holds the nodes that share i leading bits with our id, a
// replacement cache of nodes that answered while it was full (newest
// last, at most bucketSize), and when one of its nodes last answered.
type bucket struct {
	nodes   []*peer
	repl    []*peer
	touched time.Time
}

// table is the routing table: 160 buckets by shared prefix with our id,
// indexed by address too. It also keeps the round-trip estimate for nodes it
// does not know.
type table struct {
	mu      sync.Mutex
	self    ID
	timing  Timing
	now     func() time.Time
	buckets [161]bucket
	byAddr  map[netip.AddrPort]*peer
	global  rttEstimator
	// dead remembers addresses whose queries timed out, so that lookups do
	// not wait on them again while other nodes still hand them out.
	dead map[netip.AddrPort]deadAddr
}

type deadAddr struct {
	at       time.Time // the last timeout
	timeouts int       // in a row, with no answer between
}

// An address is skipped once deadTimeouts queries in a row timed out (one
// timeout may be a slow moment, as under valgrind), for deadMemory; maxDead
// bounds how many such addresses are remembered.
const (
	deadTimeouts = 2
	deadMemory   = 2 * time.Minute
	maxDead      = 4096
)

func newTable(self ID) *table {
	return newTableTiming(self, Timing{}, time.Now)
}

func newTableTiming(self ID, timing Timing, now func() time.Time) *table {
	return &table{self: self, timing: timing.withDefaults(), now: now,
		byAddr: make(map[netip.AddrPort]*peer), dead: make(map[netip.AddrPort]deadAddr)}
}

// good reports whether p answered lately and has not failed since.
func (t *table) good(p *peer, now time.Time) bool {
	return p.fails == 0 && !p.lastResponse.IsZero() && now.Sub(p.lastResponse) < t.timing.Questionable
}

// responded records that id at addr answered a query after rtt (0: it
// queried us, no round trip measured).
func (t *table) responded(id ID, addr netip.AddrPort, rtt time.Duration) {
	if id == t.self {
		return
	}
	addr = NormAddr(addr)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if rtt > 0 {
		t.global.add(rtt)
	}
	delete(t.dead, addr)
	p := t.byAddr[addr]
	if p != nil && p.ID != id {
		// The node at this address restarted with a new id: it takes its
		// old place, if it belongs to the same bucket.
		t.dropLocked(p, false)
		p = nil
	}
	if p == nil {
		p = &peer{Contact: Contact{ID: id, HasID: true, Addr: addr}, secure: idValid(id, addr.Addr())}
		if !t.insertLocked(p, now) {
			return
		}
	}
	p.lastResponse = now
	p.fails = 0
	if rtt > 0 {
		p.rtt.add(rtt)
	}
	t.buckets[commonPrefix(t.self, id)].touched = now
}

// insertLocked adds p to its bucket. In a full bucket, p replaces the
// node that failed most, or when none failed and p's id follows BEP 42,
// the longest silent node whose id does not; otherwise p waits in the
// bucket's replacement cache (the upkeep pings nodes that grew questionable, and
// the first replacement takes the place of one that fails). It reports
// whether p entered the bucket.
func (t *table) insertLocked(p *peer, now time.Time) bool {
	i := commonPrefix(t.self, p.ID)
	b := &t.buckets[i]
	if len(b.nodes) >= bucketCap(i) {
		worst := -1
		for j, q := range b.nodes {
			if q.fails > 0 && (worst < 0 || q.fails > b.nodes[worst].fails) {
				worst = j
			}
		}
		if worst < 0 && p.secure {
			// Nodes whose ids follow BEP 42 are preferred: one takes the
			// place of the longest silent node whose id does not.
			for j, q := range b.nodes {
				if !q.secure && (worst < 0 || q.lastResponse.Before(b.nodes[worst].lastResponse)) {
					worst = j
				}
			}
		}
		if worst < 0 {
			t.cacheLocked(b, p)
			return false
		}
		t.dropLocked(b.nodes[worst], false)
	}
	b.nodes = append(b.nodes, p)
	b.touched = now
	t.byAddr[p.Addr] = p
	return true
}

// cacheLocked puts p in b's replacement cache, newest last.
func (t *table) cacheLocked(b *bucket, p *peer) {
	b.repl = slices.DeleteFunc(b.repl, func(q *peer) bool { return q.Addr == p.Addr })
	if len(b.repl) >= bucketSize {
		b.repl = b.repl[1:]
	}
	b.repl = append(b.repl, p)
}

func (t *table) removeLocked(p *peer) { t.dropLocked(p, true) }

// dropLocked takes p out of its bucket; with promote, the newest node of
// the replacement cache takes its place.
func (t *table) dropLocked(p *peer, promote bool) {
	i := commonPrefix(t.self, p.ID)
	b := &t.buckets[i]
	n := len(b.nodes)
	b.nodes = slices.DeleteFunc(b.nodes, func(q *peer) bool { return q == p })
	b.repl = slices.DeleteFunc(b.repl, func(q *peer) bool { return q == p })
	if t.byAddr[p.Addr] == p {
		delete(t.byAddr, p.Addr)
	}
	if promote && len(b.nodes) < n {
		for len(b.repl) > 0 {
			r := b.repl[len(b.repl)-1]
			b.repl = b.repl[:len(b.repl)-1]
			if t.byAddr[r.Addr] == nil {
				b.nodes = append(b.nodes, r)
				t.byAddr[r.Addr] = r
				break
			}
		}
	}
}

// failed records that the node at addr did not answer. A node that never
// answered, or failed twice in a row, leaves the table.
func (t *table) failed(addr netip.AddrPort) {
	addr = NormAddr(addr)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dead) >= maxDead {
		for a, d := range t.dead {
			if now.Sub(d.at) > deadMemory || len(t.dead) >= maxDead {
				delete(t.dead, a)
			}
		}
	}
	d := t.dead[addr]
	t.dead[addr] = deadAddr{at: now, timeouts: d.timeouts + 1}
	p := t.byAddr[addr]
	if p == nil {
		return
	}
	p.fails++
	if p.fails >= 2 || p.lastResponse.IsZero() {
		t.removeLocked(p)
	}
}

// suspect marks the node at addr as not good for now, and counts a strike
// towards skipping it: a lookup gave up waiting for it. An answer clears
// both; a hard timeout of the same query is the second strike.
func (t *table) suspect(addr netip.AddrPort) {
	addr = NormAddr(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.byAddr[addr]; p != nil && p.fails == 0 {
		p.fails = 1
	}
	if d, ok := t.dead[addr]; ok || len(t.dead) < maxDead {
		t.dead[addr] = deadAddr{at: t.now(), timeouts: d.timeouts + 1}
	}
}

// isDead reports whether a query to addr timed out lately (and nothing
// was heard from it since).
func (t *table) isDead(addr netip.AddrPort) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.dead[NormAddr(addr)]
	return ok && d.timeouts >= deadTimeouts && t.now().Sub(d.at) < deadMemory
}

// remove drops the node at addr, e.g. one that announced itself read-only.
func (t *table) remove(addr netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.byAddr[NormAddr(addr)]; p != nil {
		t.removeLocked(p)
	}
}

// timeouts returns the timeouts of a query to addr: soft, when a lookup
// stops waiting on it, and rto, when it is sent again. For a node whose
// round trips we measured: its own retransmission timeout for both (RFC
// 6298), but no more than a few times everyone's typical round trip, so
// that a node measured on a bad moment (a loaded machine, a burst) does
// not make every later lookup wait long on it if it dies. For a node we
// never heard from: everyone's typical round trip, and everyone's
// retransmission timeout.
func (t *table) timeouts(addr netip.AddrPort) (soft, rto time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	typical := t.global.typical()
	if p := t.byAddr[NormAddr(addr)]; p != nil && p.rtt.samples > 0 {
		own := min(p.rtt.rto(), maxSoftOverGlobal*typical)
		return own, own
	}
	return typical, max(typical, t.global.rto())
}

// typical is everyone's typical round trip (rttEstimator.typical).
func (t *table) typical() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.global.typical()
}

// softTimeout is the soft timeout of a query to addr (timeouts).
func (t *table) softTimeout(addr netip.AddrPort) time.Duration {
	soft, _ := t.timeouts(addr)
	return soft
}

// maxSoftOverGlobal bounds a node's timeouts by that many times the
// typical round trip of every node.
const maxSoftOverGlobal = 4

// closest returns up to n good nodes ordered by distance to target.
func (t *table) closest(target ID, n int) []Contact {
	return t.appendClosest(make([]Contact, 0, n), target, n)
}

// appendClosest appends to dst up to n good nodes ordered by distance to
// target. It is on the path of every answer, so it looks at as few buckets
// as it can: with i the bits target shares with our id, the nodes of bucket
// i share more than i bits with target, those of the buckets beyond i
// exactly i, and those of bucket j < i exactly j. Each of those groups is
// farther than the one before, so once n nodes are found in a group, the
// rest need not be seen.
func (t *table) appendClosest(dst []Contact, target ID, n int) []Contact {
	now := t.now()
	base := len(dst)
	t.mu.Lock()
	defer t.mu.Unlock()
	take := func(b *bucket) {
		for _, p := range b.nodes {
			if !t.good(p, now) {
				continue
			}
			best := dst[base:]
			if len(best) == n && xorCompare(target, p.ID, best[n-1].ID) >= 0 {
				continue
			}
			j := len(best)
			for j > 0 && xorCompare(target, p.ID, best[j-1].ID) < 0 {
				j--
			}
			if len(best) < n {
				dst = append(dst, Contact{})
				best = dst[base:]
			}
			copy(best[j+1:], best[j:len(best)-1])
			best[j] = p.Contact
		}
	}
	i := commonPrefix(t.self, target)
	take(&t.buckets[i])
	if len(dst)-base == n {
		return dst
	}
	for j := i + 1; j < len(t.buckets); j++ {
		take(&t.buckets[j])
	}
	for j := i - 1; j >= 0 && len(dst)-base < n; j-- {
		take(&t.buckets[j])
	}
	return dst
}

// len counts the nodes in the table.
func (t *table) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byAddr)
}

// rekey moves every node to the bucket it belongs in under a new id of
// ours.
func (t *table) rekey(self ID) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var all []*peer
	for i := range t.buckets {
		all = append(all, t.buckets[i].nodes...)
		all = append(all, t.buckets[i].repl...)
		t.buckets[i] = bucket{}
	}
	clear(t.byAddr)
	t.self = self
	for _, p := range all {
		if p.ID != self && t.byAddr[p.Addr] == nil {
			t.insertLocked(p, now)
		}
	}
}

// counts counts the nodes in the table, the good ones and the
// questionable ones (not heard from lately, or failed once).
func (t *table) counts() (nodes, good, questionable int) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.byAddr {
		if t.good(p, now) {
			good++
		} else {
			questionable++
		}
	}
	return len(t.byAddr), good, questionable
}

// goodCount counts the good nodes in the table.
func (t *table) goodCount() int {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.byAddr {
		if t.good(p, now) {
			n++
		}
	}
	return n
}

// knows reports whether the node at addr is in the table.
func (t *table) knows(addr netip.AddrPort) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byAddr[NormAddr(addr)] != nil
}

// hasRoomFor reports whether a node with id could enter the table: its
// bucket is not full of good nodes.
func (t *table) hasRoomFor(id ID) bool {
	if id == t.self {
		return false
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	i := commonPrefix(t.self, id)
	b := &t.buckets[i]
	if len(b.nodes) < bucketCap(i) {
		return true
	}
	for _, p := range b.nodes {
		if !t.good(p, now) {
			return true
		}
	}
	return false
}

// contacts returns every good node, for the state file.
func (t *table) contacts() []Contact {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Contact
	for _, p := range t.byAddr {
		if t.good(p, now) {
			out = append(out, p.Contact)
		}
	}
	return out
}

// deepestLocked is the deepest bucket that holds a node (-1: none).
func (t *table) deepestLocked() int {
	for i := len(t.buckets) - 1; i >= 0; i-- {
		if len(t.buckets[i].nodes) > 0 {
			return i
		}
	}
	return -1
}

// sparseBuckets returns the buckets worth refreshing on a join: those with
// fewer than bucketSize good nodes, from the farthest down to three short
// of the bucket of our closest known neighbour. Nearer buckets cover id
// space where fewer than k nodes are expected to live (2^3 = k), and the
// lookup of our own id has just asked the nodes there.
func (t *table) sparseBuckets() []int {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for i := 0; i < t.deepestLocked()-3; i++ {
		good := 0
		for _, p := range t.buckets[i].nodes {
			if t.good(p, now) {
				good++
			}
		}
		if good < bucketSize {
			out = append(out, i)
		}
	}
	return out
}

// staleBuckets returns the buckets none of whose nodes answered for the
// refresh interval (Kademlia's bucket refresh), down to the deepest one
// that holds a node, and marks them touched: each is refreshed once per
// interval at most.
func (t *table) staleBuckets() []int {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for i := 0; i <= t.deepestLocked(); i++ {
		b := &t.buckets[i]
		if now.Sub(b.touched) >= t.timing.Refresh {
			b.touched = now
			out = append(out, i)
		}
	}
	return out
}

// questionable returns up to n nodes worth a ping: not heard from for the
// questionable interval, or failed once, the longest silent first.
func (t *table) questionable(n int) []Contact {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*peer
	for _, p := range t.byAddr {
		if p.fails > 0 || !t.good(p, now) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *peer) int { return a.lastResponse.Compare(b.lastResponse) })
	cs := make([]Contact, 0, min(n, len(out)))
	for _, p := range out[:min(n, len(out))] {
		cs = append(cs, p.Contact)
	}
	return cs
}

// randomIDInBucket returns a random id that shares exactly i leading bits
// with self: one that falls in bucket i.
func randomIDInBucket(self ID, i int, random [20]byte) ID {
	id := random
	for b := 0; b < i; b++ {
		mask := byte(0x80 >> (b % 8))
		id[b/8] = id[b/8]&^mask | self[b/8]&mask
	}
	if i < 160 {
		mask := byte(0x80 >> (i % 8))
		id[i/8] = id[i/8]&^mask | ^self[i/8]&mask
	}
	return id
}
