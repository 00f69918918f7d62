package scout

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/scout-dht/scout/internal/dht"
)

// Nodes drop a BEP 44 item some time after it was last put (2 hours on
// ours, on anacrolix's and libtorrent's): data that is to outlive that must
// be put again. Keep and KeepList do it for a shared slot and a message
// list, re-putting the items byte for byte, signatures and all, so that any
// holder of the data can keep it alive without being able to change it.

// KeepOptions configure Keep and KeepList. The zero value means "default".
type KeepOptions struct {
	// Interval is the time between two re-puts, each wait drawn within
	// ±10 % of it. Zero: a quarter of the item lifetime the session's own
	// store applies (Options.Store.TTL; 2 hours by default, as BEP 44
	// suggests and mainline nodes do): 30 minutes, so that an item is put
	// again 3 to 4 times before a node that stored it would drop it.
	Interval time.Duration
	// Round, when set, is called after each round with what it did, on
	// the goroutine that called Keep or KeepList.
	Round func(Kept)
}

// Kept describes one thing a session keeps alive (Session.Kept).
type Kept struct {
	ID       uint64        // the keeper's number in its session, from 1
	List     bool          // a message list (KeepList); false: a shared slot (Keep)
	Target   Hash          // the slot's target (SharedSecret.Target), or the list's head
	Interval time.Duration // the time between two rounds
	Seq      int64         // a slot: the seq of the item re-put last; 0 before one is found
	Items    int           // items re-put in the last round: 1 for a slot, the messages of a list
	Rounds   int           // rounds done so far, good or not
	Stored   int           // puts the nodes acknowledged in the last round
	Last     time.Time     // when the last round ended
	Next     time.Time     // when the next round is due
	Err      error         // why the last round failed; nil if it did not
}

// keepState is the session's register of keepers.
type keepState struct {
	mu   sync.Mutex
	next uint64
	live map[uint64]*keeper
}

// keeper is one Keep or KeepList in flight.
type keeper struct {
	target dht.ID
	ctx    context.Context // ends when it is to stop: then it is no longer listed

	mu     sync.Mutex
	status Kept
	slot   *dht.Item  // a slot's newest item
	items  []dht.Item // a list's messages read so far, newest first
	next   Hash       // a list's next message to read; zero: read to its end
	seen   map[Hash]bool
}

func (s *Session) addKeeper(k *keeper) {
	s.keep.mu.Lock()
	defer s.keep.mu.Unlock()
	if s.keep.live == nil {
		s.keep.live = make(map[uint64]*keeper)
	}
	s.keep.next++
	k.status.ID = s.keep.next
	s.keep.live[k.status.ID] = k
}

func (s *Session) removeKeeper(k *keeper) {
	s.keep.mu.Lock()
	defer s.keep.mu.Unlock()
	delete(s.keep.live, k.status.ID)
}

