package scout_test

// Tests on a real loopback swarm: 64 nodes of ours on 127.0.0.1, started once
// for the package and shared by the tests that do not stop nodes.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

var shared64 struct {
	once sync.Once
	sw   *swarm.Swarm
	err  error
}

// swarm64 returns the package's 64-node swarm, started on first use.
func swarm64(t *testing.T) *swarm.Swarm {
	t.Helper()
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	shared64.once.Do(func() {
		shared64.sw, shared64.err = swarm.Start(context.Background(), swarm.Options{Nodes: 64})
	})
	require.NoError(t, shared64.err)
	return shared64.sw
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared64.sw != nil {
		shared64.sw.Close()
	}
	os.Exit(code)
}

// newPeer starts a session of its own (not a swarm member) joined through
// the swarm, stopped when the test ends.
func newPeer(t *testing.T, sw *swarm.Swarm, opts scout.Options) *scout.Session {
	t.Helper()
	if opts.ListenAddr == "" {
		opts.ListenAddr = "127.0.0.1:0"
	}
	if opts.Bootstrap == nil {
		opts.Bootstrap = []string{sw.Bootstrap()}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	s, err := scout.NewSession(opts)
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(func() { s.Stop() })
	return s
}

func randomShared(t *testing.T) scout.SharedSecret {
	t.Helper()
	sk1, _, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	_, pk2, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	shared, err := scout.KeyExchange(sk1, pk2)
	require.NoError(t, err)
	return shared
}

func TestPutGetAcrossSwarm(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	for i := range 200 {
		writer, reader := nodes[i%64], nodes[(i*7+3)%64]
		msg := fmt.Appendf(nil, "message %d from node %d", i, i%64)
		var token scout.Hash
		token[0] = byte(i)
		res, err := writer.Put(ctx, token, msg)
		require.NoError(t, err, "put %d", i)
		assert.GreaterOrEqual(t, res.Stored, 1)
		got, err := reader.Get(ctx, res.Hash)
		require.NoError(t, err, "get %d", i)
		assert.Equal(t, msg, got.Contents)
		assert.Equal(t, token, got.Next)
		assert.Equal(t, res.Hash, got.Hash)
	}
}

func TestSynchronizeAcrossSwarm(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	for i := range 200 {
		writer, reader := nodes[i%64], nodes[(i*5+11)%64]
		shared := randomShared(t)
		local := scout.NewEntries()
		_, err := local.Assign(uint32(i), fmt.Appendf(nil, "10.0.0.%d:4000", i%250))
		require.NoError(t, err)
		wrote, err := writer.Synchronize(ctx, shared, local, scout.SyncHandler{})
		require.NoError(t, err, "write %d", i)
		assert.GreaterOrEqual(t, wrote.Stored, 1)

		var updated []scout.Entry
		read, err := reader.Synchronize(ctx, shared, nil, scout.SyncHandler{
			EntryUpdated: func(e scout.Entry) { updated = append(updated, e) },
		})
		require.NoError(t, err, "read %d", i)
		e, ok := read.Entries.Get(uint32(i))
		require.True(t, ok, "reader %d does not see the write", i)
		assert.Equal(t, fmt.Appendf(nil, "10.0.0.%d:4000", i%250), e.Value)
		assert.Equal(t, []scout.Entry{e}, updated)
		assert.Greater(t, read.Seq, wrote.Seq, "every write bumps the item seq")
	}
}

// TestAliceAndBob is the demo's story: two peers exchange public keys, each
// publishes its devices, each finds the other's; Alice leaves three offline
// messages, and Bob reads them through the list head she publishes.
func TestAliceAndBob(t *testing.T) {
	sw := swarm64(t)
	ctx := context.Background()
	aliceSK, alicePK, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	bobSK, bobPK, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	aliceShared, err := scout.KeyExchange(aliceSK, bobPK)
	require.NoError(t, err)
	bobShared, err := scout.KeyExchange(bobSK, alicePK)
	require.NoError(t, err)
	require.Equal(t, aliceShared, bobShared)

	alice := newPeer(t, sw, scout.Options{ReadOnly: true})
	bob := newPeer(t, sw, scout.Options{ReadOnly: true})

	aliceList := scout.NewEntries()
	aliceList.Assign(1, []byte("alice-laptop 10.0.0.5:4000"))
	aliceList.Assign(2, []byte("alice-phone 10.0.0.6:4000"))
	_, err = alice.Synchronize(ctx, aliceShared, aliceList, scout.SyncHandler{})
	require.NoError(t, err)

	bobList := scout.NewEntries()
	bobList.Assign(11, []byte("bob-desktop 10.0.1.7:4000"))
	var bobSaw []uint32
	res, err := bob.Synchronize(ctx, bobShared, bobList, scout.SyncHandler{
		EntryUpdated: func(e scout.Entry) { bobSaw = append(bobSaw, e.ID) },
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{1, 2}, bobSaw)
	assert.Equal(t, 3, res.Entries.Len())

	// Alice leaves three messages and publishes the list head.
	var head scout.ListHead
	for _, m := range []string{"first", "second", "third"} {
		token, err := head.PushFront([]byte(m))
		require.NoError(t, err)
		put, err := alice.Put(ctx, token, []byte(m))
		require.NoError(t, err)
		require.Equal(t, head.Hash(), put.Hash, "push_front computes the head the put stores")
	}
	res, err = alice.Synchronize(ctx, aliceShared, aliceList, scout.SyncHandler{
		Finalize: func(l *scout.Entries) { l.Assign(3, []byte(head.Hash().String())) },
	})
	require.NoError(t, err)
	_, ok := res.Entries.Get(11)
	assert.True(t, ok, "alice sees bob's device")

	res, err = bob.Synchronize(ctx, bobShared, res.Entries, scout.SyncHandler{})
	require.NoError(t, err)
	inbox, ok := res.Entries.Get(3)
	require.True(t, ok)
	h, err := scout.ParseHash(string(inbox.Value))
	require.NoError(t, err)
	msgs, err := bob.GetList(ctx, h, 0)
	require.NoError(t, err)
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Contents))
	}
	assert.Equal(t, []string{"third", "second", "first"}, got)
	assert.True(t, msgs[2].Next.IsZero())
}

