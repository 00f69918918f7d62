package scout_test

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/crypto/nacl/secretbox"

	"github.com/scout-dht/scout/scout"
)

func TestSealedCases(t *testing.T) {
	var v sealedVectors
	loadVectors(t, "sealed.json", &v)
	nonEmpty(t, "cases", len(v.Cases))
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			key := scout.SharedSecret(mustKey(t, c.Key))
			if len(c.Nonce) != scout.NonceSize {
				t.Fatalf("nonce of %d bytes", len(c.Nonce))
			}
			sealed, err := scout.SealWithNonce(key, [24]byte(c.Nonce), c.Plaintext)
			if err != nil || !bytes.Equal(sealed, c.Sealed) {
				t.Fatalf("SealWithNonce = %x, %v; want %x", sealed, err, []byte(c.Sealed))
			}
			bv := scout.BencodeBytes(sealed)
			if !bytes.Equal(bv, c.BencodedV) {
				t.Fatalf("bencoded v = %x, want %x", bv, []byte(c.BencodedV))
			}
			if len(sealed) != c.SealedLength || len(bv) != c.BencodedLength {
				t.Fatalf("lengths %d, %d; want %d, %d", len(sealed), len(bv), c.SealedLength, c.BencodedLength)
			}
			if fits := len(bv) <= scout.MaxBencodedValue; fits != c.FitsBEP44 {
				t.Fatalf("fits BEP 44: %v, vector says %v", fits, c.FitsBEP44)
			}
			if got, err := scout.ParseBencodedBytes(c.BencodedV); err != nil || !bytes.Equal(got, c.Sealed) {
				t.Fatalf("ParseBencodedBytes: %v", err)
			}

			plaintext, err := scout.Open(key, c.Sealed)
			if err != nil || !bytes.Equal(plaintext, c.Plaintext) {
				t.Fatalf("Open = %x, %v; want %x", plaintext, err, []byte(c.Plaintext))
			}
			l, n, err := scout.ParseEntries(plaintext)
			if err != nil || n != len(plaintext) {
				t.Fatalf("ParseEntries: %d, %v", n, err)
			}
			checkEntries(t, l, c.Entries)
			l, err = scout.OpenEntries(key, c.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, l, c.Entries)

			// The writer's way: entries → plaintext, and a random nonce.
			enc, err := toEntries(t, c.Entries).MarshalBinary()
			if err != nil || !bytes.Equal(enc, c.Plaintext) {
				t.Fatalf("MarshalBinary = %x, %v", enc, err)
			}
			fresh, err := scout.SealEntries(key, toEntries(t, c.Entries))
			if err != nil || len(fresh) != c.SealedLength || bytes.Equal(fresh[:scout.NonceSize], c.Nonce) {
				t.Fatalf("SealEntries: %d bytes, %v", len(fresh), err)
			}
			l, err = scout.OpenEntries(key, fresh)
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, l, c.Entries)
		})
	}
}

func TestOpenFailures(t *testing.T) {
	var v sealedVectors
	loadVectors(t, "sealed.json", &v)
	nonEmpty(t, "open_failures", len(v.OpenFailures))
	for _, c := range v.OpenFailures {
		t.Run(c.Name, func(t *testing.T) {
			key := scout.SharedSecret(mustKey(t, c.Key))
			got, err := scout.Open(key, c.Sealed)
			checkKind(t, err, scout.ErrDecrypt)
			if got != nil {
				t.Fatal("plaintext returned with the error")
			}
			_, err = scout.OpenEntries(key, c.Sealed)
			checkKind(t, err, scout.ErrDecrypt)

			// valid_secretbox marks the one case that NaCl itself would open.
			valid := false
			if len(c.Sealed) >= scout.NonceSize {
				k := [32]byte(key)
				_, valid = secretbox.Open(nil, c.Sealed[scout.NonceSize:], (*[24]byte)(c.Sealed[:scout.NonceSize]), &k)
			}
			if valid != c.ValidSecretbox {
				t.Fatalf("secretbox opens it: %v, vector says %v", valid, c.ValidSecretbox)
			}
		})
	}
}

