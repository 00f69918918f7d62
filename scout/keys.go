package scout

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"

	"filippo.io/edwards25519/field"

	"github.com/scout-dht/scout/internal/dht"
)

// Sizes of the fixed-size values, in bytes.
const (
	KeySize       = 32 // an X25519 key or shared secret
	HashSize      = 20 // a SHA-1 hash: a DHT target
	SignatureSize = 64 // an ed25519 signature
)

// SecretKey is an X25519 secret key. Any 32 bytes are a valid secret key:
// X25519 clamps it internally.
type SecretKey [KeySize]byte

// PublicKey is an X25519 public key, the u-coordinate of a point.
type PublicKey [KeySize]byte

// SharedSecret is the raw X25519 output shared by two peers. It seals their
// entry list and seeds the ed25519 key that signs it.
type SharedSecret [KeySize]byte

// Hash is a SHA-1 hash: the target of a DHT item.
type Hash [HashSize]byte

// String returns h as 40 lower-case hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero, the hash that ends a message list.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 40 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := parseHex(h[:], "hash", s)
	return h, err
}

// String returns k as 64 lower-case hex digits.
func (k PublicKey) String() string { return hex.EncodeToString(k[:]) }

// ParsePublicKey parses 64 hex digits.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	err := parseHex(k[:], "public key", s)
	return k, err
}

// parseHex fills dst from exactly 2*len(dst) hex digits.
func parseHex(dst []byte, what, s string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: %s must be %d hex digits, got %d characters",
			ErrInvalidArgument, what, 2*len(dst), len(s))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		clear(dst)
		return fmt.Errorf("%w: %s: %v", ErrInvalidArgument, what, err)
	}
	return nil
}

// GenerateKeyPair returns a new X25519 key pair from crypto/rand.
func GenerateKeyPair() (SecretKey, PublicKey, error) {
	var sk SecretKey
	if _, err := rand.Read(sk[:]); err != nil {
		return SecretKey{}, PublicKey{}, err
	}
	return sk, sk.PublicKey(), nil
}

// basePoint is the u-coordinate 9 of the X25519 base point.
var basePoint = [KeySize]byte{9}

// PublicKey returns X25519(sk, 9). The key is clamped inside, so an
// unclamped key gives the same public key as its clamped form.
func (sk SecretKey) PublicKey() PublicKey {
	return x25519(sk, basePoint)
}

// KeyExchange returns the raw X25519 output of sk and peer, with no hashing:
// both sides of a pair compute the same secret. Bit 255 of peer is ignored.
// A low-order peer key, whose result is all zero, is refused with an error
// matching ErrInvalidArgument (the original accepts it).
func KeyExchange(sk SecretKey, peer PublicKey) (SharedSecret, error) {
	out := x25519(sk, peer)
	if subtle.ConstantTimeCompare(out[:], make([]byte, KeySize)) == 1 {
		return SharedSecret{}, fmt.Errorf("%w: public key %s is of low order", ErrInvalidArgument, peer)
	}
	return SharedSecret(out), nil
}

// x25519 is the function of RFC 7748, section 5: the u-coordinate of k
// (clamped) times the point u, by one constant-time Montgomery ladder, with
// the variable names of the RFC's pseudocode. Bit 255 of u is ignored and u
// need not be reduced (field.Element.SetBytes does both, as the RFC asks).
//
// It is written here rather than borrowed because crypto/ecdh's
// NewPrivateKey runs a second ladder to derive a public key that a key
// exchange never uses (golang.org/x/crypto/curve25519 is a wrapper around
// it): one ladder is half the cost, within 1.5x of libsodium's
// crypto_scalarmult (BenchmarkKeyExchange).
func x25519(k, u [KeySize]byte) [KeySize]byte {
	k[0] &= 248
	k[31] &= 127
	k[31] |= 64

	var x1, x2, z2, x3, z3 field.Element
	var a, aa, b, bb, ee, c, d, da, cb field.Element
	if _, err := x1.SetBytes(u[:]); err != nil {
		panic("scout: " + err.Error()) // unreachable: u is 32 bytes
	}
	x2.One()
	x3.Set(&x1)
	z3.One()
	swap := 0
	for t := 254; t >= 0; t-- {
		kt := int(k[t/8]>>(t%8)) & 1
		swap ^= kt
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = kt

		a.Add(&x2, &z2)
		aa.Square(&a)
		b.Subtract(&x2, &z2)
		bb.Square(&b)
		ee.Subtract(&aa, &bb)
		c.Add(&x3, &z3)
		d.Subtract(&x3, &z3)
		da.Multiply(&d, &a)
		cb.Multiply(&c, &b)
		x3.Add(&da, &cb)
		x3.Square(&x3)
		z3.Subtract(&da, &cb)
		z3.Square(&z3)
		z3.Multiply(&x1, &z3)
		x2.Multiply(&aa, &bb)
		z2.Mult32(&ee, 121665) // a24 = (486662 - 2) / 4
		z2.Add(&aa, &z2)
		z2.Multiply(&ee, &z2)
	}
	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)

	var out [KeySize]byte
	copy(out[:], x2.Multiply(&x2, z2.Invert(&z2)).Bytes())
	return out
}

