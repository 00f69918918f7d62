package scout_test

// A live node under attack: every datagram class that crashed or bloated
// nodes built on other decoders, for every method; 3,000 method names;
// nesting of 20 KB and of what fits in a datagram; bursts of 2,000
// huge-prefix datagrams; a store flood of items that decode large; pings
// from 4,000 source addresses. Throughout, a prober pings the node at a
// steady rate; the node must keep answering it quickly, keep serving its
// own operations and others' items, and keep its heap and goroutines
// bounded.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
	"github.com/scout-dht/scout/internal/krpc/krpctest"
	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// The attack's sizes, from the issue, and its thresholds.
const (
	attackSources   = 4000 // distinct source addresses
	sourceRounds    = 5    // rounds of one ping from each source
	sourceChunk     = 500  // sources that ping at once
	burstSize       = 2000 // huge-prefix datagrams in one burst
	burstRounds     = 20   // bursts, back to back
	methodNameCount = 3000
	floodItems      = 3000 // more than attackLimits.MaxItems: eviction runs
	probeEvery      = time.Millisecond
	maxProbeP99     = 50 * time.Millisecond
	// raceSlowdown scales maxProbeP99 under the race detector, which slows
	// the node's work on each datagram 5-10 times: a ping queued behind a
	// 2,000-datagram burst waits that much longer (46 ms measured here
	// for a node that holds the burst, with the other packages' tests
	// running alongside). The attack itself is not scaled.
	raceSlowdown = 4
	heapSlack    = 16 << 20 // beyond the store's bound
	// burstBuffer is a socket receive buffer that holds the bursts here
	// (a 2,000-datagram burst takes some 2 MiB of kernel accounting).
	burstBuffer = 4 << 20
	answerWait  = 5 * time.Second
)

// attackLimits is the store bound of every node of the attack's swarm:
// small, so that the flood reaches it fast.
var attackLimits = scout.StoreLimits{MaxItems: 2000, MaxBytes: 4 << 20}

func TestNodeUnderAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	requireFileLimit(t, attackSources+512)
	ctx := context.Background()
	began := time.Now()

	sw, err := swarm.Start(ctx, swarm.Options{Nodes: 24, Store: attackLimits})
	require.NoError(t, err)
	defer sw.Close()
	other := sw.Sessions()[7]

	// The target is started here, not by the swarm, so that its logger
	// catches a panic the socket loop recovers.
	panics := &panicCatcher{}
	target, err := scout.NewSession(scout.Options{
		ListenAddr: "127.0.0.1:0", Bootstrap: []string{sw.Bootstrap()},
		Timeout: 20 * time.Second, Store: attackLimits, Logger: slog.New(panics),
	})
	require.NoError(t, err)
	require.NoError(t, target.Start(ctx))
	defer target.Stop()
	require.NoError(t, target.Refresh(ctx))
	to := target.Addr()
	t.Logf("swarm of 24 + target joined in %v", time.Since(began).Round(time.Millisecond))

	// Before the attack: the goroutines and the heap of the whole process
	// (the swarm runs in it).
	pr := newProber(t, to, 200_000)
	goroutines0 := runtime.NumGoroutine()
	heap0 := heapInUse()
	t.Logf("before: %d goroutines, heap in use %.1f MiB", goroutines0, mib(heap0))

	atk := newKRPCConn(t, netip.MustParseAddr("127.0.0.1"), to)
	pr.start()
	self := atk.ping(t) // the target's node id
	token := atk.token(t)

	t.Run("crash classes, every method", func(t *testing.T) {
		cases := crashClasses(token)
		for _, c := range cases {
			atk.check(t, c)
		}
		t.Logf("%d datagrams of the crash classes answered as specified", len(cases))
		// The decoder's shared seed corpus too: no answer may be malformed.
		for _, s := range krpctest.Seeds() {
			atk.send(t, s)
		}
		atk.sync(t)
		atk.forget()
	})

	t.Run("lenient input is refused and stores nothing", func(t *testing.T) {
		for _, c := range lenientPuts(t, token) {
			atk.check(t, c.probe)
			for i, where := range c.targets {
				kind := [...]string{"an immutable item", "a mutable item"}[i]
				assert.Nil(t, atk.get(t, where).v, "%s: stored as %s under %x", c.name, kind, where)
			}
		}
	})

	t.Run("hostile replies to the node's own queries", func(t *testing.T) {
		hostileReplies(t, to, self)
	})

	t.Run("3,000 method names", func(t *testing.T) {
		const batch = 50
		for i := 0; i < methodNameCount; i += batch {
			var ts []string
			for j := i; j < i+batch; j++ {
				tid := fmt.Sprintf("n%05d", j)
				name := fmt.Sprintf("method-%05d-", j) + strings.Repeat("x", 1300)
				atk.send(t, rawMsg(kv{"a", dict(kv{"id", bstr(id20)})}, kv{"q", bstr(name)}, kv{"t", bstr(tid)}, kv{"y", "1:q"}))
				ts = append(ts, tid)
			}
			for _, tid := range ts {
				a := atk.await(t, tid)
				require.Equal(t, krpc.KindError, a.y, "%s", tid)
				require.Equal(t, krpc.CodeMethodUnknown, a.code, "%s", tid)
			}
		}
		atk.forget()
	})

	var burstWindow window
	t.Run("bursts of 2,000 huge-prefix datagrams", func(t *testing.T) {
		// Two of the variants carry a t before the huge string and are
		// answered with 203; the others are dropped unanswered.
		variants := [][]byte{
			[]byte("d1:t134217727:"),
			[]byte("d134217727:"),
			[]byte("l4294967295:x"),
			[]byte("d1:v99999999999999999999999999:"),
			[]byte("d1:t2:hp1:y1:q1:q4:ping1:a134217727:"),
			[]byte("d1:t2:hp1:y1:q1:q3:put1:ad2:id20:" + id20 + "5:token8:" + string(token) + "1:v134217727:"),
		}
		burster := newKRPCConn(t, netip.MustParseAddr("127.0.0.2"), to)
		burstWindow.begin(to)
		own := ownOps(target, other, "during the bursts")
		for r := range burstRounds {
			for i := range burstSize {
				burster.send(t, variants[(r+i)%len(variants)])
			}
			burster.sync(t) // the burst is drained: the node has read it all
		}
		burstWindow.finish(to)
		require.NoError(t, <-own)
		for tid, a := range burster.drain() {
			require.Equal(t, "hp", tid)
			require.Equal(t, krpc.KindError, a.y)
			require.Equal(t, krpc.CodeProtocol, a.code)
		}
		burster.assertClean(t)
		burster.close()
		t.Logf("%d bursts of %d in %v; %s", burstRounds, burstSize, burstWindow.end.Sub(burstWindow.start).Round(time.Millisecond), burstWindow.dropped())
	})

	t.Run("store flood of items that decode large", func(t *testing.T) {
		items := floodValues(t, floodItems)
		own := ownOps(target, other, "during the store flood")
		const batch = 50
		for i := 0; i < len(items); i += batch {
			var ts []string
			for j := i; j < min(i+batch, len(items)); j++ {
				tid := fmt.Sprintf("f%05d", j)
				atk.send(t, items[j].put(tid, token))
				ts = append(ts, tid)
			}
			for _, tid := range ts {
				a := atk.await(t, tid)
				require.Equal(t, krpc.KindReply, a.y, "%s: %d %s", tid, a.code, a.msg)
			}
		}
		atk.forget()
		require.NoError(t, <-own)
		stored := target.StoredItems()
		t.Logf("flooded %d items of %d-%d bytes; the target holds %d", len(items), len(items[0].v), len(items[len(items)-1].v), stored)
		assert.LessOrEqual(t, stored, attackLimits.MaxItems)
		// The latest item is served; the oldest has been evicted.
		last := items[len(items)-1]
		assert.Equal(t, last.v, atk.get(t, last.target()).v)
		assert.Nil(t, atk.get(t, items[0].target()).v)
	})

	var floodWindow window
	t.Run("pings from 4,000 source addresses", func(t *testing.T) {
		srcs := openSources(t, attackSources)
		defer closeSources(srcs)
		var peak atomic.Int64
		stopSampling := sampleGoroutines(&peak)
		floodWindow.begin(to)
		own := ownOps(target, other, "during the source flood")
		// The sources ping flat out, sourceChunk at a time: the node
		// queues a chunk, not 4,000 pings, ahead of the prober's.
		for r := range sourceRounds {
			for i, s := range srcs {
				s.sendPing(t, to, r)
				if (i+1)%sourceChunk == 0 || i == len(srcs)-1 {
					// Once a ping sent after theirs is answered, every
					// answer to the sources is in their sockets.
					atk.sync(t)
				}
			}
		}
		floodWindow.finish(to)
		answered, odd := collectSourceAnswers(srcs)
		require.NoError(t, <-own)
		stopSampling()
		sent := len(srcs) * sourceRounds
		t.Logf("%d sources × %d pings in %v: %d answered; %s; goroutines peaked at %d (baseline %d)",
			len(srcs), sourceRounds, floodWindow.end.Sub(floodWindow.start).Round(time.Millisecond),
			answered, floodWindow.dropped(), peak.Load(), goroutines0)
		assert.Empty(t, odd, "what the sources got besides replies and the node's checking pings")
		checkLoss(t, "the sources' pings", sent-answered, floodWindow)
		assert.Less(t, int(peak.Load()), goroutines0+200, "a goroutine per source?")
	})

	t.Run("after the attack", func(t *testing.T) {
		require.NoError(t, <-ownOps(target, other, "after the attack"))
		// A stranger's put: a token from a get, the put, a get returns it.
		v := []byte(bstr("stored after the attack"))
		a := atk.ask(t, rawMsg(kv{"a", dict(kv{"id", bstr(id20)}, kv{"token", bstr(string(token))}, kv{"v", string(v)})},
			kv{"q", "3:put"}, kv{"t", "2:pa"}, kv{"y", "1:q"}), "pa")
		require.Equal(t, krpc.KindReply, a.y, "%d %s", a.code, a.msg)
		assert.Equal(t, v, atk.get(t, sha1.Sum(v)).v)
		assert.Equal(t, 0, panics.count(), "panics recovered: %v", panics.first())
		atk.assertClean(t)
	})

	// Figures.
	pr.stop()
	p99Limit := maxProbeP99
	if raceEnabled() {
		p99Limit *= raceSlowdown
	}
	for _, w := range []struct {
		name string
		w    window
	}{{"bursts", burstWindow}, {"source flood", floodWindow}, {"whole attack", window{}}} {
		s := pr.stats(w.w)
		t.Logf("probe pings during %s: %d sent, %d lost, p50 %v, p99 %v (limit %v), max %v",
			w.name, s.sent, s.lost, s.p50, s.p99, p99Limit, s.max)
		if w.w != (window{}) {
			assert.Greater(t, s.sent, 20, "too few probe pings during %s to judge", w.name)
			assert.Less(t, s.p99, p99Limit, "probe p99 during %s", w.name)
			checkLoss(t, "probe pings during "+w.name, s.lost, w.w)
		}
	}
	atk.close()
	pr.close()

	waitFor(t, 10*time.Second, "goroutines back to their baseline", func() bool {
		return runtime.NumGoroutine() <= goroutines0+2
	})
	heap1 := heapInUse()
	growth := int64(heap1) - int64(heap0)
	t.Logf("after: %d goroutines (baseline %d), heap in use %.1f MiB: grew %.1f MiB (bound %.0f MiB + %.0f MiB); whole test %v",
		runtime.NumGoroutine(), goroutines0, mib(heap1), float64(growth)/(1<<20),
		mib(uint64(attackLimits.MaxBytes)), mib(heapSlack), time.Since(began).Round(time.Millisecond))
	assert.Less(t, growth, int64(attackLimits.MaxBytes+heapSlack), "heap growth")
}

// ---- Datagrams ----

// kv is one key of a bencoded dictionary and its value, already encoded.
type kv struct{ k, v string }

func bstr(s string) string { return strconv.Itoa(len(s)) + ":" + s }

func dict(kvs ...kv) string {
	var b strings.Builder
	b.WriteByte('d')
	for _, p := range kvs {
		b.WriteString(bstr(p.k))
		b.WriteString(p.v)
	}
	b.WriteByte('e')
	return b.String()
}

func rawMsg(kvs ...kv) []byte { return []byte(dict(kvs...)) }

// with returns kvs with key k set to v (replaced, or added in key order).
func with(kvs []kv, k, v string) []kv {
	out := slices.Clone(kvs)
	if i := slices.IndexFunc(out, func(p kv) bool { return p.k == k }); i >= 0 {
		out[i].v = v
		return out
	}
	out = append(out, kv{k, v})
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	return out
}

func without(kvs []kv, k string) []kv {
	return slices.DeleteFunc(slices.Clone(kvs), func(p kv) bool { return p.k == k })
}

var target20 = strings.Repeat("\x42", 20)