func TestSealLimits(t *testing.T) {
	key := scout.SharedSecret{7}
	for _, n := range []int{0, 1, scout.MaxPlaintext} {
		pt := bytes.Repeat([]byte{0xa5}, n)
		sealed, err := scout.Seal(key, pt)
		if err != nil || len(sealed) != n+scout.SealOverhead {
			t.Fatalf("Seal(%d bytes): %d, %v", n, len(sealed), err)
		}
		if n == 0 {
			// Seal writes it, but Open refuses it like the original does.
			_, err := scout.Open(key, sealed)
			checkKind(t, err, scout.ErrDecrypt)
			continue
		}
		got, err := scout.Open(key, sealed)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open(Seal(%d bytes)): %v", n, err)
		}
	}
	_, err := scout.Seal(key, make([]byte, scout.MaxPlaintext+1))
	checkKind(t, err, scout.ErrTooLarge)
	var le *scout.LimitError
	if !errors.As(err, &le) || le.Size != 957 || le.Limit != 956 {
		t.Fatalf("error %v: want a LimitError 957 > 956", err)
	}
	_, err = scout.SealWithNonce(key, [24]byte{}, make([]byte, scout.MaxPlaintext+1))
	checkKind(t, err, scout.ErrTooLarge)
	_, err = scout.SealEntries(key, nil)
	checkKind(t, err, scout.ErrInvalidArgument)

	// Two seals of the same list differ: the nonce is random.
	a, _ := scout.Seal(key, []byte{0, 0})
	b, _ := scout.Seal(key, []byte{0, 0})
	if bytes.Equal(a, b) {
		t.Fatal("two seals are equal")
	}
}

// A value that opens but holds no valid list is ErrInvalidArgument, not
// ErrDecrypt.
func TestOpenEntriesMalformedList(t *testing.T) {
	key := scout.SharedSecret{9}
	sealed, err := scout.Seal(key, []byte{5, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	l, err := scout.OpenEntries(key, sealed)
	checkKind(t, err, scout.ErrInvalidArgument)
	if l != nil {
		t.Fatal("entries returned with the error")
	}
}

func FuzzOpen(f *testing.F) {
	var v sealedVectors
	loadVectors(f, "sealed.json", &v)
	for _, c := range v.Cases {
		f.Add([]byte(c.Key), []byte(c.Sealed))
	}
	for _, c := range v.OpenFailures {
		f.Add([]byte(c.Key), []byte(c.Sealed))
	}
	f.Fuzz(func(t *testing.T, keyBytes, sealed []byte) {
		var key scout.SharedSecret
		copy(key[:], keyBytes)
		in := bytes.Clone(sealed)
		pt, err := scout.Open(key, sealed)
		if !bytes.Equal(in, sealed) {
			t.Fatal("Open changed its input")
		}
		l, lerr := scout.OpenEntries(key, sealed)
		if err != nil {
			checkKind(t, err, scout.ErrDecrypt)
			checkKind(t, lerr, scout.ErrDecrypt)
			if pt != nil || l != nil {
				t.Fatal("result returned with the error")
			}
		} else {
			if len(sealed) < scout.MinSealedSize || len(pt) != len(sealed)-scout.SealOverhead {
				t.Fatalf("opened %d bytes into %d", len(sealed), len(pt))
			}
			// Only one seal opens: sealing again with its nonce gives it back.
			again, err := scout.SealWithNonce(key, [24]byte(sealed), pt)
			if len(pt) > scout.MaxPlaintext {
				checkKind(t, err, scout.ErrTooLarge)
			} else if err != nil || !bytes.Equal(again, sealed) {
				t.Fatalf("reseal: %v", err)
			}
			// OpenEntries agrees with ParseEntries.
			want, _, perr := scout.ParseEntries(pt)
			if perr != nil {
				checkKind(t, lerr, scout.ErrInvalidArgument)
			} else {
				if lerr != nil {
					t.Fatal(lerr)
				}
				sameEntries(t, l, want)
			}
		}
		// Whatever the input, sealing a prefix of it opens back.
		msg := sealed[:min(len(sealed), scout.MaxPlaintext)]
		s, err := scout.SealWithNonce(key, [24]byte(append(bytes.Clone(keyBytes), make([]byte, 24)...)), msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) == 0 {
			return
		}
		back, err := scout.Open(key, s)
		if err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("Open(Seal(x)) = %x, %v", back, err)
		}
	})
}