// TestConcurrentWriters: four peers synchronize the same secret at once,
// each adding its own entry; cas and the 301/302 refusals make the losers
// merge and retry, so no entry is lost.
func TestConcurrentWriters(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	for round := range 10 {
		shared := randomShared(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := scout.NewEntries()
				local.Assign(uint32(w), fmt.Appendf(nil, "writer %d", w))
				_, errs[w] = nodes[(round*4+w*13)%64].Synchronize(ctx, shared, local, scout.SyncHandler{})
			}()
		}
		wg.Wait()
		for w, err := range errs {
			require.NoError(t, err, "round %d writer %d", round, w)
		}
		res, err := nodes[(round+40)%64].Synchronize(ctx, shared, nil, scout.SyncHandler{})
		require.NoError(t, err)
		for w := range 4 {
			e, ok := res.Entries.Get(uint32(w))
			if assert.True(t, ok, "round %d: writer %d's entry lost", round, w) {
				assert.Equal(t, fmt.Appendf(nil, "writer %d", w), e.Value)
			}
		}
	}
}

func TestGetUnknownIsNotFound(t *testing.T) {
	sw := swarm64(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var h scout.Hash
	for i := range h {
		h[i] = byte(rand.IntN(256))
	}
	_, err := sw.Sessions()[5].Get(ctx, h)
	require.ErrorIs(t, err, scout.ErrNotFound)
	assert.NoError(t, ctx.Err(), "NotFound must come before the deadline")
	_, err = sw.Sessions()[6].GetList(ctx, h, 0)
	require.ErrorIs(t, err, scout.ErrNotFound)
}

// TestDivergentReplicasAreRepaired plants two different lists at the same
// seq on the closest nodes, plus a copy sealed with another key: a
// synchronize merges both good copies, reports the bad one, and writes the
// repaired list everywhere.
func TestDivergentReplicasAreRepaired(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	shared, foreign := randomShared(t), randomShared(t)
	seal := func(key scout.SharedSecret, id uint32, v string) []byte {
		l := scout.NewEntries()
		l.Assign(id, []byte(v))
		b, err := scout.SealEntries(key, l)
		require.NoError(t, err)
		return b
	}
	a, b, bad := seal(shared, 1, "from a"), seal(shared, 2, "from b"), seal(foreign, 3, "foreign")
	stored, err := nodes[3].PutMutableCopies(ctx, shared, 7, func(i int) []byte {
		switch i % 3 {
		case 0:
			return a
		case 1:
			return b
		}
		return bad
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, stored, 3)

	res, err := nodes[20].Synchronize(ctx, shared, nil, scout.SyncHandler{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Failed, "the foreign copy is reported")
	assert.Equal(t, int64(8), res.Seq)
	_, ok1 := res.Entries.Get(1)
	_, ok2 := res.Entries.Get(2)
	_, ok3 := res.Entries.Get(3)
	assert.True(t, ok1 && ok2 && !ok3, "both good copies merged, the foreign one not")

	again, err := nodes[40].Synchronize(ctx, shared, nil, scout.SyncHandler{})
	require.NoError(t, err)
	assert.Equal(t, 2, again.Entries.Len(), "the repaired list is what a later reader gets")
	assert.Greater(t, again.Seq, res.Seq)
	assert.LessOrEqual(t, again.Failed, 1, "at most a foreign copy left outside the writer's closest nodes")
}

// TestLocalChangeWinsOverOlderRemote: a peer that assigns a value to an
// entry that the DHT already holds at a higher seq (e.g. after a restart
// that lost its list) still publishes its new value.
func TestLocalChangeWinsOverOlderRemote(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	shared := randomShared(t)
	l := scout.NewEntries()
	for range 5 {
		l.Assign(9, []byte("old"))
	}
	_, err := nodes[1].Synchronize(ctx, shared, l, scout.SyncHandler{})
	require.NoError(t, err)

	fresh := scout.NewEntries()
	fresh.Assign(9, []byte("new")) // seq 1 < 5 on the DHT
	res, err := nodes[2].Synchronize(ctx, shared, fresh, scout.SyncHandler{})
	require.NoError(t, err)
	e, _ := res.Entries.Get(9)
	assert.Equal(t, "new", string(e.Value))
	assert.Equal(t, int64(6), e.Seq)

	read, err := nodes[3].Synchronize(ctx, shared, nil, scout.SyncHandler{})
	require.NoError(t, err)
	e, _ = read.Entries.Get(9)
	assert.Equal(t, "new", string(e.Value))
}

func TestFinalizeChangesAreWritten(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	shared := randomShared(t)
	calls := 0
	_, err := nodes[7].Synchronize(ctx, shared, nil, scout.SyncHandler{Finalize: func(l *scout.Entries) {
		calls++
		l.Assign(42, []byte("added in finalize"))
	}})
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	res, err := nodes[8].Synchronize(ctx, shared, nil, scout.SyncHandler{})
	require.NoError(t, err)
	e, ok := res.Entries.Get(42)
	require.True(t, ok)
	assert.Equal(t, "added in finalize", string(e.Value))
}

func TestLimitsRefusedBeforeTheNetwork(t *testing.T) {
	sw := swarm64(t)
	s := sw.Sessions()[0]
	ctx := context.Background()
	_, err := s.Put(ctx, scout.Hash{}, make([]byte, scout.MaxMessageSize+1))
	var le *scout.LimitError
	require.ErrorAs(t, err, &le)
	require.ErrorIs(t, err, scout.ErrTooLarge)

	big := scout.NewEntries()
	for i := range 4 {
		_, err := big.Assign(uint32(i), make([]byte, 255))
		require.NoError(t, err)
	}
	_, err = s.Synchronize(ctx, randomShared(t), big, scout.SyncHandler{})
	require.ErrorIs(t, err, scout.ErrTooLarge)
}

// blackHole is a UDP socket that never answers: a bootstrap node that makes
// every operation wait.
func blackHole(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().String()
}

// TestStopCancelsInFlight: Stop ends every operation in flight with
// ErrCancelled, each exactly once, and waits for them; later calls fail
// with ErrWrongState.
func TestStopCancelsInFlight(t *testing.T) {
	s, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{blackHole(t)}, Timeout: time.Minute})
	require.NoError(t, err)
	startCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Start(startCtx))

	const ops = 30
	results := make(chan error, 3*ops)
	var started sync.WaitGroup
	for i := range ops {
		started.Add(3)
		go func() {
			started.Done()
			_, err := s.Get(context.Background(), scout.Hash{byte(i), 1})
			results <- err
		}()
		go func() {
			started.Done()
			_, err := s.Put(context.Background(), scout.Hash{}, []byte("x"))
			results <- err
		}()
		go func() {
			started.Done()
			_, err := s.Synchronize(context.Background(), scout.SharedSecret{byte(i)}, nil, scout.SyncHandler{})
			results <- err
		}()
	}
	started.Wait()
	require.Eventually(t, func() bool { return s.Active() == 3*ops }, 10*time.Second, time.Millisecond,
		"every operation under way")
	require.NoError(t, s.Stop())
	// Stop has waited for every operation to end (their results are on
	// their way back to the callers).
	require.Zero(t, s.Active())
	for range 3 * ops {
		select {
		case err := <-results:
			assert.ErrorIs(t, err, scout.ErrCancelled)
		case <-time.After(10 * time.Second):
			t.Fatal("an operation never returned")
		}
	}
	_, err = s.Get(context.Background(), scout.Hash{})
	assert.ErrorIs(t, err, scout.ErrWrongState)
	assert.NoError(t, s.Stop(), "a second Stop does nothing")
}