// methodArgs are a well-formed query's arguments for method, in key
// order; a put's value is unique to tid.
func methodArgs(method, tid string, token []byte) []kv {
	a := []kv{{"id", bstr(id20)}}
	switch method {
	case "find_node", "get":
		a = with(a, "target", bstr(target20))
	case "get_peers":
		a = with(a, "info_hash", bstr(target20))
	case "announce_peer":
		a = with(with(with(a, "info_hash", bstr(target20)), "port", "i6881e"), "token", bstr(string(token)))
	case "put":
		a = with(with(a, "token", bstr(string(token))), "v", bstr("value of "+tid))
	}
	return a
}

var methods = []string{"ping", "find_node", "get_peers", "announce_peer", "get", "put"}

// want is what a probe must get back: a reply, a KRPC error with a code,
// or nothing.
type want struct {
	y    krpc.Kind // 0: nothing
	code int
}

var (
	wantReply   = want{y: krpc.KindReply}
	wantNothing = want{}
)

func wantError(code int) want { return want{krpc.KindError, code} }

func (w want) String() string {
	switch w.y {
	case 0:
		return "nothing"
	case krpc.KindReply:
		return "a reply"
	}
	return fmt.Sprintf("error %d", w.code)
}

type probe struct {
	name string
	tid  string // the t whose answer is checked
	b    []byte
	want want
}

// crashClasses are the datagrams of the classes, each with what
// the node must answer.
func crashClasses(token []byte) []probe {
	nest := func(depth int) string { return strings.Repeat("l", depth) + strings.Repeat("e", depth) }
	var out []probe
	n := 0
	next := func() string { n++; return fmt.Sprintf("c%03d", n) }
	add := func(name, tid string, b []byte, w want) { out = append(out, probe{name, tid, b, w}) }
	q := func(method, tid string, a string, extra ...kv) []byte {
		kvs := append([]kv{{"a", a}}, extra...)
		kvs = append(kvs, kv{"q", bstr(method)}, kv{"t", bstr(tid)}, kv{"y", "1:q"})
		return rawMsg(kvs...)
	}
	// tFirst writes t, y and q before a, so that the node has read them
	// when a breaks the bencoding: it answers 203. (In key order, a comes
	// first and such a fault leaves nothing to answer to.)
	tFirst := func(method, tid string, a string) []byte {
		return []byte("d1:q" + bstr(method) + "1:t" + bstr(tid) + "1:y1:q1:a" + a + "e")
	}

	// Messages that are not queries, or carry no usable t: nothing.
	for _, s := range []string{
		"d2:ip0:e", "d2:ip1:xe", "d1:rd6:valuesl0:eee", "d1:rd6:valuesl1:xeee",
		"d1:t134217727:", "d1:ti99999999999999999999e",
		nest(700), nest(10_000), "d1:x" + strings.Repeat("d1:x", 300) + "i1e" + strings.Repeat("e", 301),
		"d2:ip0:1:rd2:id20:" + id20 + "6:valuesl0:ee1:t2:xx1:y1:re", // an unsolicited reply
		"d1:rd2:id20:" + id20 + "6:valuesl1:xee1:t2:xx1:y1:re",      // an unsolicited reply
		"d1:eli201e4:oopse2:ip0:1:t2:xx1:y1:ee",                     // an unsolicited error
		"d1:ad2:id20:" + id20 + "e1:q4:ping1:t0:1:y1:qe",            // empty t
		"d1:ad2:id20:" + id20 + "e1:q4:ping1:t33:" + strings.Repeat("t", 33) + "1:y1:qe",
		"d1:ad2:id20:" + id20 + "e1:q4:ping1:t2:xx1:y1:xe", // y is no kind
		"d1:ad2:id20:" + id20 + "e1:q4:ping1:t2:xxe",       // no y
	} {
		add(fmt.Sprintf("%.40q", s), "xx", []byte(s), wantNothing)
	}

	// Queries with a t that break bencoding or the protocol: 203.
	tid := next()
	add("y=q and a t only", tid, []byte("d1:t"+bstr(tid)+"1:y1:qe"), wantError(krpc.CodeProtocol))
	tid = next()
	add("a key twice", tid, []byte("d1:t"+bstr(tid)+"1:y1:q1:y1:q1:q4:pinge"), wantError(krpc.CodeProtocol))
	tid = next()
	add("bytes after the message", tid, append(q("ping", tid, dict(kv{"id", bstr(id20)})), 'x'), wantError(krpc.CodeProtocol))
	tid = next()
	add("unterminated", tid, []byte("d1:ad2:id20:"+id20+"e1:q4:ping1:t"+bstr(tid)+"1:y1:q"), wantError(krpc.CodeProtocol))
	tid = next()
	add("no a, unknown method", tid, []byte("d1:q1:x1:t"+bstr(tid)+"1:y1:qe"), wantError(krpc.CodeProtocol))

	for _, m := range methods {
		ok := func(tid string) []kv { return methodArgs(m, tid, token) }
		tid := next()
		add(m+" well-formed", tid, q(m, tid, dict(ok(tid)...)), wantReply)
		for _, ip := range []string{"", "x"} {
			tid = next()
			add(fmt.Sprintf("%s with an ip of %d bytes", m, len(ip)), tid, q(m, tid, dict(ok(tid)...), kv{"ip", bstr(ip)}), wantError(krpc.CodeProtocol))
			// "values" in a query's arguments is an unknown key: skipped.
			tid = next()
			add(fmt.Sprintf("%s with a values element of %d bytes", m, len(ip)), tid, q(m, tid, dict(with(ok(tid), "values", "l"+bstr(ip)+"e")...)), wantReply)
		}
		tid = next()
		add(m+" without a", tid, []byte("d1:q"+bstr(m)+"1:t"+bstr(tid)+"1:y1:qe"), wantError(krpc.CodeProtocol))
		tid = next()
		add(m+" with an a that is a string", tid, q(m, tid, "0:"), wantError(krpc.CodeProtocol))
		tid = next()
		add(m+" with a huge-prefix a", tid, tFirst(m, tid, "134217727:"), wantError(krpc.CodeProtocol))
		tid = next()
		add(m+" with a huge-prefix id", tid, tFirst(m, tid, "d2:id134217727:"), wantError(krpc.CodeProtocol))
		// Faults of bencoding inside a: in key order nothing is answered,
		// with t first 203.
		for _, f := range []struct{ name, v string }{
			{"a huge integer", "i99999999999999999999e"},
			{"a huge string prefix", "134217727:"},
			{"nesting one deeper than the limit", nest(krpc.MaxDepth - 1)},
			{"nesting 600 deep (fits a datagram)", nest(600)},
		} {
			tid = next()
			add(m+" with "+f.name, tid, q(m, tid, dict(with(ok(tid), "x", f.v)...)), wantNothing)
			tid = next()
			add(m+" with "+f.name+", t first", tid, tFirst(m, tid, dict(with(ok(tid), "x", f.v)...)), wantError(krpc.CodeProtocol))
		}
		for _, size := range []int{19, 21} {
			tid = next()
			add(fmt.Sprintf("%s with an id of %d bytes", m, size), tid, q(m, tid, dict(with(ok(tid), "id", bstr(strings.Repeat("i", size)))...)), wantError(krpc.CodeProtocol))
		}
		for _, key := range []string{"target", "info_hash"} {
			if slices.ContainsFunc(ok(""), func(p kv) bool { return p.k == key }) {
				tid = next()
				add(fmt.Sprintf("%s with a %s of 21 bytes", m, key), tid, q(m, tid, dict(with(ok(tid), key, bstr(strings.Repeat("h", 21)))...)), wantError(krpc.CodeProtocol))
			}
		}
		// Nesting to the limit (a is at depth 2, so 14 lists reach
		// MaxDepth) is fine; 20 KB is dropped unread, whatever it holds.
		tid = next()
		add(m+" nested to the limit", tid, q(m, tid, dict(with(ok(tid), "x", nest(krpc.MaxDepth-2))...)), wantReply)
		tid = next()
		add(m+" with 20 KB of nesting, t first", tid, tFirst(m, tid, dict(with(ok(tid), "x", nest(10_000))...)), wantNothing)
	}
	return out
}

