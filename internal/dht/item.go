package dht

import (
	"crypto/ed25519"
	"crypto/sha1"

	"filippo.io/edwards25519"
	"github.com/anacrolix/dht/v2/bep44"

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
// at most 64, and for a mutable item a valid signature (anacrolix/dht's
// bep44 package builds the signed buffer and verifies).
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

// Verify checks a mutable item's signature. A key that is not a valid
// point, or one of small order (such as 32 zero bytes), is refused first:
// crypto/ed25519 would accept a forged signature under it for about one
// message in four, and anyone could then write that key's slot.
func (it *Item) Verify() bool {
	return it.Mutable && validKey(it.K) && bep44.Verify(ed25519.PublicKey(it.K[:]), it.Salt, it.Seq, it.V, it.Sig[:])
}

// validKey reports whether k is an ed25519 public key of large order.
func validKey(k [32]byte) bool {
	p, err := new(edwards25519.Point).SetBytes(k[:])
	if err != nil {
		return false
	}
	return new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 0
}