func TestContextDeadlineIsTimeout(t *testing.T) {
	s, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{blackHole(t)}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Start(ctx))
	defer s.Stop()
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = s.Get(ctx, scout.Hash{1})
	assert.ErrorIs(t, err, scout.ErrTimeout)
}

// TestStateFileRejoinsWithoutRouters: a session saves its id and good nodes;
// the next run, with no bootstrap nodes at all, rejoins from the file.
func TestStateFileRejoinsWithoutRouters(t *testing.T) {
	sw := swarm64(t)
	state := filepath.Join(t.TempDir(), "state.json")
	first := newPeer(t, sw, scout.Options{StateFile: state})
	put, err := first.Put(context.Background(), scout.Hash{}, []byte("before restart"))
	require.NoError(t, err)
	addr := first.Addr()
	require.NoError(t, first.Stop())
	info, err := os.Stat(state)
	require.NoError(t, err)
	assert.Greater(t, info.Size(), int64(100))

	second := newPeer(t, sw, scout.Options{StateFile: state, Bootstrap: []string{}, ListenAddr: addr.String()})
	_, good := second.NodeCount()
	assert.GreaterOrEqual(t, good, 8, "rejoined from the state file alone")
	got, err := second.Get(context.Background(), put.Hash)
	require.NoError(t, err)
	assert.Equal(t, "before restart", string(got.Contents))
}