// lenientPut is a put that a lenient decoder or store would take: it must
// be refused, and nothing stored under targets.
type lenientPut struct {
	probe
	targets []krpc.ID
}

func lenientPuts(t *testing.T, token []byte) []lenientPut {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var zeroK [32]byte
	var out []lenientPut
	n := 0
	add := func(name string, w want, a []kv, k []byte, salt string) {
		n++
		tid := fmt.Sprintf("l%03d", n)
		v := bstr(fmt.Sprintf("lenient %d", n))
		if !slices.ContainsFunc(a, func(p kv) bool { return p.k == "token" }) {
			a = with(a, "token", bstr(string(token)))
		}
		a = with(with(a, "id", bstr(id20)), "v", v)
		if salt != "" {
			a = with(a, "salt", bstr(salt))
		}
		lp := lenientPut{probe: probe{name, tid, rawMsg(kv{"a", dict(a...)}, kv{"q", "3:put"}, kv{"t", bstr(tid)}, kv{"y", "1:q"}), w},
			targets: []krpc.ID{sha1.Sum([]byte(v))}}
		if len(k) == 32 {
			lp.targets = append(lp.targets, sha1.Sum(append(slices.Clone(k), salt...)))
		}
		out = append(out, lp)
	}
	sig := func(b []byte) string { return bstr(string(b)) }
	signed := func(seq int64, salt string) []kv {
		v := bstr(fmt.Sprintf("lenient %d", n+1))
		return []kv{{"k", bstr(string(pub))}, {"seq", fmt.Sprintf("i%de", seq)}, {"sig", sig(ed25519.Sign(priv, signedBuffer(salt, seq, v)))}}
	}
	add("k of 33 bytes", wantError(krpc.CodeProtocol), []kv{{"k", bstr(strings.Repeat("k", 33))}, {"seq", "i1e"}, {"sig", sig(make([]byte, 64))}}, nil, "")
	add("k of 64 bytes", wantError(krpc.CodeProtocol), []kv{{"k", bstr(strings.Repeat("k", 64))}, {"seq", "i1e"}, {"sig", sig(make([]byte, 64))}}, nil, "")
	add("sig of 65 bytes", wantError(krpc.CodeProtocol), []kv{{"k", bstr(string(pub))}, {"seq", "i1e"}, {"sig", sig(make([]byte, 65))}}, pub, "")
	add("k and sig without seq", wantError(krpc.CodeProtocol), without(signed(1, ""), "seq"), pub, "")
	add("k without sig", wantError(krpc.CodeProtocol), without(signed(1, ""), "sig"), pub, "")
	add("k of 32 zero bytes, no sig", wantError(krpc.CodeProtocol), []kv{{"k", bstr(string(zeroK[:]))}, {"seq", "i1e"}}, zeroK[:], "")
	// The all-zero key encodes a point of order 4: under Go's cofactorless
	// verification a zero signature passes for about a quarter of all
	// messages, whoever writes them. A node must not let anyone write under
	// that key, nor take it for "no key" (an immutable item).
	for _, verifies := range []bool{false, true} {
		seq := zeroKeySeq(t, fmt.Sprintf("lenient %d", n+1), verifies)
		add(fmt.Sprintf("k of 32 zero bytes, a zero sig (seq %d: ed25519.Verify says %v)", seq, verifies), wantError(krpc.CodeBadSignature),
			[]kv{{"k", bstr(string(zeroK[:]))}, {"seq", fmt.Sprintf("i%de", seq)}, {"sig", sig(make([]byte, 64))}}, zeroK[:], "")
	}
	bad := signed(1, "")
	bad = with(bad, "sig", sig(make([]byte, 64)))
	add("a bad signature", wantError(krpc.CodeBadSignature), bad, pub, "")
	add("a salt of 65 bytes", wantError(krpc.CodeSaltTooBig), signed(1, strings.Repeat("s", 65)), pub, strings.Repeat("s", 65))
	// A fault of bencoding inside a, which comes before t: no answer.
	add("a seq of 2^63", wantNothing, with(signed(1, ""), "seq", "i9223372036854775808e"), pub, "")
	add("a forged token", wantError(krpc.CodeProtocol), []kv{{"token", bstr("forged!!")}}, nil, "")
	// Values over BEP 44's 1000 bytes, or nested deeper than a put may
	// carry.
	for _, c := range []struct {
		name string
		v    string
		w    want
	}{
		{"a value of 1001 bytes", bstr(strings.Repeat("v", 997)), wantError(krpc.CodeValueTooBig)},
		{"a value of 1001 bytes that decodes large", "l" + strings.Repeat("de", 498) + "i1ee", wantError(krpc.CodeValueTooBig)},
		// In a put, v is at depth 3: 15 lists pass krpc.MaxDepth, which
		// breaks the bencoding inside a, before t: no answer.
		{"a value nested past the limit", strings.Repeat("l", 15) + strings.Repeat("e", 15), wantNothing},
	} {
		n++
		tid := fmt.Sprintf("l%03d", n)
		a := dict(kv{"id", bstr(id20)}, kv{"token", bstr(string(token))}, kv{"v", c.v})
		out = append(out, lenientPut{probe: probe{c.name, tid, rawMsg(kv{"a", a}, kv{"q", "3:put"}, kv{"t", bstr(tid)}, kv{"y", "1:q"}), c.w},
			targets: []krpc.ID{sha1.Sum([]byte(c.v))}})
	}
	return out
}

