package scout

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/scout-dht/scout/internal/dht"
)

// SyncHandler receives Synchronize's events. Both fields may be nil.
type SyncHandler struct {
	// EntryUpdated is called for each entry that is new, or newer than the
	// local one, as the copies found on the DHT are merged, before Finalize.
	// Removals (tombstones) are reported only with Options.ShowRemoved.
	EntryUpdated func(Entry)
	// Finalize is called once with the merged list, which it may change,
	// before the list is sealed and written. Its accessors hide the
	// tombstones; Remove leaves one.
	Finalize func(*Entries)
}

// SyncResult reports a completed Synchronize.
type SyncResult struct {
	// Entries is the list as written (tombstones included, which its
	// accessors hide). When a concurrent writer's list already held this
	// side's changes, so that Synchronize did not write again, it is the
	// merge of the copies read.
	Entries *Entries
	Seq     int64 // the mutable item's seq as written
	Stored  int   // how many nodes acknowledged the write (or hold that list)
	Failed  int   // copies found that failed to open (tampered or foreign)
	Retries int   // writes repeated after a concurrent writer got in first
}

// A copy of the mutable item as one or more nodes hold it, signature
// checked.
type mutableCopy struct {
	seq     int64
	sealed  []byte
	item    *dht.Item
	holders int // how many of the nodes read hold this very copy
}

// readMutable collects the verified copies of the mutable item under target:
// a lookup the first time, a direct get to the same closest nodes on a
// retry. It returns the nodes (with fresh tokens), the distinct copies, and
// the seq each node holds (for cas).
func (s *Session) readMutable(ctx context.Context, target dht.ID, prev []dht.Answer) ([]dht.Answer, []mutableCopy, map[netip.AddrPort]int64, error) {
	var nodes []dht.Answer
	if prev == nil {
		var err error
		if nodes, err = s.node.Get(ctx, target, 0, false, nil); err != nil {
			return nil, nil, nil, err
		}
	} else {
		nodes = s.node.GetFrom(ctx, target, contactsOf(prev))
	}
	held := make(map[netip.AddrPort]int64)
	for _, a := range nodes {
		if it := a.Item; it != nil && it.Mutable {
			held[a.Node.Addr] = it.Seq
		}
	}
	copies := copiesOf(nodes)
	return nodes, copies, held, nil
}

func contactsOf(answers []dht.Answer) []dht.Contact {
	out := make([]dht.Contact, len(answers))
	for i, a := range answers {
		out[i] = a.Node
	}
	return out
}

// syncRun is one Synchronize (or Read, or Watch): the working list and
// what has been reported.
type syncRun struct {
	s        *Session
	shared   SharedSecret
	h        SyncHandler
	work     *Entries
	mine     map[uint32]bool     // entries this side changed: they win ties and are rebased
	reported map[uint32]int64    // seq last reported through EntryUpdated
	failed   map[string]bool     // sealed copies that did not open
	opened   map[string]*Entries // sealed copies that did, by their bytes
}

func newSyncRun(s *Session, shared SharedSecret, h SyncHandler, local *Entries) *syncRun {
	r := &syncRun{
		s: s, shared: shared, h: h, work: local.Clone(),
		mine: make(map[uint32]bool), reported: make(map[uint32]int64),
		failed: make(map[string]bool), opened: make(map[string]*Entries),
	}
	for _, e := range local.all() {
		r.reported[e.ID] = e.Seq
		if local.Dirty(e.ID) {
			r.mine[e.ID] = true
		}
	}
	return r
}

// open opens a sealed copy once; a copy that does not open is remembered
// and not tried again.
func (r *syncRun) open(target dht.ID, c mutableCopy) (*Entries, bool) {
	if l, ok := r.opened[string(c.sealed)]; ok {
		return l, true
	}
	if r.failed[string(c.sealed)] {
		return nil, false
	}
	l, err := OpenEntries(r.shared, c.sealed)
	if err != nil {
		r.failed[string(c.sealed)] = true
		r.s.logf("a copy of %x (seq %d) does not open: %v", target, c.seq, err)
		return nil, false
	}
	r.opened[string(c.sealed)] = l
	return l, true
}

// absorb opens every copy and merges those that open. It returns the
// highest item seq among the copies, how many opened, and the entries
// taken that were newer than any reported before.
func (r *syncRun) absorb(target dht.ID, copies []mutableCopy) (highest int64, opened int, took []Entry) {
	for _, c := range copies {
		highest = max(highest, c.seq)
		remote, ok := r.open(target, c)
		if !ok {
			continue
		}
		opened++
		took = append(took, r.merge(remote)...)
	}
	return highest, opened, took
}

// compareContent orders two versions of an entry that have the same seq,
// so that replicas converge: by value, then a tombstone after a live entry.
func compareContent(a, b Entry) int {
	if c := bytes.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	switch {
	case a.IsRemoved() == b.IsRemoved():
		return 0
	case a.IsRemoved():
		return 1
	}
	return -1
}

