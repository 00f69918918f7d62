package scout

import (
	"context"
	"fmt"
	"time"

	"github.com/scout-dht/scout/internal/dht"
)

// DefaultWatchInterval is Watch's interval when it is given zero.
const DefaultWatchInterval = time.Minute

// WatchHandler receives Watch's events, on Watch's goroutine, one at a
// time. Both fields may be nil.
type WatchHandler struct {
	// EntryUpdated is called for each entry that is new, or newer than
	// any seen before, as each new version of the list is merged; removals
	// (tombstones) only with Options.ShowRemoved.
	EntryUpdated func(Entry)
	// Changed is called once per new version of the list found (a higher
	// item seq), after its EntryUpdated calls. A peer that synchronizes
	// writes a new version even when it changed no entry: Updated and
	// Removed are then empty.
	Changed func(WatchChange)
}

// WatchChange is one new version of the watched list.
type WatchChange struct {
	Seq     int64    // the item seq of the newest copy found
	Entries *Entries // the merge of every version seen so far, a copy for the handler to keep
	Updated []Entry  // what EntryUpdated was given for this version
	Removed []uint32 // the entries this version removed (their tombstones), shown or not
	Failed  int      // copies of this version that did not open (tampered or foreign)
}

// Watch follows the entry list stored under shared: it asks the nodes
// closest to its target at once and then every interval (±10 %; zero:
// DefaultWatchInterval) with BEP 44's seq set to the newest seq seen, so
// that a node whose copy is not newer answers without the value, and it
// opens and merges each newer copy into what it has seen (starting from
// local, which is not changed; nil: nothing), calling h for each new
// version. A round that fails (no node answers, a timeout) is tried again
// after twice the wait, and twice again, up to 8 intervals.
//
// Watch reads, it never writes (with Options.RefreshOnRead it puts the
// newest copy back, byte for byte, at most once per keep interval). It
// returns when ctx ends or the session stops, with an error matching
// ErrCancelled (ErrTimeout at ctx's deadline): exactly one completion.
func (s *Session) Watch(ctx context.Context, shared SharedSecret, local *Entries, interval time.Duration, h WatchHandler) error {
	if interval < 0 {
		return fmt.Errorf("%w: negative watch interval %v", ErrInvalidArgument, interval)
	}
	if interval == 0 {
		interval = DefaultWatchInterval
	}
	if local == nil {
		local = NewEntries()
	}
	refreshEvery, _ := s.keepInterval(KeepOptions{})
	ctx, done, err := s.beginLong(ctx)
	if err != nil {
		return err
	}
	defer done()
	target := dht.ID(shared.Target())
	var updated []Entry
	r := newSyncRun(s, shared, SyncHandler{EntryUpdated: func(e Entry) {
		updated = append(updated, e.clone())
		if h.EntryUpdated != nil {
			h.EntryUpdated(e)
		}
	}}, local)
	var (
		seq         int64
		failures    int
		lastRefresh time.Time
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-ctx.Done():
			return s.opErr(ctx, ctx.Err())
		}
		pctx, cancel := context.WithTimeout(ctx, s.timeout)
		answers, err := s.node.Get(pctx, target, seq, seq > 0, nil)
		cancel()
		if ctx.Err() != nil {
			return s.opErr(ctx, ctx.Err())
		}
		if err == nil && len(answers) == 0 {
			err = errNoAnswer
		}
		if err != nil {
			failures++
			wait := interval << min(failures, 3)
			s.logf("watching %x: %v; next try in %v", target, err, wait)
			timer.Reset(jitter(wait))
			continue
		}
		failures = 0
		var newer []mutableCopy
		for _, c := range copiesOf(answers) {
			if c.seq > seq {
				newer = append(newer, c)
			}
		}
		if len(newer) > 0 {
			failedBefore := len(r.failed)
			before := r.work.Clone()
			updated = updated[:0]
			highest, _, took := r.absorb(target, newer)
			change := WatchChange{Seq: highest, Updated: append([]Entry(nil), updated...), Failed: len(r.failed) - failedBefore}
			for _, e := range took {
				if _, wasLive := before.Get(e.ID); e.IsRemoved() && wasLive {
					change.Removed = append(change.Removed, e.ID)
				}
			}
			seq = highest
			newest := newestCopy(newer)
			s.offerKept(target, *newest.item)
			if s.opts.RefreshOnRead && time.Since(lastRefresh) >= refreshEvery {
				lastRefresh = time.Now()
				s.refreshAsync(answers, *newest.item)
			}
			if h.Changed != nil {
				change.Entries = r.work.Clone()
				change.Entries.ClearDirty()
				h.Changed(change)
			}
		}
		timer.Reset(jitter(interval))
	}
}

// copiesOf returns the distinct verified copies of a mutable item among
// answers, each with how many nodes hold it.
func copiesOf(answers []dht.Answer) []mutableCopy {
	index := make(map[*dht.Item]int)
	var copies []mutableCopy
	for _, a := range answers {
		it := a.Item
		if it == nil || !it.Mutable {
			continue
		}
		if i, ok := index[it]; ok {
			if i >= 0 {
				copies[i].holders++
			}
			continue
		}
		index[it] = -1
		if sealed, err := ParseBencodedBytes(it.V); err == nil {
			index[it] = len(copies)
			copies = append(copies, mutableCopy{seq: it.Seq, sealed: sealed, item: it, holders: 1})
		}
	}
	return copies
}