// signedBuffer is what BEP 44 signs, written out independently of the code
// under test.
func signedBuffer(salt string, seq int64, v string) []byte {
	var b string
	if salt != "" {
		b = "4:salt" + bstr(salt)
	}
	return []byte(b + fmt.Sprintf("3:seqi%de1:v", seq) + v)
}

// zeroKeySeq finds a seq under which a zero signature of the value v
// verifies, or does not, for the all-zero key.
func zeroKeySeq(t *testing.T, v string, verifies bool) int64 {
	var zeroK [32]byte
	for seq := int64(1); seq < 1000; seq++ {
		if ed25519.Verify(zeroK[:], signedBuffer("", seq, bstr(v)), make([]byte, 64)) == verifies {
			return seq
		}
	}
	t.Fatalf("no seq makes ed25519.Verify say %v", verifies)
	return 0
}

// floodItem is one item of the store flood.
type floodItem struct {
	v    []byte // bencoded
	k    ed25519.PublicKey
	priv ed25519.PrivateKey
	salt string
	seq  int64
}

func (it *floodItem) target() krpc.ID {
	if it.k == nil {
		return sha1.Sum(it.v)
	}
	return sha1.Sum(append(slices.Clone([]byte(it.k)), it.salt...))
}

func (it *floodItem) put(tid string, token []byte) []byte {
	a := []kv{{"id", bstr(id20)}, {"token", bstr(string(token))}, {"v", string(it.v)}}
	if it.k != nil {
		sig := ed25519.Sign(it.priv, signedBuffer(it.salt, it.seq, string(it.v)))
		a = with(with(with(with(a, "k", bstr(string(it.k))), "salt", bstr(it.salt)), "seq", fmt.Sprintf("i%de", it.seq)), "sig", bstr(string(sig)))
	}
	return rawMsg(kv{"a", dict(a...)}, kv{"q", "3:put"}, kv{"t", bstr(tid)}, kv{"y", "1:q"})
}

// floodValues makes n distinct items of up to 1000 bytes whose values
// decode into as many objects as bencoding allows: lists of empty dicts,
// lists of empty lists, lists nested as deep as a put may carry them. One
// in three is mutable, with a 64-byte salt.
func floodValues(t *testing.T, n int) []floodItem {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	fill := func(head, unit, tail string) []byte {
		k := (krpc.MaxValue - len(head) - len(tail)) / len(unit)
		return []byte(head + strings.Repeat(unit, k) + tail)
	}
	out := make([]floodItem, n)
	for i := range out {
		tag := fmt.Sprintf("i%de", i)
		var v []byte
		switch i % 3 {
		case 0:
			v = fill("l"+tag, "de", "e")
		case 1:
			v = fill("l"+tag, "le", "e")
		default:
			// Lists 13 deep holding empty lists: 14 levels, the deepest a
			// put's v may be (the query's dict and its a take two of
			// krpc.MaxDepth).
			depth := krpc.MaxDepth - 3
			v = fill(strings.Repeat("l", depth)+tag, "le", strings.Repeat("e", depth))
		}
		require.True(t, krpc.Valid(v), "%d", i)
		require.LessOrEqual(t, len(v), krpc.MaxValue)
		out[i] = floodItem{v: v}
		if i%3 == 2 {
			out[i].k, out[i].priv, out[i].seq = pub, priv, int64(i)
			out[i].salt = fmt.Sprintf("%064d", i)
		}
	}
	return out
}

// ---- A KRPC client on a socket of its own ----

// answer is what the node sent back to one transaction.
type answer struct {
	y     krpc.Kind
	code  int
	msg   string
	id    krpc.ID
	token []byte
	v     []byte
	nodes []byte
}

// krpcConn talks to one node: it sends datagrams and collects the answers
// by transaction id. It answers the node's own queries (the pings with
// which the node checks a new contact) as a well-behaved node would, so
// that it does not hold one of the node's verification slots.
type krpcConn struct {
	conn *net.UDPConn
	to   netip.AddrPort
	id   string

	mu      sync.Mutex
	got     map[string]answer
	bad     []string // datagrams from the node that do not decode
	arrived chan struct{}
	marks   int
	done    chan struct{}
}

func newKRPCConn(t *testing.T, ip netip.Addr, to netip.AddrPort) *krpcConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	require.NoError(t, err)
	c := &krpcConn{conn: conn, to: to, id: id20, got: make(map[string]answer),
		arrived: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *krpcConn) close() {
	c.conn.Close()
	<-c.done
}

func (c *krpcConn) read() {
	defer close(c.done)
	buf := make([]byte, 1<<16)
	var m krpc.Msg
	for {
		size, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if err := krpc.Decode(buf[:size], &m); err != nil {
			c.mu.Lock()
			c.bad = append(c.bad, fmt.Sprintf("%q from %v: %v", buf[:size], from, err))
			c.mu.Unlock()
			continue
		}
		if m.Y == krpc.KindQuery {
			reply := krpc.AppendReply(nil, m.T, &krpc.Return{ID: krpc.ID([]byte(c.id)), HasID: true}, from)
			c.conn.WriteToUDPAddrPort(reply, from)
			continue
		}
		a := answer{y: m.Y, code: m.E.Code, msg: m.E.Msg, id: m.R.ID,
			token: slices.Clone(m.R.Token), v: slices.Clone(m.R.V), nodes: slices.Clone(m.R.Nodes)}
		c.mu.Lock()
		c.got[string(m.T)] = a
		c.mu.Unlock()
		select {
		case c.arrived <- struct{}{}:
		default:
		}
	}
}

func (c *krpcConn) send(t *testing.T, b []byte) {
	_, err := c.conn.WriteToUDPAddrPort(b, c.to)
	require.NoError(t, err)
}

// await waits for the answer to tid and takes it.
func (c *krpcConn) await(t *testing.T, tid string) answer {
	t.Helper()
	a, ok := c.wait(tid, answerWait)
	require.True(t, ok, "no answer to %q within %v", tid, answerWait)
	return a
}

func (c *krpcConn) wait(tid string, d time.Duration) (answer, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		a, ok := c.got[tid]
		delete(c.got, tid)
		c.mu.Unlock()
		if ok {
			return a, true
		}
		select {
		case <-c.arrived:
		case <-deadline.C:
			return answer{}, false
		}
	}
}

func (c *krpcConn) ask(t *testing.T, b []byte, tid string) answer {
	t.Helper()
	c.send(t, b)
	return c.await(t, tid)
}

