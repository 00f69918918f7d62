package dht

import (
	"bytes"
	"container/list"
	"net/netip"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

// StoreLimits bound what a node keeps for others. The zero value means the
// defaults.
type StoreLimits struct {
	MaxItems int           // zero: 10000
	MaxBytes int           // zero: 16 MiB, counting each item's whole footprint
	TTL      time.Duration // zero: 2 hours (BEP 44's suggestion)
	// PerSource bounds the items one source (an IP address; on loopback,
	// an address and port) may have stored at once: a source over it
	// replaces its own oldest, so that a flood never evicts what others
	// stored. Zero: a 64th of MaxItems, at least 32.
	PerSource int
}

// The defaults of StoreLimits.
const (
	DefaultMaxItems = 10000
	DefaultMaxBytes = 16 << 20
	DefaultTTL      = 2 * time.Hour
)

// storedOverhead is what one stored item costs beyond its value and salt:
// the record below, its list element and its map entry, rounded up. A test
// measures the heap to keep it honest.
const storedOverhead = 512

// stored is one item as kept: the bytes it was given, no decoded form.
type stored struct {
	target ID
	item   Item
	at     time.Time
	elem   *list.Element
	owner  netip.AddrPort // the source that stored it (invalid: exempt)
	mine   *list.Element  // in its owner's list
}

func (s *stored) size() int { return len(s.item.V) + len(s.item.Salt) + storedOverhead }

// Store keeps the items other nodes put here, under BEP 44's rules: a
// mutable item is replaced only by a higher seq (or the same seq and value,
// which refreshes it), and a put carrying cas must name the stored seq. It
// is bounded in count and bytes, oldest out first, and items expire.
type Store struct {
	mu     sync.Mutex
	limits StoreLimits
	now    func() time.Time
	items  map[ID]*stored
	order  *list.List // oldest first
	bytes  int
	owners map[netip.AddrPort]*list.List // each source's items, oldest first
}

// NewStore returns an empty store; now is its clock (nil: time.Now).
func NewStore(limits StoreLimits, now func() time.Time) *Store {
	if limits.MaxItems <= 0 {
		limits.MaxItems = DefaultMaxItems
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultMaxBytes
	}
	if limits.TTL <= 0 {
		limits.TTL = DefaultTTL
	}
	if limits.PerSource <= 0 {
		limits.PerSource = max(limits.MaxItems/64, 32)
	}
	if now == nil {
		now = time.Now
	}
	return &Store{limits: limits, now: now, items: make(map[ID]*stored), order: list.New(),
		owners: make(map[netip.AddrPort]*list.List)}
}

// Put checks it (Item.Check) and stores a copy of it, for no source in
// particular (the node's own items). cas, when hasCas, is the seq the
// writer expects to replace. Refusals are krpc.Errors.
func (s *Store) Put(it Item, cas int64, hasCas bool) error {
	return s.PutFrom(it, cas, hasCas, netip.AddrPort{})
}

// PutFrom is Put for a source (invalid: none), which may have at most
// StoreLimits.PerSource items stored: over it, its own oldest goes.
func (s *Store) PutFrom(it Item, cas int64, hasCas bool, source netip.AddrPort) error {
	if err := it.Check(); err != nil {
		return err
	}
	// One allocation holds the value and the salt, copied out of the
	// caller's buffer (a datagram, usually).
	buf := make([]byte, len(it.V)+len(it.Salt))
	n := copy(buf, it.V)
	copy(buf[n:], it.Salt)
	it.V, it.Salt = buf[:n:n], buf[n:]
	if len(it.Salt) == 0 {
		it.Salt = nil
	}
	st := &stored{target: it.Target(), item: it}

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.items[st.target]
	if old != nil && now.Sub(old.at) > s.limits.TTL {
		s.dropLocked(old)
		old = nil
	}
	if old != nil && it.Mutable {
		if hasCas && cas != old.item.Seq {
			return krpc.ErrCasMismatch
		}
		if it.Seq < old.item.Seq || it.Seq == old.item.Seq && !bytes.Equal(it.V, old.item.V) {
			return krpc.ErrSeqTooLow
		}
	}
	if old != nil {
		s.dropLocked(old)
	}
	st.at = now
	st.elem = s.order.PushBack(st)
	s.items[st.target] = st
	s.bytes += st.size()
	if source.IsValid() {
		mine := s.owners[source]
		if mine == nil {
			mine = list.New()
			s.owners[source] = mine
		}
		for mine.Len() >= s.limits.PerSource {
			s.dropLocked(mine.Front().Value.(*stored))
		}
		st.owner = source
		st.mine = mine.PushBack(st)
	}
	for s.order.Len() > s.limits.MaxItems || s.bytes > s.limits.MaxBytes {
		s.dropLocked(s.order.Front().Value.(*stored))
	}
	return nil
}

func (s *Store) dropLocked(st *stored) {
	s.order.Remove(st.elem)
	delete(s.items, st.target)
	s.bytes -= st.size()
	if st.mine != nil {
		mine := s.owners[st.owner]
		mine.Remove(st.mine)
		if mine.Len() == 0 {
			delete(s.owners, st.owner)
		}
		st.mine = nil
	}
}

// Get returns the live item under target. Its slices must not be changed.
func (s *Store) Get(target ID) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.items[target]
	if st == nil {
		return Item{}, false
	}
	if s.now().Sub(st.at) > s.limits.TTL {
		s.dropLocked(st)
		return Item{}, false
	}
	return st.item, true
}

// Stats reports how many items the store holds and the bytes they cost.
func (s *Store) Stats() (items, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items), s.bytes
}
