package dht

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/internal/krpc"
)

// testKey is a fixed ed25519 key for signed items.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

// mutable returns an item signed by testKey.
func mutable(seq int64, v string, salt []byte) Item {
	bv := krpc.AppendString(nil, []byte(v))
	it := Item{V: bv, Mutable: true, Seq: seq, Salt: salt}
	copy(it.K[:], testKey[32:])
	copy(it.Sig[:], ed25519.Sign(testKey, signBuffer(salt, seq, bv)))
	return it
}

func immutable(v string) Item { return Item{V: krpc.AppendString(nil, []byte(v))} }

func code(t *testing.T, err error) int {
	t.Helper()
	var ke krpc.Error
	require.ErrorAs(t, err, &ke)
	return ke.Code
}

func TestStoreMutableRules(t *testing.T) {
	s := NewStore(StoreLimits{}, nil)
	five := mutable(5, "five", nil)
	require.NoError(t, s.Put(five, 0, false))
	it, ok := s.Get(five.Target())
	require.True(t, ok)
	assert.Equal(t, int64(5), it.Seq)

	assert.Equal(t, 302, code(t, s.Put(mutable(4, "older", nil), 0, false)), "lower seq")
	assert.Equal(t, 302, code(t, s.Put(mutable(5, "other five", nil), 0, false)), "same seq, other value")
	assert.NoError(t, s.Put(five, 0, false), "same seq and value refreshes")
	// cas is checked against the stored seq (anacrolix/dht compares it
	// with the stored item's own cas field instead).
	assert.Equal(t, 301, code(t, s.Put(mutable(6, "six", nil), 4, true)), "cas names a seq we do not hold")
	assert.Equal(t, 301, code(t, s.Put(mutable(6, "six", nil), 0, true)), "cas 0: the writer expected nothing")
	assert.NoError(t, s.Put(mutable(6, "six", nil), 5, true), "cas names the stored seq")
	assert.NoError(t, s.Put(mutable(9, "nine", nil), 0, false), "no cas: higher seq wins")
	it, _ = s.Get(five.Target())
	assert.Equal(t, "4:nine", string(it.V))
	assert.Equal(t, 301, code(t, s.Put(mutable(10, "ten", nil), 6, true)), "cas stays compared with the seq")

	// A put with cas to an empty slot stores: there is nothing to compare.
	fresh := NewStore(StoreLimits{}, nil)
	assert.NoError(t, fresh.Put(mutable(1, "one", nil), 0, true))
}

func TestStoreRefusesBadItems(t *testing.T) {
	s := NewStore(StoreLimits{}, nil)
	bad := mutable(1, "v", nil)
	bad.Sig[0] ^= 1
	assert.Equal(t, 206, code(t, s.Put(bad, 0, false)))

	wrongSeq := mutable(1, "v", nil)
	wrongSeq.Seq = 2
	assert.Equal(t, 206, code(t, s.Put(wrongSeq, 0, false)))

	zeroKey := immutable("v")
	zeroKey.Mutable = true // k of 32 zero bytes: a mutable item, and no valid signature
	assert.Equal(t, 206, code(t, s.Put(zeroKey, 0, false)))

	assert.Equal(t, 207, code(t, s.Put(mutable(1, "v", bytes.Repeat([]byte{1}, 65)), 0, false)))
	assert.Equal(t, 205, code(t, s.Put(Item{V: krpc.AppendString(nil, make([]byte, 997))}, 0, false)), "1001 bytes bencoded")
	assert.Equal(t, 203, code(t, s.Put(Item{V: []byte("5:hel")}, 0, false)), "not one bencoded value")
	assert.Equal(t, 203, code(t, s.Put(Item{}, 0, false)), "no value")
	assert.NoError(t, s.Put(Item{V: krpc.AppendString(nil, make([]byte, 996))}, 0, false), "1000 bytes bencoded")
	items, _ := s.Stats()
	assert.Equal(t, 1, items)
}

func TestStoreSaltedItem(t *testing.T) {
	s := NewStore(StoreLimits{}, nil)
	it := mutable(3, "salted", []byte("salt"))
	require.NoError(t, s.Put(it, 0, false))
	got, ok := s.Get(it.Target())
	require.True(t, ok, "a salted item lives under SHA1(k ‖ salt)")
	assert.Equal(t, []byte("salt"), got.Salt)
	unsalted := mutable(3, "salted", nil)
	assert.NotEqual(t, unsalted.Target(), it.Target())
}