// merge folds one remote list into the working list, tombstones included.
// A newer remote entry replaces ours, unless ours is one this side changed:
// then ours is kept and its seq moved past the remote one, so that it wins
// everywhere. Equal seqs with different values (two writers at once)
// resolve to the greater value, so that every replica converges. It
// reports, through EntryUpdated, each entry taken that is newer than any
// reported before (a tombstone only with Options.ShowRemoved), and
// returns them.
func (r *syncRun) merge(remote *Entries) (took []Entry) {
	for _, e := range remote.all() {
		local, ok := r.work.lookup(e.ID)
		switch {
		case !ok:
		case r.mine[e.ID]:
			if e.Seq >= local.Seq && compareContent(e, local) != 0 && local.Seq < math.MaxInt64 {
				local.Seq = e.Seq + 1
				_ = r.work.Set(local)
			}
			continue
		case e.Seq < local.Seq:
			continue
		case e.Seq == local.Seq && compareContent(e, local) <= 0:
			continue
		}
		if err := r.work.Set(e); err != nil {
			r.s.logf("merging entry %d: %v", e.ID, err)
			continue
		}
		if seq, seen := r.reported[e.ID]; !seen || e.Seq > seq {
			r.reported[e.ID] = e.Seq
			took = append(took, e)
			if r.h.EntryUpdated != nil && (!e.IsRemoved() || r.s.opts.ShowRemoved) {
				r.h.EntryUpdated(e)
			}
		}
	}
	return took
}

// landed returns a copy held by a majority of the n nodes read whose list
// holds every entry this side changed as this side has it now (or a newer
// version): once another writer has written that, this side's write is
// done. It returns nil when there is none.
func (r *syncRun) landed(target dht.ID, copies []mutableCopy, n int) *mutableCopy {
	for i, c := range copies {
		if 2*c.holders <= n {
			continue
		}
		l, ok := r.open(target, c)
		if !ok {
			continue
		}
		all := true
		for id := range r.mine {
			want, ok1 := r.work.lookup(id)
			got, ok2 := l.lookup(id)
			if !ok1 {
				continue // dropped since (an expired tombstone)
			}
			if !ok2 || got.Seq < want.Seq || got.Seq == want.Seq && compareContent(got, want) != 0 {
				all = false
				break
			}
		}
		if all {
			return &copies[i]
		}
	}
	return nil
}

// dropOldTombstones leaves out of the working list the tombstones older
// than the session's TombstoneTTL.
func (r *syncRun) dropOldTombstones() {
	ttl := r.s.opts.TombstoneTTL
	if ttl == 0 {
		ttl = DefaultTombstoneTTL
	}
	if ttl < 0 {
		return
	}
	cutoff := time.Now().Add(-ttl)
	for _, e := range r.work.Removed() {
		if e.Removed.Before(cutoff) {
			r.work.drop(e.ID)
		}
	}
}

// result is the SyncResult of a run that ends with seq stored on stored
// nodes.
func (r *syncRun) result(seq int64, stored, retries int) SyncResult {
	out := r.work.Clone()
	out.ClearDirty()
	return SyncResult{Entries: out, Seq: seq, Stored: stored, Failed: len(r.failed), Retries: retries}
}

// majority is how many of nodes make a majority of those that can be
// written (that gave a token).
func majority(nodes []dht.Answer) int {
	n := 0
	for _, a := range nodes {
		if a.Token != nil {
			n++
		}
	}
	return n/2 + 1
}

