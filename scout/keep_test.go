package scout_test

// Keep, watch, remove: data that stays alive, changes that arrive, removals
// that stick. The keep-alive tests run on a swarm whose nodes drop items
// after one second.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// syncList synchronizes entries (id, value pairs) from s and returns the
// result.
func syncList(t *testing.T, s *scout.Session, shared scout.SharedSecret, local *scout.Entries, kv ...any) scout.SyncResult {
	t.Helper()
	if local == nil {
		local = scout.NewEntries()
	}
	for i := 0; i+1 < len(kv); i += 2 {
		_, err := local.Assign(uint32(kv[i].(int)), []byte(kv[i+1].(string)))
		require.NoError(t, err)
	}
	res, err := s.Synchronize(context.Background(), shared, local, scout.SyncHandler{})
	require.NoError(t, err)
	return res
}

// putList stores messages as a list and returns its head.
func putList(t *testing.T, s *scout.Session, msgs ...string) scout.Hash {
	t.Helper()
	var head scout.ListHead
	for _, m := range msgs {
		token, err := head.PushFront([]byte(m))
		require.NoError(t, err)
		_, err = s.Put(context.Background(), token, []byte(m))
		require.NoError(t, err)
	}
	return head.Hash()
}

// TestKeepOutlivesTheItemLifetime: on nodes that drop items one second
// after they were put, a kept slot and a kept message list are readable
// after five seconds, and so is a slot a reader that refreshes what it
// reads keeps reading, while the slot and list nobody keeps are gone.
func TestKeepOutlivesTheItemLifetime(t *testing.T) {
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	const ttl = time.Second
	limits := scout.StoreLimits{TTL: ttl}
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 32, Store: limits})
	require.NoError(t, err)
	defer sw.Close()
	// Read-only peers store nothing themselves: what outlives the lifetime
	// lives on the swarm's nodes. Alice's store limits say the lifetime,
	// which her keep interval derives from: a quarter of it.
	alice := newPeer(t, sw, scout.Options{ReadOnly: true, Store: limits})
	reader := newPeer(t, sw, scout.Options{ReadOnly: true, RefreshOnRead: true})

	kept, unkept, read := randomShared(t), randomShared(t), randomShared(t)
	syncList(t, alice, kept, nil, 1, "kept 10.0.0.1:4000")
	syncList(t, alice, unkept, nil, 1, "unkept 10.0.0.2:4000")
	syncList(t, alice, read, nil, 1, "read 10.0.0.3:4000")
	keptHead := putList(t, alice, "kept one", "kept two", "kept three")
	unkeptHead := putList(t, alice, "unkept one", "unkept two")
	_, err = alice.Read(context.Background(), unkept)
	require.NoError(t, err, "readable before the lifetime passes")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rounds := make(chan scout.Kept, 256)
	report := func(k scout.Kept) {
		select {
		case rounds <- k:
		default:
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- alice.Keep(ctx, kept, scout.KeepOptions{Round: report}) }()
	go func() { errs <- alice.KeepList(ctx, keptHead, scout.KeepOptions{Round: report}) }()
	var readerWG sync.WaitGroup
	readerWG.Add(1)
	go func() { // reads the third slot twice per lifetime
		defer readerWG.Done()
		for ctx.Err() == nil {
			reader.Read(ctx, read)
			select {
			case <-time.After(ttl / 2):
			case <-ctx.Done():
			}
		}
	}()

	// The first rounds: the slot at its seq, the list's three messages.
	var slotDone, listDone bool
	for !slotDone || !listDone {
		select {
		case k := <-rounds:
			require.NoError(t, k.Err)
			slotDone = slotDone || !k.List && k.Seq == 1 && k.Stored > 0
			listDone = listDone || k.List && k.Items == 3 && k.Stored >= 3
		case <-time.After(10 * time.Second):
			t.Fatal("no keep round within 10 s")
		}
	}
	list := alice.Kept()
	require.Len(t, list, 2)
	if list[0].List { // the two started at once
		list[0], list[1] = list[1], list[0]
	}
	assert.Equal(t, kept.Target(), list[0].Target)
	assert.False(t, list[0].List)
	assert.Equal(t, keptHead, list[1].Target)
	assert.True(t, list[1].List)
	assert.Equal(t, ttl/4, list[0].Interval, "the default interval is a quarter of the lifetime")

	time.Sleep(5 * ttl)

	bob := newPeer(t, sw, scout.Options{ReadOnly: true})
	// A read that misses on a loaded machine is tried again: what is kept
	// is found by one of three, what expired by none.
	var got scout.ReadResult
	for range 3 {
		if got, err = bob.Read(context.Background(), kept); err == nil {
			break
		}
	}
	require.NoError(t, err, "the kept slot after 5 lifetimes")
	e, _ := got.Entries.Get(1)
	assert.Equal(t, "kept 10.0.0.1:4000", string(e.Value))
	for range 3 {
		if _, err = bob.Read(context.Background(), read); err == nil {
			break
		}
	}
	assert.NoError(t, err, "the slot a refreshing reader reads, after 5 lifetimes")
	var msgs []scout.Message
	for range 3 {
		if msgs, err = bob.GetList(context.Background(), keptHead, 0); err == nil {
			break
		}
	}
	require.NoError(t, err, "the kept list after 5 lifetimes")
	require.Len(t, msgs, 3)
	assert.Equal(t, "kept three", string(msgs[0].Contents))

	_, err = bob.Read(context.Background(), unkept)
	assert.ErrorIs(t, err, scout.ErrNotFound, "the slot nobody keeps is gone")
	_, err = bob.Get(context.Background(), unkeptHead)
	assert.ErrorIs(t, err, scout.ErrNotFound, "the list nobody keeps is gone")

	cancel()
	readerWG.Wait()
	for range 2 {
		assert.ErrorIs(t, <-errs, scout.ErrCancelled)
	}
	assert.Empty(t, alice.Kept(), "what ended is no longer listed")
}

