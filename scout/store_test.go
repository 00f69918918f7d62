package scout

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha1"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mutablePut builds the arguments of a signed mutable put of v at seq.
func mutablePut(shared SharedSecret, seq, cas int64, v string) *krpc.MsgArgs {
	sig := SignMutable(shared.SigningKey(), seq, BencodeBytes([]byte(v)))
	return &krpc.MsgArgs{V: v, K: shared.SigningPublicKey(), Sig: sig, Seq: &seq, Cas: cas}
}

func krpcCode(t *testing.T, err error) int {
	t.Helper()
	var ke krpc.Error
	require.ErrorAs(t, err, &ke)
	return ke.Code
}

func TestStoreMutableRules(t *testing.T) {
	s := newStore(StoreLimits{})
	shared := SharedSecret{1, 2, 3}
	target := nodeID(shared.Target())

	require.NoError(t, s.putArgs(mutablePut(shared, 5, 0, "five")))
	it, ok := s.get(target)
	require.True(t, ok)
	assert.Equal(t, int64(5), it.seq)

	assert.Equal(t, 302, krpcCode(t, s.putArgs(mutablePut(shared, 4, 0, "older"))), "lower seq")
	assert.Equal(t, 302, krpcCode(t, s.putArgs(mutablePut(shared, 5, 0, "other five"))), "same seq, other value")
	assert.NoError(t, s.putArgs(mutablePut(shared, 5, 0, "five")), "same seq and value refreshes")
	// cas is checked against the stored seq (anacrolix compares it with the
	// stored item's own cas field instead).
	assert.Equal(t, 301, krpcCode(t, s.putArgs(mutablePut(shared, 6, 4, "six"))), "cas names a seq we do not hold")
	assert.NoError(t, s.putArgs(mutablePut(shared, 6, 5, "six")), "cas names the stored seq")
	assert.NoError(t, s.putArgs(mutablePut(shared, 9, 0, "nine")), "no cas: higher seq wins")
	it, _ = s.get(target)
	assert.Equal(t, "nine", it.value)
	assert.Equal(t, 301, krpcCode(t, s.putArgs(mutablePut(shared, 10, 6, "ten"))), "cas stays compared with the seq, not the last put's cas")
}

func TestStoreRefusesBadItems(t *testing.T) {
	s := newStore(StoreLimits{})
	shared := SharedSecret{9}
	bad := mutablePut(shared, 1, 0, "v")
	bad.Sig[0] ^= 1
	assert.Equal(t, 206, krpcCode(t, s.putArgs(bad)))

	wrongSeq := mutablePut(shared, 1, 0, "v")
	*wrongSeq.Seq = 2
	assert.Equal(t, 206, krpcCode(t, s.putArgs(wrongSeq)))

	noSeq := mutablePut(shared, 1, 0, "v")
	noSeq.Seq = nil
	assert.Equal(t, 203, krpcCode(t, s.putArgs(noSeq)))

	salty := mutablePut(shared, 1, 0, "v")
	salty.Salt = bytes.Repeat([]byte{1}, 65)
	assert.Equal(t, 207, krpcCode(t, s.putArgs(salty)))

	assert.Equal(t, 205, krpcCode(t, s.putArgs(&krpc.MsgArgs{V: string(make([]byte, 997))})), "1001 bytes bencoded")
	assert.NoError(t, s.putArgs(&krpc.MsgArgs{V: string(make([]byte, 996))}), "1000 bytes bencoded")
	assert.Equal(t, 203, krpcCode(t, s.putArgs(&krpc.MsgArgs{})), "no v")
	items, _ := s.stats()
	assert.Equal(t, 1, items)
}

func TestStoreSaltedItem(t *testing.T) {
	s := newStore(StoreLimits{})
	shared := SharedSecret{4}
	salt := []byte("salt")
	seq := int64(3)
	bv := BencodeBytes([]byte("salted"))
	priv := shared.SigningKey()
	var sig [64]byte
	copy(sig[:], ed25519.Sign(priv, saltedSignedBuffer(salt, seq, bv)))
	pub := shared.SigningPublicKey()
	require.NoError(t, s.putArgs(&krpc.MsgArgs{V: "salted", K: pub, Sig: sig, Seq: &seq, Salt: salt}))
	_, ok := s.get(nodeID(sha1.Sum(append(pub[:], salt...))))
	assert.True(t, ok, "a salted item lives under SHA1(k ‖ salt)")
}

func TestStoreIsBounded(t *testing.T) {
	s := newStore(StoreLimits{MaxItems: 3})
	put := func(v string) nodeID {
		require.NoError(t, s.putArgs(&krpc.MsgArgs{V: v}))
		return nodeID(sha1.Sum(BencodeBytes([]byte(v))))
	}
	a, b := put("a"), put("b")
	put("c")
	put("a") // refreshing a makes b the oldest
	d := put("d")
	_, okA := s.get(a)
	_, okB := s.get(b)
	_, okD := s.get(d)
	assert.True(t, okA)
	assert.False(t, okB, "the oldest item is evicted first")
	assert.True(t, okD)
	items, _ := s.stats()
	assert.Equal(t, 3, items)

	byBytes := newStore(StoreLimits{MaxBytes: 3 * (1000 + 160)})
	for i := range 10 {
		require.NoError(t, byBytes.putArgs(&krpc.MsgArgs{V: string(bytes.Repeat([]byte{byte(i)}, 995))}))
	}
	items, size := byBytes.stats()
	assert.Equal(t, 3, items)
	assert.LessOrEqual(t, size, 3*(1000+160))
}

func TestStoreExpires(t *testing.T) {
	s := newStore(StoreLimits{TTL: time.Millisecond})
	require.NoError(t, s.putArgs(&krpc.MsgArgs{V: "x"}))
	time.Sleep(5 * time.Millisecond)
	_, ok := s.get(nodeID(sha1.Sum([]byte("1:x"))))
	assert.False(t, ok)
	items, _ := s.stats()
	assert.Equal(t, 0, items)
}