// sync pings the node from this socket and waits for the answer. The
// node reads its socket in order and writes each answer before reading
// the next datagram, so once the ping is answered every datagram sent
// before it has been handled and its answer, if any, has arrived. A ping
// the kernel dropped (a full socket buffer) is sent again.
func (c *krpcConn) sync(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(answerWait)
	for time.Now().Before(deadline) {
		c.marks++
		tid := fmt.Sprintf("sync%d", c.marks)
		c.send(t, rawMsg(kv{"a", dict(kv{"id", bstr(c.id)})}, kv{"q", "4:ping"}, kv{"t", bstr(tid)}, kv{"y", "1:q"}))
		if a, ok := c.wait(tid, 200*time.Millisecond); ok {
			require.Equal(t, krpc.KindReply, a.y)
			return
		}
	}
	t.Fatalf("the node stopped answering pings")
}

// ping returns the node's id.
func (c *krpcConn) ping(t *testing.T) krpc.ID {
	a := c.ask(t, rawMsg(kv{"a", dict(kv{"id", bstr(c.id)})}, kv{"q", "4:ping"}, kv{"t", "2:p0"}, kv{"y", "1:q"}), "p0")
	require.Equal(t, krpc.KindReply, a.y)
	return a.id
}

// get asks the node for target and returns its answer.
func (c *krpcConn) get(t *testing.T, target krpc.ID) answer {
	t.Helper()
	c.marks++
	tid := fmt.Sprintf("g%d", c.marks)
	a := c.ask(t, rawMsg(kv{"a", dict(kv{"id", bstr(c.id)}, kv{"target", bstr(string(target[:]))})},
		kv{"q", "3:get"}, kv{"t", bstr(tid)}, kv{"y", "1:q"}), tid)
	require.Equal(t, krpc.KindReply, a.y, "%d %s", a.code, a.msg)
	return a
}

// token is the write token the node gives this socket's address.
func (c *krpcConn) token(t *testing.T) []byte {
	tok := c.get(t, krpc.ID([]byte(target20))).token
	require.NotEmpty(t, tok)
	return tok
}

// check sends p and checks the node answers it as p wants; for a probe
// that must get nothing, sync proves nothing came.
func (c *krpcConn) check(t *testing.T, p probe) {
	t.Helper()
	c.send(t, p.b)
	c.sync(t)
	c.mu.Lock()
	a, ok := c.got[p.tid]
	delete(c.got, p.tid)
	c.mu.Unlock()
	var got want
	if ok {
		got = want{y: a.y}
		if a.y == krpc.KindError {
			got.code = a.code
		}
	}
	assert.Equal(t, p.want, got, "%s: got %v (%s), want %v; datagram %.120q", p.name, got, a.msg, p.want, p.b)
}

// drain takes every answer collected.
func (c *krpcConn) drain() map[string]answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = make(map[string]answer)
	return got
}

func (c *krpcConn) forget() { c.drain() }

// assertClean checks that everything the node sent decoded.
func (c *krpcConn) assertClean(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Empty(t, c.bad, "the node sent datagrams that do not decode")
}

// ---- Hostile replies to the node's own queries ----

// hostileReplies gets the node to ping sockets of ours (the check of a
// new contact) and answers with replies of the crash classes; a well-formed
// reply is the control. The node must enter the control in its routing
// table and none of the others, and keep answering.
func hostileReplies(t *testing.T, to netip.AddrPort, self krpc.ID) {
	cases := []struct {
		name  string
		reply func(tid, id string) string
		ok    bool
	}{
		{"well-formed, with values", func(tid, id string) string {
			return "d1:rd2:id20:" + id + "6:valuesl6:\x7f\x00\x00\x01\x1a\xe1ee1:t" + bstr(tid) + "1:y1:re"
		}, true},
		{"ip of 0 bytes", func(tid, id string) string { return "d2:ip0:1:rd2:id20:" + id + "e1:t" + bstr(tid) + "1:y1:re" }, false},
		{"ip of 1 byte", func(tid, id string) string { return "d2:ip1:x1:rd2:id20:" + id + "e1:t" + bstr(tid) + "1:y1:re" }, false},
		{"values element of 0 bytes", func(tid, id string) string {
			return "d1:rd2:id20:" + id + "6:valuesl0:ee1:t" + bstr(tid) + "1:y1:re"
		}, false},
		{"values element of 1 byte", func(tid, id string) string {
			return "d1:rd2:id20:" + id + "6:valuesl1:xee1:t" + bstr(tid) + "1:y1:re"
		}, false},
		{"id of 21 bytes", func(tid, id string) string { return "d1:rd2:id21:" + id + "xe1:t" + bstr(tid) + "1:y1:re" }, false},
		{"huge-prefix id", func(tid, id string) string { return "d1:t" + bstr(tid) + "1:y1:r1:rd2:id134217727:" }, false},
	}
	type peer struct {
		c      *krpcConn
		id     krpc.ID
		pinged chan string
	}
	peers := make([]*peer, len(cases))
	var wg sync.WaitGroup
	for i, cs := range cases {
		// An id next to the target's own: a bucket of its table with room.
		id := self
		id[19] ^= byte(i + 1)
		ip := netip.AddrFrom4([4]byte{127, 0, 2, byte(i + 1)})
		conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		require.NoError(t, err)
		p := &peer{id: id, pinged: make(chan string, 1), c: &krpcConn{conn: conn, to: to, id: string(id[:])}}
		peers[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<16)
			var m krpc.Msg
			for {
				size, from, err := conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				if krpc.Decode(buf[:size], &m) != nil || m.Y != krpc.KindQuery {
					continue
				}
				conn.WriteToUDPAddrPort([]byte(cs.reply(string(m.T), string(id[:]))), from)
				select {
				case p.pinged <- string(m.T):
				default:
				}
			}
		}()
	}
	defer func() {
		for _, p := range peers {
			p.c.conn.Close()
		}
		wg.Wait()
	}()
	// Each peer pings the node until the node pings it back (the node
	// checks at most a few new contacts at once and sheds the rest).
	for i, p := range peers {
		deadline := time.Now().Add(answerWait)
		for {
			p.c.send(t, rawMsg(kv{"a", dict(kv{"id", bstr(p.c.id)})}, kv{"q", "4:ping"}, kv{"t", "2:hp"}, kv{"y", "1:q"}))
			var got bool
			select {
			case <-p.pinged:
				got = true
			case <-time.After(200 * time.Millisecond):
			}
			if got {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s: the node never checked the contact", cases[i].name)
		}
	}
	// The node's table, seen through find_node: the control's address is
	// the closest to its own id; no hostile peer's is there at all.
	probe := newKRPCConn(t, netip.MustParseAddr("127.0.0.3"), to)
	defer probe.close()
	waitFor(t, answerWait, "the control in the node's table", func() bool {
		return slices.Contains(nodesIn(t, probe, peers[0].id), peers[0].c.conn.LocalAddr().(*net.UDPAddr).AddrPort())
	})
	for i, p := range peers[1:] {
		addrs := nodesIn(t, probe, p.id)
		assert.NotContains(t, addrs, p.c.conn.LocalAddr().(*net.UDPAddr).AddrPort(), "%s: entered the table", cases[i+1].name)
	}
	probe.sync(t)
}