// Kept lists what the session keeps alive, in the order Keep and KeepList
// were called: those whose context has not ended.
func (s *Session) Kept() []Kept {
	s.keep.mu.Lock()
	ks := make([]*keeper, 0, len(s.keep.live))
	for _, k := range s.keep.live {
		if k.ctx.Err() == nil {
			ks = append(ks, k)
		}
	}
	s.keep.mu.Unlock()
	out := make([]Kept, 0, len(ks))
	for _, k := range ks {
		k.mu.Lock()
		out = append(out, k.status)
		k.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Kept) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// offerKept gives the keepers of the slot under target a newer item, as
// this session wrote or read it.
func (s *Session) offerKept(target dht.ID, it dht.Item) {
	s.keep.mu.Lock()
	defer s.keep.mu.Unlock()
	for _, k := range s.keep.live {
		if k.target != target || k.status.List {
			continue
		}
		k.mu.Lock()
		if k.slot == nil || it.Seq > k.slot.Seq {
			c := it
			k.slot = &c
		}
		k.mu.Unlock()
	}
}

// keepInterval is opts.Interval, or its default.
func (s *Session) keepInterval(opts KeepOptions) (time.Duration, error) {
	switch {
	case opts.Interval < 0:
		return 0, fmt.Errorf("%w: negative keep interval %v", ErrInvalidArgument, opts.Interval)
	case opts.Interval > 0:
		return opts.Interval, nil
	}
	ttl := s.opts.Store.TTL
	if ttl <= 0 {
		ttl = dht.DefaultTTL
	}
	return ttl / 4, nil
}

// jitter returns d give or take 10 %, at random.
func jitter(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d - d/10 + rand.N(d/5)
}

// Keep keeps the entry list stored under shared alive: it finds the newest
// signed item under the secret's target on the nodes now closest to it and
// puts it to each of them again, byte for byte (no new signature: any
// holder of the secret can do it, and it changes nothing), at once and
// then every opts.Interval (±10 %). A round asks the nodes with BEP 44's
// seq, so that those already holding the item do not send it; the item the
// session itself writes (Synchronize) or reads (Read, Watch) meanwhile
// becomes the one kept, and one that no node holds any more is put back
// from the session's copy. A failed round is tried again sooner, after an
// eighth of the interval, doubling up to the interval.
//
// Keep returns when ctx ends or the session stops, with an error matching
// ErrCancelled (or ErrTimeout at ctx's deadline); Session.Kept shows its
// progress meanwhile.
func (s *Session) Keep(ctx context.Context, shared SharedSecret, opts KeepOptions) error {
	interval, err := s.keepInterval(opts)
	if err != nil {
		return err
	}
	ctx, done, err := s.beginLong(ctx)
	if err != nil {
		return err
	}
	defer done()
	k := &keeper{target: dht.ID(shared.Target()), ctx: ctx}
	k.status.Target, k.status.Interval = shared.Target(), interval
	s.addKeeper(k)
	defer s.removeKeeper(k)
	return s.keepLoop(ctx, k, interval, opts.Round, s.keepSlot)
}

// KeepList keeps the message list from head alive: it reads the messages
// (once: a list under a head never changes) and puts each again, byte for
// byte, to the nodes now closest to its hash, at once and then every
// opts.Interval, as Keep does. A message that cannot be read yet is tried
// again at the next round; those before it are kept meanwhile. A list
// that grows has a new head: keep that one (and end this one).
func (s *Session) KeepList(ctx context.Context, head Hash, opts KeepOptions) error {
	interval, err := s.keepInterval(opts)
	if err != nil {
		return err
	}
	if head.IsZero() {
		return fmt.Errorf("%w: the empty list (a zero head) has nothing to keep", ErrInvalidArgument)
	}
	ctx, done, err := s.beginLong(ctx)
	if err != nil {
		return err
	}
	defer done()
	k := &keeper{target: dht.ID(head), ctx: ctx, next: head, seen: make(map[Hash]bool)}
	k.status.List, k.status.Target, k.status.Interval = true, head, interval
	s.addKeeper(k)
	defer s.removeKeeper(k)
	return s.keepLoop(ctx, k, interval, opts.Round, s.keepList)
}

// keepLoop runs round at once and then every interval, until ctx ends, and
// tells report after each.
func (s *Session) keepLoop(ctx context.Context, k *keeper, interval time.Duration, report func(Kept),
	round func(context.Context, *keeper) (items, stored int, err error)) error {
	failures := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-ctx.Done():
			return s.opErr(ctx, ctx.Err())
		}
		rctx, cancel := context.WithTimeout(ctx, s.timeout)
		items, stored, err := round(rctx, k)
		cancel()
		if ctx.Err() != nil {
			return s.opErr(ctx, ctx.Err())
		}
		wait := interval
		if err != nil {
			failures++
			wait = min(interval, interval/8<<min(failures-1, 3))
			s.logf("keeping %v: %v; next try in %v", k.status.Target, err, wait)
		} else {
			failures = 0
		}
		wait = jitter(wait)
		now := time.Now()
		k.mu.Lock()
		k.status.Rounds++
		k.status.Items, k.status.Stored, k.status.Err = items, stored, err
		k.status.Last, k.status.Next = now, now.Add(wait)
		if k.slot != nil {
			k.status.Seq = k.slot.Seq
		}
		status := k.status
		k.mu.Unlock()
		if report != nil {
			report(status)
		}
		timer.Reset(wait)
	}
}