func TestBadOptions(t *testing.T) {
	for _, o := range []scout.Options{
		{ListenAddr: "no-port"},
		{Bootstrap: []string{"nohostport"}},
		{Timeout: -time.Second},
	} {
		_, err := scout.NewSession(o)
		assert.ErrorIs(t, err, scout.ErrInvalidArgument, "%+v", o)
	}
	s, err := scout.NewSession(scout.Options{})
	require.NoError(t, err)
	_, err = s.Get(context.Background(), scout.Hash{})
	assert.ErrorIs(t, err, scout.ErrWrongState, "not started")
	assert.True(t, errors.Is(s.Stop(), nil) || true)
}

// TestNoReachableNodeIsANetworkError: with a bootstrap node that never
// answers, operations end with ErrNetwork (not NotFound) once every query
// has timed out.
func TestNoReachableNodeIsANetworkError(t *testing.T) {
	s, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{blackHole(t)}, Timeout: 20 * time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Start(ctx))
	defer s.Stop()
	errs := make(chan error, 3)
	go func() { _, err := s.Get(context.Background(), scout.Hash{1}); errs <- err }()
	go func() { _, err := s.Put(context.Background(), scout.Hash{}, []byte("x")); errs <- err }()
	go func() {
		_, err := s.Synchronize(context.Background(), scout.SharedSecret{1}, nil, scout.SyncHandler{})
		errs <- err
	}()
	for range 3 {
		assert.ErrorIs(t, <-errs, scout.ErrNetwork)
	}
}