// TestKeepEndsOnStop: Stop ends Keep and KeepList, each once, with
// ErrCancelled; a stopped session keeps nothing; bad arguments are
// refused before anything starts.
func TestKeepEndsOnStop(t *testing.T) {
	sw := swarm64(t)
	s := newPeer(t, sw, scout.Options{ReadOnly: true})
	shared := randomShared(t)
	assert.ErrorIs(t, s.Keep(context.Background(), shared, scout.KeepOptions{Interval: -1}), scout.ErrInvalidArgument)
	assert.ErrorIs(t, s.KeepList(context.Background(), scout.Hash{}, scout.KeepOptions{}), scout.ErrInvalidArgument)

	started := make(chan struct{}, 2)
	errs := make(chan error, 2)
	report := func(scout.Kept) {
		select {
		case started <- struct{}{}:
		default:
		}
	}
	// Nothing is stored under these yet: the rounds fail and go on.
	go func() {
		errs <- s.Keep(context.Background(), shared, scout.KeepOptions{Interval: time.Hour, Round: report})
	}()
	go func() {
		errs <- s.KeepList(context.Background(), scout.Hash{1}, scout.KeepOptions{Interval: time.Hour, Round: report})
	}()
	<-started
	<-started
	for _, k := range s.Kept() {
		assert.ErrorIs(t, k.Err, scout.ErrNotFound, "%+v", k)
	}
	require.NoError(t, s.Stop())
	for range 2 {
		assert.ErrorIs(t, <-errs, scout.ErrCancelled)
	}
	select {
	case err := <-errs:
		t.Fatalf("a third completion: %v", err)
	default:
	}
	assert.ErrorIs(t, s.Keep(context.Background(), shared, scout.KeepOptions{}), scout.ErrWrongState)
}

// TestWatchSeesAPeersChange: Bob watches the list he shares with Alice;
// each of her writes reaches him within two intervals, as the entries she
// changed and, for a removal, the id she removed, once per version.
func TestWatchSeesAPeersChange(t *testing.T) {
	sw := swarm64(t)
	alice := newPeer(t, sw, scout.Options{ReadOnly: true})
	bob := newPeer(t, sw, scout.Options{ReadOnly: true})
	shared := randomShared(t)
	res := syncList(t, alice, shared, nil, 1, "laptop 10.0.0.5:4000", 2, "phone 10.0.0.6:4000")

	const interval = 400 * time.Millisecond
	var (
		mu      sync.Mutex
		updates []scout.Entry
	)
	changes := make(chan scout.WatchChange, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	go func() {
		done <- bob.Watch(ctx, shared, nil, interval, scout.WatchHandler{
			EntryUpdated: func(e scout.Entry) { mu.Lock(); updates = append(updates, e); mu.Unlock() },
			Changed:      func(c scout.WatchChange) { changes <- c },
		})
	}()
	next := func() scout.WatchChange {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no change within 10 s")
		}
		return scout.WatchChange{}
	}
	c := next()
	assert.Equal(t, res.Seq, c.Seq)
	assert.Equal(t, 2, c.Entries.Len())
	assert.Len(t, c.Updated, 2)

	// A change: Bob sees it within two intervals of Alice's write.
	local := res.Entries
	local.Assign(1, []byte("laptop 10.0.0.9:4000"))
	res, err := alice.Synchronize(context.Background(), shared, local, scout.SyncHandler{})
	require.NoError(t, err)
	wrote := time.Now()
	c = next()
	took := time.Since(wrote)
	t.Logf("a change reached the watcher %v after the write (interval %v)", took.Round(time.Millisecond), interval)
	assert.LessOrEqual(t, took, 2*interval, "seen within two intervals")
	assert.Equal(t, res.Seq, c.Seq)
	require.Len(t, c.Updated, 1)
	assert.Equal(t, "laptop 10.0.0.9:4000", string(c.Updated[0].Value))
	assert.Empty(t, c.Removed)

	// A removal: reported as removed, not as an update.
	local = res.Entries
	require.True(t, local.Remove(2))
	res, err = alice.Synchronize(context.Background(), shared, local, scout.SyncHandler{})
	require.NoError(t, err)
	c = next()
	assert.Equal(t, res.Seq, c.Seq)
	assert.Equal(t, []uint32{2}, c.Removed)
	assert.Empty(t, c.Updated, "tombstones are hidden without ShowRemoved")
	_, ok := c.Entries.Get(2)
	assert.False(t, ok)
	assert.Equal(t, 1, c.Entries.Len())

	cancel()
	assert.ErrorIs(t, <-done, scout.ErrCancelled)
	mu.Lock()
	assert.Len(t, updates, 3, "EntryUpdated: the two entries, then the change")
	mu.Unlock()
	select {
	case c := <-changes:
		t.Fatalf("a change after Watch returned: %+v", c)
	default:
	}

	// Stop ends a watch too, once.
	go func() { done <- bob.Watch(context.Background(), shared, nil, time.Hour, scout.WatchHandler{}) }()
	require.Eventually(t, func() bool { return bob.Active() > 0 }, 5*time.Second, time.Millisecond)
	require.NoError(t, bob.Stop())
	assert.ErrorIs(t, <-done, scout.ErrCancelled)
}

