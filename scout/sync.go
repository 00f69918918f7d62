package scout

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/scout-dht/scout/internal/dht"
)

// SyncHandler receives Synchronize's events. Both fields may be nil.
type SyncHandler struct {
	// EntryUpdated is called for each entry that is new, or newer than the
	// local one, as the copies found on the DHT are merged, before Finalize.
	EntryUpdated func(Entry)
	// Finalize is called once with the merged list, which it may change,
	// before the list is sealed and written.
	Finalize func(*Entries)
}

// SyncResult reports a completed Synchronize.
type SyncResult struct {
	Entries *Entries // the list as written
	Seq     int64    // the mutable item's seq as written
	Stored  int      // how many nodes acknowledged the write
	Failed  int      // copies found that failed to open (tampered or foreign)
	Retries int      // writes repeated after a concurrent writer got in first
}

// A copy of the mutable item as one node holds it, signature checked.
type mutableCopy struct {
	seq    int64
	sealed []byte
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
	seen := make(map[*dht.Item]bool)
	var copies []mutableCopy
	for _, a := range nodes {
		it := a.Item
		if it == nil || !it.Mutable {
			continue
		}
		held[a.Node.Addr] = it.Seq
		if seen[it] {
			continue // the same copy, verified once
		}
		seen[it] = true
		if sealed, err := ParseBencodedBytes(it.V); err == nil {
			copies = append(copies, mutableCopy{seq: it.Seq, sealed: sealed})
		}
	}
	return nodes, copies, held, nil
}

func contactsOf(answers []dht.Answer) []dht.Contact {
	out := make([]dht.Contact, len(answers))
	for i, a := range answers {
		out[i] = a.Node
	}
	return out
}

// syncRun is one Synchronize: the working list and what has been reported.
type syncRun struct {
	s        *Session
	shared   SharedSecret
	h        SyncHandler
	work     *Entries
	mine     map[uint32]bool  // entries this side changed: they win ties and are rebased
	reported map[uint32]int64 // seq last reported through EntryUpdated
	failed   map[string]bool  // sealed copies that did not open
}

// absorb opens every copy and merges those that open; a copy that does not
// is remembered (and not tried again on a retry). It returns the highest
// item seq among the copies and how many opened.
func (r *syncRun) absorb(target dht.ID, copies []mutableCopy) (highest int64, opened int) {
	for _, c := range copies {
		highest = max(highest, c.seq)
		if r.failed[string(c.sealed)] {
			continue
		}
		remote, err := OpenEntries(r.shared, c.sealed)
		if err != nil {
			r.failed[string(c.sealed)] = true
			r.s.logf("a copy of %x (seq %d) does not open: %v", target, c.seq, err)
			continue
		}
		opened++
		r.merge(remote)
	}
	return highest, opened
}

// merge folds one remote list into the working list. A newer remote entry
// replaces ours, unless ours is one this side changed: then ours is kept and
// its seq moved past the remote one, so that it wins everywhere. Equal seqs
// with different values (two writers at once) resolve to the greater value,
// so that every replica converges.
func (r *syncRun) merge(remote *Entries) {
	for _, e := range remote.Slice() {
		local, ok := r.work.Get(e.ID)
		switch {
		case !ok:
		case r.mine[e.ID]:
			if e.Seq >= local.Seq && !bytes.Equal(e.Value, local.Value) {
				local.Seq = e.Seq + 1
				_ = r.work.Set(local)
			}
			continue
		case e.Seq < local.Seq:
			continue
		case e.Seq == local.Seq && bytes.Compare(e.Value, local.Value) <= 0:
			continue
		}
		if err := r.work.Set(e); err != nil {
			r.s.logf("merging entry %d: %v", e.ID, err)
			continue
		}
		if seq, seen := r.reported[e.ID]; !seen || e.Seq > seq {
			r.reported[e.ID] = e.Seq
			if r.h.EntryUpdated != nil {
				r.h.EntryUpdated(e)
			}
		}
	}
}

// Synchronize reads the entry list stored under shared from the nodes
// closest to its target, opens every verified copy, merges them into local
// (newer seq wins), reports new and newer entries, lets Finalize change the
// result, then seals, signs (highest seq seen + 1) and writes it back with
// cas. When a concurrent writer gets in first, it merges again and retries.
// local is not changed; the result holds the list as written.
func (s *Session) Synchronize(ctx context.Context, shared SharedSecret, local *Entries, h SyncHandler) (SyncResult, error) {
	if local == nil {
		local = NewEntries()
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	defer done()
	r := &syncRun{
		s: s, shared: shared, h: h, work: local.Clone(),
		mine: make(map[uint32]bool), reported: make(map[uint32]int64), failed: make(map[string]bool),
	}
	for _, e := range local.Slice() {
		r.reported[e.ID] = e.Seq
		if local.Dirty(e.ID) {
			r.mine[e.ID] = true
		}
	}
	// One derivation of the key pair (ed25519.NewKeyFromSeed costs as much
	// as a signature); the public key and the target come from it.
	priv := shared.SigningKey()
	var pub [32]byte
	copy(pub[:], priv[32:])
	target := dht.ID(sha1.Sum(pub[:]))

	var nodes []dht.Answer
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
		highest, _ := r.absorb(target, copies)
		if attempt == 0 && h.Finalize != nil {
			before := r.work.Clone()
			h.Finalize(r.work)
			for _, e := range r.work.Slice() {
				if old, ok := before.Get(e.ID); !ok || old.Seq != e.Seq || !bytes.Equal(old.Value, e.Value) {
					r.mine[e.ID] = true
				}
			}
		}
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
		if res.Conflicts == 0 && res.Stored > 0 {
			out := r.work.Clone()
			out.ClearDirty()
			return SyncResult{Entries: out, Seq: seq, Stored: res.Stored, Failed: len(r.failed), Retries: attempt}, nil
		}
		if err := s.opErr(ctx, ctx.Err()); err != nil {
			return SyncResult{}, err
		}
		if res.Conflicts == 0 && res.Stored == 0 {
			return SyncResult{}, fmt.Errorf("%w: no node stored the list (last error: %v)", ErrNetwork, res.LastErr)
		}
		if attempt+1 >= maxSyncAttempts {
			return SyncResult{}, fmt.Errorf("%w: still conflicting after %d attempts (last: %v)", ErrConflict, maxSyncAttempts, res.LastErr)
		}
		// Another writer got in first: back off a little, re-read, merge.
		backoff := time.Duration(rand.Int64N(int64(min(2*time.Millisecond<<attempt, 100*time.Millisecond))))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return SyncResult{}, s.opErr(ctx, ctx.Err())
		}
	}
}

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
func (s *Session) Read(ctx context.Context, shared SharedSecret) (ReadResult, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return ReadResult{}, err
	}
	defer done()
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
	r := &syncRun{s: s, shared: shared, work: NewEntries(), mine: map[uint32]bool{}, reported: map[uint32]int64{}, failed: map[string]bool{}}
	res := ReadResult{Copies: len(held)}
	var opened int
	res.Seq, opened = r.absorb(target, copies)
	res.Failed = len(r.failed)
	if opened == 0 {
		return ReadResult{}, fmt.Errorf("%w: none of the %d copies under %x opens", ErrDecrypt, len(copies), target)
	}
	res.Entries = r.work
	return res, nil
}
