package dht

import (
	"crypto/sha1"
	"strconv"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/scout-dht/scout/internal/krpc"
)

// Item is a BEP 44 item: immutable (its target is the SHA-1 of its value)
// or mutable (signed by K; its target is the SHA-1 of K and its salt).
type Item struct {
	V       []byte // the bencoded value
	Mutable bool
	K       [32]byte
	Salt    []byte
	Seq     int64
	Sig     [64]byte
}

// Target is where the item lives on the DHT.
func (it *Item) Target() ID {
	if !it.Mutable {
		return sha1.Sum(it.V)
	}
	h := sha1.New()
	h.Write(it.K[:])
	h.Write(it.Salt)
	var id ID
	h.Sum(id[:0])
	return id
}

// Check applies BEP 44's rules to an item offered for storage: a value
// that is one well-formed bencoded value of at most 1000 bytes, a salt of
// at most 64, and for a mutable item a valid signature (Verify).
func (it *Item) Check() error {
	if len(it.V) > krpc.MaxValue {
		return krpc.ErrValueTooBig
	}
	if !krpc.Valid(it.V) {
		return krpc.Error{Code: krpc.CodeProtocol, Msg: "v is not one bencoded value"}
	}
	if !it.Mutable {
		return nil
	}
	if len(it.Salt) > krpc.MaxSalt {
		return krpc.ErrSaltTooBig
	}
	if !it.Verify() {
		return krpc.ErrBadSignature
	}
	return nil
}

// Verify checks a mutable item's signature, with curve25519-voi's default
// rules: cofactored verification, canonical encodings, and a public key of
// large order. crypto/ed25519 (under anacrolix/dht's bep44.Verify) takes a
// key of small order such as 32 zero bytes, under which a forged signature
// passes for about one message in four, so that anyone could write that
// key's slot; curve25519-voi refuses it, and verifies in about 25 µs where
// crypto/ed25519 takes 40 (every storing node verifies every put).
func (it *Item) Verify() bool {
	return it.Mutable && voi.Verify(it.K[:], SignedBuffer(it.Salt, it.Seq, it.V), it.Sig[:])
}

// SignedBuffer is what BEP 44 signs for a mutable item: "4:salt" and the
// bencoded salt when there is one, then "3:seqi<seq>e1:v" and the bencoded
// value.
func SignedBuffer(salt []byte, seq int64, bv []byte) []byte {
	b := make([]byte, 0, len("4:salt99:")+len(salt)+len("3:seqi-9223372036854775808e1:v")+len(bv))
	if len(salt) > 0 {
		b = append(b, "4:salt"...)
		b = krpc.AppendString(b, salt)
	}
	b = append(b, "3:seqi"...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "e1:v"...)
	return append(b, bv...)
}