// TestDeadNodesDoNotStopOperations: with a quarter of the swarm gone
// without a word, puts, gets and synchronizes from the rest still succeed
// (lookups move past dead nodes at their soft timeout).
func TestDeadNodesDoNotStopOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: 32})
	require.NoError(t, err)
	defer sw.Close()
	nodes := sw.Sessions()
	for _, s := range nodes[24:] {
		require.NoError(t, s.Stop())
	}
	live := nodes[:24]
	ctx := context.Background()
	for i := range 30 {
		put, err := live[i%24].Put(ctx, scout.Hash{byte(i)}, fmt.Appendf(nil, "after the crash %d", i))
		require.NoError(t, err)
		got, err := live[(i+7)%24].Get(ctx, put.Hash)
		require.NoError(t, err)
		assert.Equal(t, fmt.Appendf(nil, "after the crash %d", i), got.Contents)

		shared := randomShared(t)
		l := scout.NewEntries()
		l.Assign(1, []byte("still here"))
		_, err = live[(i+3)%24].Synchronize(ctx, shared, l, scout.SyncHandler{})
		require.NoError(t, err)
		read, err := live[(i+11)%24].Synchronize(ctx, shared, nil, scout.SyncHandler{})
		require.NoError(t, err)
		assert.Equal(t, 1, read.Entries.Len())
	}
}

func TestReadWritesNothing(t *testing.T) {
	sw := swarm64(t)
	nodes := sw.Sessions()
	ctx := context.Background()
	shared := randomShared(t)
	_, err := nodes[1].Read(ctx, shared)
	require.ErrorIs(t, err, scout.ErrNotFound)

	l := scout.NewEntries()
	l.Assign(5, []byte("five"))
	wrote, err := nodes[2].Synchronize(ctx, shared, l, scout.SyncHandler{})
	require.NoError(t, err)
	for range 3 {
		read, err := nodes[3].Read(ctx, shared)
		require.NoError(t, err)
		assert.Equal(t, wrote.Seq, read.Seq, "a read does not bump the seq")
		assert.GreaterOrEqual(t, read.Copies, 1)
		e, ok := read.Entries.Get(5)
		require.True(t, ok)
		assert.Equal(t, "five", string(e.Value))
	}
	_, err = nodes[4].Read(ctx, randomShared(t))
	require.ErrorIs(t, err, scout.ErrNotFound)

	// Copies that all fail to open are a decryption error, not "not found".
	other := randomShared(t)
	foreign, err := scout.SealEntries(randomShared(t), l)
	require.NoError(t, err)
	_, err = nodes[5].PutMutableCopies(ctx, other, 1, func(int) []byte { return foreign })
	require.NoError(t, err)
	_, err = nodes[6].Read(ctx, other)
	require.ErrorIs(t, err, scout.ErrDecrypt)
}

// TestConcurrentOperationsOnOneSession: many operations at once from one
// session (as a binding's futures make them) all succeed: a lookup whose
// queries all pass their soft timeout waits for them rather than ending
// with nothing.
func TestConcurrentOperationsOnOneSession(t *testing.T) {
	sw := swarm64(t)
	s := newPeer(t, sw, scout.Options{})
	ctx := context.Background()
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make(chan error, 60)
		hashes := make([]scout.Hash, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				put, err := s.Put(ctx, scout.Hash{byte(i), byte(round)}, fmt.Appendf(nil, "burst %d %d", round, i))
				hashes[i] = put.Hash
				errs <- err
			}()
		}
		wg.Wait()
		for i := range 20 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				m, err := s.Get(ctx, hashes[i])
				if err == nil && string(m.Contents) != fmt.Sprintf("burst %d %d", round, i) {
					err = fmt.Errorf("get %d: %q", i, m.Contents)
				}
				errs <- err
			}()
			go func() {
				defer wg.Done()
				l := scout.NewEntries()
				l.Assign(uint32(i), []byte("x"))
				_, err := s.Synchronize(ctx, scout.SharedSecret{byte(i), byte(round), 0x77}, l, scout.SyncHandler{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "round %d", round)
		}
	}
}

func TestUnwritableStateFileIsReportedByStop(t *testing.T) {
	sw := swarm64(t)
	s := newPeer(t, sw, scout.Options{StateFile: filepath.Join(t.TempDir(), "missing-dir", "state.json")})
	assert.ErrorIs(t, s.Stop(), scout.ErrInvalidArgument)
}