// keepSlot is one round of Keep.
func (s *Session) keepSlot(ctx context.Context, k *keeper) (int, int, error) {
	k.mu.Lock()
	cur := k.slot
	k.mu.Unlock()
	var seq int64
	if cur != nil {
		seq = cur.Seq
	}
	answers, err := s.node.Get(ctx, k.target, seq, cur != nil, nil)
	if err != nil {
		return 0, 0, s.opErr(ctx, err)
	}
	if len(answers) == 0 {
		return 0, 0, s.opErr(ctx, errNoAnswer)
	}
	for _, a := range answers {
		if it := a.Item; it != nil && it.Mutable && (cur == nil || it.Seq > cur.Seq) {
			cur = it
		}
	}
	if cur == nil {
		return 0, 0, fmt.Errorf("%w: no node holds an item under %x", ErrNotFound, k.target)
	}
	it := *cur
	s.offerKept(k.target, it)
	res := s.node.Put(ctx, answers, it, nil)
	if res.Stored == 0 {
		if err := s.opErr(ctx, ctx.Err()); err != nil {
			return 1, 0, err
		}
		return 1, 0, fmt.Errorf("%w: no node stored the item again (last error: %v)", ErrNetwork, res.LastErr)
	}
	return 1, res.Stored, nil
}

// keepListParallel bounds the messages of a list put again at once.
const keepListParallel = 4

// keepList is one round of KeepList: read what is not yet read, then put
// every message read again.
func (s *Session) keepList(ctx context.Context, k *keeper) (int, int, error) {
	k.mu.Lock()
	next := k.next
	k.mu.Unlock()
	var readErr error
	for !next.IsZero() {
		if k.seen[next] {
			readErr = fmt.Errorf("%w: the list loops back to %v", ErrInvalidArgument, next)
			next = Hash{}
			break
		}
		m, it, _, err := s.getItem(ctx, next)
		if err != nil {
			readErr = err
			break
		}
		k.seen[next] = true
		next = m.Next
		k.mu.Lock()
		k.items = append(k.items, it)
		k.next = next
		k.mu.Unlock()
	}
	k.mu.Lock()
	items := slices.Clone(k.items)
	k.mu.Unlock()
	if len(items) == 0 {
		return 0, 0, readErr
	}

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stored  int
		lastErr error
		sem     = make(chan struct{}, keepListParallel)
	)
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, _, err := s.node.PutItem(ctx, it)
			mu.Lock()
			defer mu.Unlock()
			stored += res.Stored
			switch {
			case err != nil:
				lastErr = err
			case res.Stored == 0:
				lastErr = fmt.Errorf("%w: no node stored message %x again (last error: %v)", ErrNetwork, it.Target(), res.LastErr)
			}
		}()
	}
	wg.Wait()
	if err := s.opErr(ctx, ctx.Err()); err != nil {
		return len(items), stored, err
	}
	if lastErr != nil {
		return len(items), stored, lastErr
	}
	return len(items), stored, readErr
}

// refreshAsync puts it again to nodes, in the background, when the session
// refreshes what it reads (Options.RefreshOnRead).
func (s *Session) refreshAsync(nodes []dht.Answer, it dht.Item) {
	if !s.opts.RefreshOnRead || len(nodes) == 0 {
		return
	}
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		return
	}
	s.ops.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.ops.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
		defer cancel()
		s.node.Put(ctx, nodes, it, nil)
	}()
}