// TestWatchPollCost counts what one poll costs the watcher when nothing
// changed: its get queries and the bytes of the answers, which carry no
// value since the nodes see the watcher's seq (the README's figures).
func TestWatchPollCost(t *testing.T) {
	sw := swarm64(t)
	alice := newPeer(t, sw, scout.Options{ReadOnly: true})
	bob := newPeer(t, sw, scout.Options{ReadOnly: true})
	shared := randomShared(t)
	syncList(t, alice, shared, nil, 1, "laptop 10.0.0.5:4000", 2, "phone 10.0.0.6:4000", 3, "tablet 10.0.0.7:4000")

	const polls, interval = 20, 20 * time.Millisecond
	changes := make(chan scout.WatchChange, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- bob.Watch(ctx, shared, nil, interval, scout.WatchHandler{Changed: func(c scout.WatchChange) { changes <- c }})
	}()
	<-changes // the first poll brought the list
	before := bob.NodeStats()
	time.Sleep(polls * interval)
	after := bob.NodeStats()
	cancel()
	<-done
	gets := after.QueriesOut["get"] - before.QueriesOut["get"]
	n := float64(gets) / polls
	in := float64(after.BytesIn-before.BytesIn) / float64(gets)
	t.Logf("an idle poll on a 64-node swarm: %.1f get queries, %.0f bytes per answer; at one poll a minute: %.0f queries and %.0f answers an hour",
		n, in, 60*n, 60*n)
	require.Positive(t, gets)
	// An answer with the value (about 1 KB: the sealed list, here 150
	// bytes, plus key, signature, nodes and token) would not fit this.
	assert.Less(t, in, 450.0, "idle polls carry no value")
}