// Synchronize reads the entry list stored under shared from the nodes
// closest to its target, opens every verified copy, merges them into local
// (newer seq wins), reports new and newer entries, lets Finalize change the
// result, then seals, signs (highest seq seen + 1) and writes it back with
// cas. When a concurrent writer gets in first, it merges again and retries,
// unless that writer's list, stored by a majority, already holds this
// side's changes. local is not changed; the result holds the list as
// written.
//
// It ends with ErrConflict only when, after its attempts, the list a
// majority of the closest nodes hold still lacks this side's changes.
func (s *Session) Synchronize(ctx context.Context, shared SharedSecret, local *Entries, h SyncHandler) (_ SyncResult, err error) {
	if local == nil {
		local = NewEntries()
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	r := newSyncRun(s, shared, h, local)
	// One derivation of the key pair (ed25519.NewKeyFromSeed costs as much
	// as a signature); the public key and the target come from it.
	priv := shared.SigningKey()
	var pub [32]byte
	copy(pub[:], priv[32:])
	target := dht.ID(sha1.Sum(pub[:]))

	var (
		nodes   []dht.Answer
		lastErr error
	)
	for attempt := 0; ; attempt++ {
		var (
			copies []mutableCopy
			held   map[netip.AddrPort]int64
		)
		nodes, copies, held, err = s.readMutable(ctx, target, nodes)
		if err != nil {
			return SyncResult{}, s.opErr(ctx, err)
		}
		if len(nodes) == 0 {
			return SyncResult{}, s.opErr(ctx, errNoAnswer)
		}
		highest, _, _ := r.absorb(target, copies)
		if attempt > 0 {
			// A concurrent writer got in first: its list, if a majority
			// holds it, may already carry what this side changed.
			if c := r.landed(target, copies, len(nodes)); c != nil {
				s.offerKept(target, *c.item)
				return r.result(c.seq, c.holders, attempt), nil
			}
			if attempt >= maxSyncAttempts {
				return SyncResult{}, fmt.Errorf("%w: still conflicting after %d attempts, and the list stored lacks this side's changes (last: %v)",
					ErrConflict, maxSyncAttempts, lastErr)
			}
		}
		if attempt == 0 && h.Finalize != nil {
			before := r.work.Clone()
			h.Finalize(r.work)
			for _, e := range r.work.all() {
				if old, ok := before.lookup(e.ID); !ok || old.Seq != e.Seq || compareContent(old, e) != 0 {
					r.mine[e.ID] = true
				}
			}
		}
		r.dropOldTombstones()
		sealed, err := SealEntries(shared, r.work)
		if err != nil {
			return SyncResult{}, err
		}
		seq := highest + 1
		bv := BencodeBytes(sealed)
		sig := SignMutable(priv, seq, bv)
		// Each node's cas is the seq it held when we read it: a refusal then
		// means that node changed since, not that it lagged behind others.
		// A node that held nothing gets cas 0: no writer signs seq 0 (the
		// first write is seq 1), so a writer that found the node empty too
		// and got in first makes it refuse (BEP 44 has no "expect nothing";
		// a node that holds nothing ignores cas).
		it := dht.Item{V: bv, Mutable: true, K: pub, Sig: sig, Seq: seq}
		res := s.node.Put(ctx, nodes, it, func(a dht.Answer) (int64, bool) {
			return held[a.Node.Addr], true
		})
		// Stored by a majority: two writers cannot both be, since each node
		// takes only the first of two puts whose cas names what it held;
		// a writer refused by the others merges this list in and writes
		// again.
		if res.Stored > 0 && (res.Conflicts == 0 || res.Stored >= majority(nodes)) {
			s.offerKept(target, it)
			return r.result(seq, res.Stored, attempt), nil
		}
		if err := s.opErr(ctx, ctx.Err()); err != nil {
			return SyncResult{}, err
		}
		if res.Conflicts == 0 && res.Stored == 0 {
			return SyncResult{}, fmt.Errorf("%w: no node stored the list (last error: %v)", ErrNetwork, res.LastErr)
		}
		lastErr = res.LastErr
		// Another writer got in first: back off, re-read, merge. The wait
		// grows with the attempts, and so with the number of writers that
		// keep getting in first.
		backoff := time.Duration(rand.Int64N(int64(min(syncBackoff<<attempt, maxSyncBackoff))))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return SyncResult{}, s.opErr(ctx, ctx.Err())
		}
	}
}

// The backoff of a Synchronize whose write conflicted: a random wait up to
// syncBackoff doubled per attempt, at most maxSyncBackoff.
const (
	syncBackoff    = 4 * time.Millisecond
	maxSyncBackoff = 250 * time.Millisecond
)

// ReadResult reports a completed Read.
type ReadResult struct {
	Entries *Entries // every verified copy opened and merged
	Seq     int64    // the highest item seq found
	Copies  int      // how many nodes hold a verified copy
	Failed  int      // distinct copies that failed to open
}

// Read looks up the entry list stored under shared and merges every copy,
// without writing anything back (Synchronize reads and writes). It ends
// with ErrNotFound when no node holds the list, and with ErrDecrypt when
// copies exist but none opens.
func (s *Session) Read(ctx context.Context, shared SharedSecret) (_ ReadResult, err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return ReadResult{}, err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	target := dht.ID(shared.Target())
	nodes, copies, held, err := s.readMutable(ctx, target, nil)
	if err != nil {
		return ReadResult{}, s.opErr(ctx, err)
	}
	if len(nodes) == 0 {
		return ReadResult{}, s.opErr(ctx, errNoAnswer)
	}
	if len(copies) == 0 {
		return ReadResult{}, fmt.Errorf("%w: no entry list under %x", ErrNotFound, target)
	}
	r := newSyncRun(s, shared, SyncHandler{}, NewEntries())
	res := ReadResult{Copies: len(held)}
	var opened int
	res.Seq, opened, _ = r.absorb(target, copies)
	res.Failed = len(r.failed)
	if opened == 0 {
		return ReadResult{}, fmt.Errorf("%w: none of the %d copies under %x opens", ErrDecrypt, len(copies), target)
	}
	if newest := newestCopy(copies); newest != nil {
		s.offerKept(target, *newest.item)
		s.refreshAsync(nodes, *newest.item)
	}
	res.Entries = r.work
	return res, nil
}

// newestCopy returns the copy with the highest seq, held by the most nodes
// among those; nil when there is none.
func newestCopy(copies []mutableCopy) *mutableCopy {
	var best *mutableCopy
	for i := range copies {
		c := &copies[i]
		if best == nil || c.seq > best.seq || c.seq == best.seq && c.holders > best.holders {
			best = c
		}
	}
	return best
}
