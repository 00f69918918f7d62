package scout

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
)

// Sizes of a sealed value: nonce ‖ Poly1305 MAC ‖ XSalsa20 ciphertext, the
// layout of NaCl's crypto_secretbox_easy with the nonce in front.
const (
	NonceSize     = 24
	SealOverhead  = NonceSize + secretbox.Overhead // 40
	MinSealedSize = SealOverhead + 1               // 41: the original refuses 40 bytes or less
)

// Seal encrypts and authenticates plaintext with key under a random nonce:
// nonce ‖ secretbox(key, nonce, plaintext). A plaintext longer than
// MaxPlaintext, which would not fit in a BEP 44 value once sealed, is
// refused with an error matching ErrTooLarge.
func Seal(key SharedSecret, plaintext []byte) ([]byte, error) {
	var nonce [NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	return SealWithNonce(key, nonce, plaintext)
}

// SealWithNonce is Seal with a nonce the caller chooses, for tests and
// vectors. A nonce must never be used twice with the same key.
func SealWithNonce(key SharedSecret, nonce [NonceSize]byte, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, &LimitError{What: "sealed list", Size: len(plaintext), Limit: MaxPlaintext}
	}
	k := [KeySize]byte(key)
	out := make([]byte, NonceSize, SealOverhead+len(plaintext))
	copy(out, nonce[:])
	return secretbox.Seal(out, plaintext, &nonce, &k), nil
}

// Open checks and decrypts a value made by Seal. A value shorter than
// MinSealedSize, or one that fails authentication (tampered, truncated,
// extended or sealed with another key), gives an error matching ErrDecrypt.
func Open(key SharedSecret, sealed []byte) ([]byte, error) {
	if len(sealed) < MinSealedSize {
		return nil, fmt.Errorf("%w: sealed value is %d bytes, need at least %d",
			ErrDecrypt, len(sealed), MinSealedSize)
	}
	nonce := [NonceSize]byte(sealed[:NonceSize])
	k := [KeySize]byte(key)
	plaintext, ok := secretbox.Open(nil, sealed[NonceSize:], &nonce, &k)
	if !ok {
		return nil, fmt.Errorf("%w: authentication failed (tampered, truncated or another key)", ErrDecrypt)
	}
	return plaintext, nil
}

// SealEntries marshals l and seals it with Seal. A list longer than
// MaxPlaintext once marshalled is refused with an error matching
// ErrTooLarge.
func SealEntries(key SharedSecret, l *Entries) ([]byte, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil entry list", ErrInvalidArgument)
	}
	plaintext, err := l.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return Seal(key, plaintext)
}

// OpenEntries opens a value made by SealEntries and parses the list inside.
// A value that fails to open gives an error matching ErrDecrypt; one that
// opens but holds a malformed list gives a *ParseError, matching
// ErrInvalidArgument. Bytes after the list are ignored, as ParseEntries does.
func OpenEntries(key SharedSecret, sealed []byte) (*Entries, error) {
	plaintext, err := Open(key, sealed)
	if err != nil {
		return nil, err
	}
	l, _, err := ParseEntries(plaintext)
	if err != nil {
		return nil, err
	}
	return l, nil
}