// TestRemovalSticks: Alice removes her old phone; Bob, who still holds it,
// and Alice synchronize ten times each, and it never comes back.
func TestRemovalSticks(t *testing.T) {
	sw := swarm64(t)
	alice := newPeer(t, sw, scout.Options{ReadOnly: true})
	bob := newPeer(t, sw, scout.Options{ReadOnly: true})
	shared := randomShared(t)
	aRes := syncList(t, alice, shared, nil, 1, "alice laptop", 2, "alice old phone")
	bRes := syncList(t, bob, shared, nil, 11, "bob desktop")
	stale := bRes.Entries // holds entry 2, as Bob last saw it
	_, ok := stale.Get(2)
	require.True(t, ok)

	local := aRes.Entries
	require.True(t, local.Remove(2))
	aRes, err := alice.Synchronize(context.Background(), shared, local, scout.SyncHandler{})
	require.NoError(t, err)
	_, ok = aRes.Entries.Get(2)
	require.False(t, ok)

	for i := range 10 {
		aRes, err = alice.Synchronize(context.Background(), shared, aRes.Entries, scout.SyncHandler{
			EntryUpdated: func(e scout.Entry) { assert.NotEqual(t, uint32(2), e.ID, "alice, round %d", i) },
		})
		require.NoError(t, err)
		// Bob synchronizes from his stale list every other time, from his
		// last result otherwise.
		from := bRes.Entries
		if i%2 == 0 {
			from = stale
		}
		bRes, err = bob.Synchronize(context.Background(), shared, from, scout.SyncHandler{
			EntryUpdated: func(e scout.Entry) { assert.NotEqual(t, uint32(2), e.ID, "bob, round %d", i) },
		})
		require.NoError(t, err)
		for who, l := range map[string]*scout.Entries{"alice": aRes.Entries, "bob": bRes.Entries} {
			_, ok := l.Get(2)
			assert.False(t, ok, "round %d: %s's list brought entry 2 back", i, who)
			_, ok1 := l.Get(1)
			_, ok11 := l.Get(11)
			assert.True(t, ok1 && ok11, "round %d: %s lost an entry", i, who)
		}
	}
	read, err := newPeer(t, sw, scout.Options{ReadOnly: true}).Read(context.Background(), shared)
	require.NoError(t, err)
	_, ok = read.Entries.Get(2)
	assert.False(t, ok)
	rm := read.Entries.Removed()
	require.Len(t, rm, 1)
	assert.Equal(t, uint32(2), rm[0].ID)

	// With ShowRemoved, a peer is told of the removal.
	var shown []scout.Entry
	carol := newPeer(t, sw, scout.Options{ReadOnly: true, ShowRemoved: true})
	_, err = carol.Synchronize(context.Background(), shared, nil, scout.SyncHandler{
		EntryUpdated: func(e scout.Entry) { shown = append(shown, e) },
	})
	require.NoError(t, err)
	var removed []uint32
	for _, e := range shown {
		if e.IsRemoved() {
			removed = append(removed, e.ID)
			assert.Empty(t, e.Value)
		}
	}
	assert.Equal(t, []uint32{2}, removed)
}

// TestOldTombstonesAreDropped: a tombstone older than TombstoneTTL is left
// out of what Synchronize writes; a younger one stays.
func TestOldTombstonesAreDropped(t *testing.T) {
	sw := swarm64(t)
	s := newPeer(t, sw, scout.Options{ReadOnly: true, TombstoneTTL: time.Hour})
	shared := randomShared(t)
	local := scout.NewEntries()
	local.Assign(1, []byte("live"))
	mustSet(t, local, scout.Entry{ID: 2, Seq: 3, Removed: time.Now().Add(-2 * time.Hour)})
	mustSet(t, local, scout.Entry{ID: 3, Seq: 3, Removed: time.Now().Add(-time.Minute)})
	res, err := s.Synchronize(context.Background(), shared, local, scout.SyncHandler{})
	require.NoError(t, err)
	read, err := s.Read(context.Background(), shared)
	require.NoError(t, err)
	for _, l := range []*scout.Entries{res.Entries, read.Entries} {
		rm := l.Removed()
		require.Len(t, rm, 1)
		assert.Equal(t, uint32(3), rm[0].ID)
		assert.Equal(t, 1, l.Len())
	}
}

// TestGetWithTheCurrentSeqOmitsTheValue: BEP 44's get with seq, asked of a
// node that holds the list, raw: no v when the asker has the stored seq
// (or a newer one), v when it has an older one or none.
func TestGetWithTheCurrentSeqOmitsTheValue(t *testing.T) {
	sw := swarm64(t)
	shared := randomShared(t)
	nodes := sw.Sessions()
	res := syncList(t, nodes[3], shared, nil, 1, "laptop 10.0.0.5:4000")
	target := shared.Target()
	var holder *scout.Session
	require.Eventually(t, func() bool {
		for _, s := range nodes {
			if s.Holds(target) {
				holder = s
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	c := newRawClient(t, holder.Addr().String())
	ask := func(tid string, seq int64, withSeq bool) map[string]any {
		a := map[string]any{"id": id20, "target": string(target[:])}
		if withSeq {
			a["seq"] = seq
		}
		c.query(map[string]any{"t": tid, "y": "q", "q": "get", "a": a})
		m := c.answer(tid, 2*time.Second)
		require.NotNil(t, m, "no answer to %s", tid)
		r, ok := m["r"].(map[string]any)
		require.True(t, ok, "%v", m)
		return r
	}
	for _, tc := range []struct {
		name    string
		seq     int64
		withSeq bool
		wantV   bool
	}{
		{"no seq", 0, false, true},
		{"an older seq", res.Seq - 1, true, true},
		{"the current seq", res.Seq, true, false},
		{"a newer seq", res.Seq + 5, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ask(fmt.Sprintf("s%d", tc.seq+int64(len(tc.name))), tc.seq, tc.withSeq)
			_, hasV := r["v"]
			assert.Equal(t, tc.wantV, hasV, "v in the answer")
			assert.Equal(t, res.Seq, r["seq"], "the answer says the stored seq")
			assert.NotEmpty(t, r["token"])
		})
	}
}