// nodesIn asks the node for the nodes closest to id.
func nodesIn(t *testing.T, c *krpcConn, id krpc.ID) []netip.AddrPort {
	c.marks++
	tid := fmt.Sprintf("fn%d", c.marks)
	a := c.ask(t, rawMsg(kv{"a", dict(kv{"id", bstr(c.id)}, kv{"target", bstr(string(id[:]))})},
		kv{"q", "9:find_node"}, kv{"t", bstr(tid)}, kv{"y", "1:q"}), tid)
	require.Equal(t, krpc.KindReply, a.y)
	var out []netip.AddrPort
	krpc.EachNode(a.nodes, krpc.NodeInfo4Size, func(ni krpc.NodeInfo) { out = append(out, ni.Addr) })
	return out
}

// ---- 4,000 source addresses ----

type source struct {
	conn *net.UDPConn
	id   string
}

// openSources binds n sockets to distinct loopback addresses (Linux routes
// all of 127.0.0.0/8 to lo).
func openSources(t *testing.T, n int) []*source {
	out := make([]*source, 0, n)
	for i := range n {
		ip := netip.AddrFrom4([4]byte{127, 10 + byte(i/62500), byte(i / 250 % 250), byte(i%250 + 1)})
		conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			closeSources(out)
			require.NoError(t, err, "source %d of %d", i, n)
		}
		var id [20]byte
		rand.Read(id[:])
		out = append(out, &source{conn: conn, id: string(id[:])})
	}
	return out
}

func closeSources(srcs []*source) {
	for _, s := range srcs {
		s.conn.Close()
	}
}

func (s *source) sendPing(t *testing.T, to netip.AddrPort, round int) {
	_, err := s.conn.WriteToUDPAddrPort(rawMsg(kv{"a", dict(kv{"id", bstr(s.id)})}, kv{"q", "4:ping"},
		kv{"t", bstr(fmt.Sprintf("s%d", round))}, kv{"y", "1:q"}), to)
	require.NoError(t, err)
}

// collectSourceAnswers reads the answers already in each source's socket
// (without waiting: they are all there) and counts the replies; the
// node's own checking pings are skipped, and anything else is returned in
// odd.
func collectSourceAnswers(srcs []*source) (answered int, odd []string) {
	buf := make([]byte, 1500)
	var m krpc.Msg
	for _, s := range srcs {
		rc, err := s.conn.SyscallConn()
		if err != nil {
			odd = append(odd, err.Error())
			continue
		}
		rc.Read(func(fd uintptr) bool {
			for {
				size, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
				if err != nil {
					return true // nothing more queued
				}
				err = krpc.Decode(buf[:size], &m)
				switch {
				case err == nil && m.Y == krpc.KindQuery && m.Q == krpc.MethodPing:
				case err == nil && m.Y == krpc.KindReply && m.R.HasID:
					answered++
				default:
					odd = append(odd, fmt.Sprintf("source %v: %q (%v)", s.conn.LocalAddr(), buf[:size], err))
				}
			}
		})
	}
	return answered, odd
}

// sampleGoroutines records the most goroutines seen until stopped.
func sampleGoroutines(peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-ended }
}

// ---- The target's own operations ----

// ownOps runs, in the background, a Put from the target that another node
// then Gets, and a Put from another node that the target Gets.
func ownOps(target, other *scout.Session, when string) <-chan error {
	out := make(chan error, 1)
	go func() {
		out <- func() error {
			ctx := context.Background()
			for _, p := range []struct{ from, to *scout.Session }{{target, other}, {other, target}} {
				msg := fmt.Appendf(nil, "%s, from %v", when, p.from.Addr())
				put, err := p.from.Put(ctx, scout.Hash{}, msg)
				if err != nil {
					return fmt.Errorf("put %s: %w", when, err)
				}
				got, err := p.to.Get(ctx, put.Hash)
				if err != nil {
					return fmt.Errorf("get %s: %w", when, err)
				}
				if string(got.Contents) != string(msg) {
					return fmt.Errorf("get %s: %q", when, got.Contents)
				}
			}
			return nil
		}()
	}()
	return out
}

// ---- The prober ----

// window is a span of the attack and the datagrams the kernel dropped at
// the node's socket meanwhile; the zero window is all of the attack.
type window struct {
	start, end   time.Time
	node         netip.AddrPort
	drops        uint64
	dropsCounted bool
}

func (w *window) begin(node netip.AddrPort) {
	w.node = node
	w.drops, _, w.dropsCounted = udpSocket(node)
	w.start = time.Now()
}

func (w *window) finish(node netip.AddrPort) {
	w.end = time.Now()
	d, _, ok := udpSocket(node)
	w.drops, w.dropsCounted = d-w.drops, w.dropsCounted && ok
}

func (w *window) dropped() string {
	if !w.dropsCounted {
		return "kernel drops not counted (no /proc/net/udp)"
	}
	return fmt.Sprintf("%d datagrams dropped by the kernel at the node's socket (receive buffer full)", w.drops)
}

// checkLoss checks that lost pings are accounted for. The node must answer
// every ping it reads: a ping lost is one the kernel dropped at the node's
// socket because its receive buffer was full (an attacker on the same
// host outruns any reader). And a node must ask for a receive buffer that
// holds such bursts: drops are tolerated only on a host whose
// net.core.rmem_max caps every socket's buffer below burstBuffer.
func checkLoss(t *testing.T, what string, lost int, w window) {
	t.Helper()
	if !w.dropsCounted {
		assert.Zero(t, lost, "%s lost", what)
		return
	}
	assert.LessOrEqual(t, uint64(lost), w.drops, "%s: %d lost, but the kernel dropped only %d datagrams at the node's socket: the node read pings it did not answer", what, lost, w.drops)
	rmemMax := readSysctl("/proc/sys/net/core/rmem_max")
	if rmemMax >= burstBuffer {
		assert.Zero(t, w.drops, "%s: %d lost; the kernel dropped %d datagrams at the node's socket, whose receive buffer is %s, though net.core.rmem_max allows %d",
			what, lost, w.drops, rcvbuf(w.node), rmemMax)
	} else if lost > 0 {
		t.Logf("%s: %d lost, tolerated: the kernel dropped %d datagrams at the node's socket and net.core.rmem_max (%d) keeps its buffer below %d",
			what, lost, w.drops, rmemMax, burstBuffer)
	}
}