// SigningKey returns the ed25519 key whose seed is s: the key that signs
// the pair's mutable item.
func (s SharedSecret) SigningKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(s[:])
}

// SigningPublicKey returns the public half of SigningKey, the BEP 44 "k".
func (s SharedSecret) SigningPublicKey() [32]byte {
	var pub [32]byte
	copy(pub[:], s.SigningKey()[32:])
	return pub
}

// Target returns SHA1(SigningPublicKey()): the BEP 44 target of the pair's
// mutable item, which uses no salt.
func (s SharedSecret) Target() Hash {
	pub := s.SigningPublicKey()
	return sha1.Sum(pub[:])
}

// signedBuffer returns what BEP 44 signs for a mutable item without salt:
// "3:seqi<seq>e1:v" followed by the bencoded value.
func signedBuffer(seq int64, bencodedV []byte) []byte {
	return dht.SignedBuffer(nil, seq, bencodedV)
}

// SignMutable signs a BEP 44 mutable item without salt: ed25519 over
// "3:seqi<seq>e1:v" ‖ bencodedV. Like ed25519.Sign, it panics if priv is not
// ed25519.PrivateKeySize bytes long.
func SignMutable(priv ed25519.PrivateKey, seq int64, bencodedV []byte) [64]byte {
	var sig [64]byte
	copy(sig[:], ed25519.Sign(priv, signedBuffer(seq, bencodedV)))
	return sig
}

// VerifyMutable reports whether sig is pub's signature of the mutable item
// with sequence number seq and bencoded value bencodedV, as a storing node
// checks it: a key of small order (such as 32 zero bytes) is refused.
func VerifyMutable(pub [32]byte, seq int64, bencodedV []byte, sig [64]byte) bool {
	it := dht.Item{V: bencodedV, Mutable: true, K: pub, Seq: seq, Sig: sig}
	return it.Verify()
}

// BencodeBytes returns b as a bencoded byte string: "<len>:" ‖ b.
func BencodeBytes(b []byte) []byte {
	out := make([]byte, 0, len(b)+4)
	out = strconv.AppendInt(out, int64(len(b)), 10)
	out = append(out, ':')
	return append(out, b...)
}

// ParseBencodedBytes returns the contents of a bencoded byte string. The
// whole input must be that one string, its length in canonical decimal (no
// sign, no leading zero). The result is a copy. Errors are *ParseError.
func ParseBencodedBytes(b []byte) ([]byte, error) {
	fail := func(off int, reason string) ([]byte, error) {
		return nil, &ParseError{What: "bencoded byte string", Offset: off, Reason: reason}
	}
	colon := bytes.IndexByte(b, ':')
	switch {
	case len(b) == 0:
		return fail(0, "empty input")
	case colon < 0:
		return fail(len(b), "no ':' after the length")
	case colon == 0:
		return fail(0, "no length before ':'")
	case b[0] == '0' && colon > 1:
		return fail(0, "length has a leading zero")
	}
	n := 0
	for i, c := range b[:colon] {
		if c < '0' || c > '9' {
			return fail(i, "length is not a decimal number")
		}
		if n > (len(b)-colon-1)/10 {
			return fail(i, "length runs past the end")
		}
		n = n*10 + int(c-'0')
	}
	rest := b[colon+1:]
	switch {
	case n > len(rest):
		return fail(len(b), fmt.Sprintf("length %d but %d bytes follow", n, len(rest)))
	case n < len(rest):
		return fail(colon+1+n, fmt.Sprintf("%d bytes after the string", len(rest)-n))
	}
	return bytes.Clone(rest), nil
}