func TestStoreIsBounded(t *testing.T) {
	s := NewStore(StoreLimits{MaxItems: 3}, nil)
	put := func(v string) ID {
		it := immutable(v)
		require.NoError(t, s.Put(it, 0, false))
		return it.Target()
	}
	a, b := put("a"), put("b")
	put("c")
	put("a") // refreshing a makes b the oldest
	d := put("d")
	_, okA := s.Get(a)
	_, okB := s.Get(b)
	_, okD := s.Get(d)
	assert.True(t, okA)
	assert.False(t, okB, "the oldest item is evicted first")
	assert.True(t, okD)
	items, _ := s.Stats()
	assert.Equal(t, 3, items)

	bound := 3 * (1000 + storedOverhead)
	byBytes := NewStore(StoreLimits{MaxBytes: bound}, nil)
	for i := range 10 {
		require.NoError(t, byBytes.Put(Item{V: krpc.AppendString(nil, bytes.Repeat([]byte{byte(i)}, 995))}, 0, false))
	}
	items, size := byBytes.Stats()
	assert.Equal(t, 3, items)
	assert.LessOrEqual(t, size, bound)
}

func TestStoreExpires(t *testing.T) {
	now := time.Unix(1e9, 0)
	clock := func() time.Time { return now }
	s := NewStore(StoreLimits{TTL: time.Hour}, clock)
	it := immutable("x")
	require.NoError(t, s.Put(it, 0, false))
	now = now.Add(59 * time.Minute)
	_, ok := s.Get(it.Target())
	assert.True(t, ok, "alive within its lifetime")
	now = now.Add(2 * time.Minute)
	_, ok = s.Get(it.Target())
	assert.False(t, ok, "gone after it")
	items, size := s.Stats()
	assert.Equal(t, 0, items)
	assert.Equal(t, 0, size)

	// A refresh restarts the lifetime; an expired mutable item does not
	// stand in the way of a lower seq.
	require.NoError(t, s.Put(mutable(5, "v", nil), 0, false))
	now = now.Add(61 * time.Minute)
	assert.NoError(t, s.Put(mutable(4, "w", nil), 0, false))
}

// TestStoreCountsWhatItHolds: the store keeps the bytes it was given, not a
// decoded form, and its byte count covers what the heap really holds, even
// for values that would decode large (lists of empty lists and dicts).
func TestStoreCountsWhatItHolds(t *testing.T) {
	const n = 4000
	s := NewStore(StoreLimits{MaxItems: n, MaxBytes: 1 << 30}, nil)
	values := make([]Item, n)
	for i := range values {
		// Up to 1000 bytes: "l", 496 empty lists and dicts, a distinct
		// string, "e".
		var b strings.Builder
		b.WriteString("l")
		for j := range 496 {
			if (i+j)%2 == 0 {
				b.WriteString("le")
			} else {
				b.WriteString("de")
			}
		}
		b.Write(krpc.AppendString(nil, []byte(itoa(int64(i)))))
		b.WriteString("e")
		values[i] = Item{V: []byte(b.String())}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, it := range values {
		require.NoError(t, s.Put(it, 0, false))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	items, counted := s.Stats()
	require.Equal(t, n, items)
	grown := int(after.HeapAlloc) - int(before.HeapAlloc)
	t.Logf("%d items: the store counts %d bytes, the heap grew %d", n, counted, grown)
	assert.LessOrEqual(t, grown, counted, "the store holds no more than it counts")
	runtime.KeepAlive(values)
}

// TestStoreRefusesSmallOrderKeys: under a key of small order (32 zero
// bytes is one), crypto/ed25519 accepts the all-zero signature for about
// one message in four; such a put must never be stored.
func TestStoreRefusesSmallOrderKeys(t *testing.T) {
	s := NewStore(StoreLimits{}, nil)
	v := krpc.AppendString(nil, []byte("lenient 8"))
	forged := 0
	for seq := range int64(64) {
		it := Item{V: v, Mutable: true, Seq: seq}
		if ed25519.Verify(it.K[:], signBuffer(nil, seq, v), it.Sig[:]) {
			forged++ // crypto/ed25519 alone would take it
		}
		assert.Equal(t, 206, code(t, s.Put(it, 0, false)), "seq %d", seq)
	}
	assert.Positive(t, forged, "some of these forgeries pass crypto/ed25519 alone")
	items, _ := s.Stats()
	assert.Zero(t, items)
	// The other small-order points: y = -1, y = 0 and its twin.
	for _, k := range []string{
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"0100000000000000000000000000000000000000000000000000000000000000",
	} {
		it := Item{V: v, Mutable: true}
		_, err := hex.Decode(it.K[:], []byte(k))
		require.NoError(t, err)
		assert.False(t, it.Verify(), k)
	}
	good := mutable(1, "fine", nil)
	assert.True(t, good.Verify())
}