// prober pings the node every probeEvery from a socket of its own and
// times each answer.
type prober struct {
	conn *net.UDPConn
	to   netip.AddrPort

	mu   sync.Mutex
	sent []time.Time     // by sequence number
	rtt  []time.Duration // 0: no answer yet

	stopped, loopDone, readDone chan struct{}
}

// newProber allocates room for max pings now, so that the heap measured
// before the attack holds it.
func newProber(t *testing.T, to netip.AddrPort, max int) *prober {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	p := &prober{conn: conn, to: to, sent: make([]time.Time, 0, max), rtt: make([]time.Duration, max),
		stopped: make(chan struct{}), loopDone: make(chan struct{}), readDone: make(chan struct{})}
	t.Cleanup(p.close)
	return p
}

func (p *prober) start() {
	go p.read()
	go p.loop()
}

func (p *prober) loop() {
	defer close(p.loopDone)
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	msg := []byte("d1:ad2:id20:" + strings.Repeat("\x33", 20) + "e1:q4:ping1:t4:SEQN1:y1:qe")
	at := len(msg) - len("SEQN1:y1:qe")
	for {
		select {
		case <-p.stopped:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		seq := len(p.sent)
		if seq == cap(p.sent) {
			p.mu.Unlock()
			continue
		}
		p.sent = append(p.sent, time.Now())
		p.mu.Unlock()
		binary.BigEndian.PutUint32(msg[at:], uint32(seq))
		p.conn.WriteToUDPAddrPort(msg, p.to)
	}
}

func (p *prober) read() {
	defer close(p.readDone)
	buf := make([]byte, 1500)
	var m krpc.Msg
	self := krpc.ID([]byte(strings.Repeat("\x33", 20)))
	for {
		size, from, err := p.conn.ReadFromUDPAddrPort(buf)
		now := time.Now()
		if err != nil {
			return
		}
		if krpc.Decode(buf[:size], &m) != nil {
			continue
		}
		if m.Y == krpc.KindQuery {
			// The node checks us: answer, as a node would.
			p.conn.WriteToUDPAddrPort(krpc.AppendReply(nil, m.T, &krpc.Return{ID: self, HasID: true}, from), from)
			continue
		}
		if m.Y != krpc.KindReply || len(m.T) != 4 {
			continue
		}
		seq := int(binary.BigEndian.Uint32(m.T))
		p.mu.Lock()
		if seq < len(p.sent) && p.rtt[seq] == 0 {
			p.rtt[seq] = max(now.Sub(p.sent[seq]), 1)
		}
		p.mu.Unlock()
	}
}

// stop ends the pings and waits for the answers to those sent (up to a
// second: an answer later than that is a lost ping).
func (p *prober) stop() {
	close(p.stopped)
	<-p.loopDone
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		missing := slices.Contains(p.rtt[:len(p.sent)], 0)
		p.mu.Unlock()
		if !missing {
			return
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

func (p *prober) close() {
	select {
	case <-p.stopped:
	default:
		close(p.stopped)
	}
	<-p.loopDone
	p.conn.Close()
	<-p.readDone
}

type probeStats struct {
	sent, lost    int
	p50, p99, max time.Duration
}

// stats sums up the pings sent during w.
func (p *prober) stats(w window) probeStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s probeStats
	var rtts []time.Duration
	for i, at := range p.sent {
		if w != (window{}) && (at.Before(w.start) || at.After(w.end)) {
			continue
		}
		s.sent++
		if p.rtt[i] == 0 {
			s.lost++
			continue
		}
		rtts = append(rtts, p.rtt[i])
	}
	if len(rtts) == 0 {
		return s
	}
	slices.Sort(rtts)
	pct := func(q float64) time.Duration {
		i := int(q*float64(len(rtts))+0.999999) - 1
		return rtts[max(0, min(i, len(rtts)-1))].Round(10 * time.Microsecond)
	}
	s.p50, s.p99, s.max = pct(0.50), pct(0.99), rtts[len(rtts)-1].Round(10*time.Microsecond)
	return s
}

// ---- Small helpers ----

// panicCatcher is a slog handler that keeps the panics the node recovers
// (it logs them at level Error with their stack).
type panicCatcher struct {
	mu     sync.Mutex
	panics []string
}

func (h *panicCatcher) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *panicCatcher) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.mu.Lock()
		h.panics = append(h.panics, r.Message)
		h.mu.Unlock()
	}
	return nil
}
func (h *panicCatcher) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicCatcher) WithGroup(string) slog.Handler      { return h }

func (h *panicCatcher) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.panics)
}

func (h *panicCatcher) first() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.panics) == 0 {
		return ""
	}
	return h.panics[0]
}

// requireFileLimit checks the process may open n files (Go raises the
// soft limit to the hard one at start).
func requireFileLimit(t *testing.T, n int) {
	var rl syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	require.GreaterOrEqual(t, rl.Cur, uint64(n), "open-file limit %d (hard %d): the attack needs %d sockets", rl.Cur, rl.Max, n)
}

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// udpSocket finds the IPv4 UDP socket bound to addr in /proc/net/udp: how
// many datagrams the kernel dropped at it because its receive buffer was
// full, and its inode; ok is false where that file is not there.
func udpSocket(addr netip.AddrPort) (drops uint64, inode string, ok bool) {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return 0, "", false
	}
	ip := addr.Addr().As4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], addr.Port())
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 13 && f[1] == local {
			d, err := strconv.ParseUint(f[len(f)-1], 10, 64)
			return d, f[9], err == nil
		}
	}
	return 0, "", false
}

// raceEnabled reports whether the test runs under the race detector.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func readSysctl(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// rcvbuf reports, for messages, the receive buffer of the socket bound to
// addr: the node runs in this process, so its socket is found through its
// inode in /proc/self/fd; it is only read.
func rcvbuf(addr netip.AddrPort) string {
	_, inode, ok := udpSocket(addr)
	if !ok {
		return "unknown"
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return "unknown"
	}
	for _, fd := range fds {
		if link, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && link == "socket:["+inode+"]" {
			n, _ := strconv.Atoi(fd.Name())
			size, err := syscall.GetsockoptInt(n, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
			if err != nil {
				return "unknown"
			}
			return fmt.Sprintf("%d bytes", size)
		}
	}
	return "unknown"
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
