package scout_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/scout-dht/scout/scout"
)

func TestKeypairs(t *testing.T) {
	var v keypairsVectors
	loadVectors(t, "keypairs.json", &v)
	nonEmpty(t, "keypairs", len(v.Keypairs))
	for _, c := range v.Keypairs {
		t.Run(c.Name, func(t *testing.T) {
			sk := scout.SecretKey(mustKey(t, c.SecretKey))
			want := scout.PublicKey(mustKey(t, c.PublicKey))
			if got := sk.PublicKey(); got != want {
				t.Fatalf("PublicKey() = %s, want %s", got, want)
			}
			parsed, err := scout.ParsePublicKey(want.String())
			if err != nil || parsed != want {
				t.Fatalf("ParsePublicKey(String()) = %s, %v", parsed, err)
			}
		})
	}
}

func TestExchanges(t *testing.T) {
	var v keypairsVectors
	loadVectors(t, "keypairs.json", &v)
	nonEmpty(t, "exchanges", len(v.Exchanges))
	for _, c := range v.Exchanges {
		t.Run(c.Name, func(t *testing.T) {
			a, b := scout.SecretKey(mustKey(t, c.ASecretKey)), scout.SecretKey(mustKey(t, c.BSecretKey))
			apub, bpub := scout.PublicKey(mustKey(t, c.APublicKey)), scout.PublicKey(mustKey(t, c.BPublicKey))
			want := scout.SharedSecret(mustKey(t, c.Shared))
			if a.PublicKey() != apub || b.PublicKey() != bpub {
				t.Fatal("public keys differ from the vector")
			}
			ab, err := scout.KeyExchange(a, bpub)
			if err != nil || ab != want {
				t.Fatalf("KeyExchange(a, B) = %x, %v; want %x", ab, err, want)
			}
			ba, err := scout.KeyExchange(b, apub)
			if err != nil || ba != want {
				t.Fatalf("KeyExchange(b, A) = %x, %v; want %x", ba, err, want)
			}
		})
	}
}

func TestPublicKeyHighBit(t *testing.T) {
	var v keypairsVectors
	loadVectors(t, "keypairs.json", &v)
	nonEmpty(t, "public_key_high_bit", len(v.PublicKeyHighBit))
	for _, c := range v.PublicKeyHighBit {
		t.Run(c.Name, func(t *testing.T) {
			pub := scout.PublicKey(mustKey(t, c.PublicKey))
			if pub[31]&0x80 == 0 {
				t.Fatal("vector's public key does not have bit 255 set")
			}
			got, err := scout.KeyExchange(scout.SecretKey(mustKey(t, c.SecretKey)), pub)
			if err != nil || got != scout.SharedSecret(mustKey(t, c.Shared)) {
				t.Fatalf("KeyExchange = %x, %v; want %x", got, err, []byte(c.Shared))
			}
		})
	}
}

func TestExchangeFailures(t *testing.T) {
	var v keypairsVectors
	loadVectors(t, "keypairs.json", &v)
	nonEmpty(t, "exchange_failures", len(v.ExchangeFailures))
	for _, c := range v.ExchangeFailures {
		t.Run(c.Name, func(t *testing.T) {
			got, err := scout.KeyExchange(scout.SecretKey(mustKey(t, c.SecretKey)), scout.PublicKey(mustKey(t, c.PublicKey)))
			checkKind(t, err, scout.ErrInvalidArgument)
			if got != (scout.SharedSecret{}) {
				t.Fatalf("KeyExchange returned %x with its error", got)
			}
		})
	}
}

func TestGenerateKeyPair(t *testing.T) {
	sk1, pk1, err := scout.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	sk2, pk2, err := scout.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if sk1 == sk2 || pk1 == pk2 {
		t.Fatal("two generated key pairs are equal")
	}
	if sk1.PublicKey() != pk1 || sk2.PublicKey() != pk2 {
		t.Fatal("public key does not match the secret key")
	}
	s12, err1 := scout.KeyExchange(sk1, pk2)
	s21, err2 := scout.KeyExchange(sk2, pk1)
	if err1 != nil || err2 != nil || s12 != s21 {
		t.Fatalf("exchange: %x %v, %x %v", s12, err1, s21, err2)
	}
}

func TestSigningKeys(t *testing.T) {
	var v signingVectors
	loadVectors(t, "signing.json", &v)
	nonEmpty(t, "keys", len(v.Keys))
	for _, c := range v.Keys {
		t.Run(c.Name, func(t *testing.T) {
			s := scout.SharedSecret(mustKey(t, c.SharedSecret))
			if got := s.SigningKey(); !bytes.Equal(got, c.Ed25519SecretKey) {
				t.Fatalf("SigningKey() = %x, want %x", []byte(got), []byte(c.Ed25519SecretKey))
			}
			if got := s.SigningPublicKey(); got != mustKey(t, c.Ed25519PublicKey) {
				t.Fatalf("SigningPublicKey() = %x, want %x", got, []byte(c.Ed25519PublicKey))
			}
			if got := s.Target(); got != mustHash(t, c.Target) {
				t.Fatalf("Target() = %s, want %x", got, []byte(c.Target))
			}
		})
	}
}

func TestSignatures(t *testing.T) {
	var v signingVectors
	loadVectors(t, "signing.json", &v)
	nonEmpty(t, "signatures", len(v.Signatures))
	for _, c := range v.Signatures {
		t.Run(c.Name, func(t *testing.T) {
			s := scout.SharedSecret(mustKey(t, c.SharedSecret))
			pub := mustKey(t, c.Ed25519PublicKey)
			if s.SigningPublicKey() != pub {
				t.Fatal("signing public key differs from the vector")
			}
			if got := scout.SignedBuffer(c.Seq, c.BencodedV); !bytes.Equal(got, c.SignedBuffer) {
				t.Fatalf("signed buffer = %q, want %q", got, []byte(c.SignedBuffer))
			}
			sig := scout.SignMutable(s.SigningKey(), c.Seq, c.BencodedV)
			if !bytes.Equal(sig[:], c.Signature) {
				t.Fatalf("SignMutable = %x, want %x", sig, []byte(c.Signature))
			}
			if !scout.VerifyMutable(pub, c.Seq, c.BencodedV, sig) {
				t.Fatal("VerifyMutable refuses the vector's signature")
			}
			// The vector's value is a bencoded byte string.
			inner, err := scout.ParseBencodedBytes(c.BencodedV)
			if err != nil || !bytes.Equal(scout.BencodeBytes(inner), c.BencodedV) {
				t.Fatalf("bencoded value does not round-trip: %v", err)
			}
		})
	}
}

func TestBadSignatures(t *testing.T) {
	var v signingVectors
	loadVectors(t, "signing.json", &v)
	nonEmpty(t, "bad_signatures", len(v.BadSignatures))
	for _, c := range v.BadSignatures {
		t.Run(c.Name, func(t *testing.T) {
			if len(c.Signature) != scout.SignatureSize {
				t.Fatalf("signature of %d bytes", len(c.Signature))
			}
			if scout.VerifyMutable(mustKey(t, c.Ed25519PublicKey), c.Seq, c.BencodedV, [64]byte(c.Signature)) {
				t.Fatal("VerifyMutable accepts a bad signature")
			}
		})
	}
}

func TestEndToEnd(t *testing.T) {
	var v signingVectors
	loadVectors(t, "signing.json", &v)
	nonEmpty(t, "end_to_end", len(v.EndToEnd))
	for _, c := range v.EndToEnd {
		t.Run(c.Name, func(t *testing.T) {
			shared, err := scout.KeyExchange(scout.SecretKey(mustKey(t, c.MySecretKey)), scout.PublicKey(mustKey(t, c.PeerPublicKey)))
			if err != nil || shared != scout.SharedSecret(mustKey(t, c.SharedSecret)) {
				t.Fatalf("KeyExchange = %x, %v", shared, err)
			}
			if shared.SigningPublicKey() != mustKey(t, c.Ed25519PublicKey) {
				t.Fatal("signing public key differs")
			}
			if shared.Target() != mustHash(t, c.Target) {
				t.Fatal("target differs")
			}
			plaintext, err := toEntries(t, c.Entries).MarshalBinary()
			if err != nil || !bytes.Equal(plaintext, c.Plaintext) {
				t.Fatalf("MarshalBinary = %x, %v; want %x", plaintext, err, []byte(c.Plaintext))
			}
			if len(c.Nonce) != scout.NonceSize {
				t.Fatalf("nonce of %d bytes", len(c.Nonce))
			}
			sealed, err := scout.SealWithNonce(shared, [24]byte(c.Nonce), plaintext)
			if err != nil {
				t.Fatal(err)
			}
			bv := scout.BencodeBytes(sealed)
			if !bytes.Equal(bv, c.BencodedV) {
				t.Fatalf("bencoded v = %x, want %x", bv, []byte(c.BencodedV))
			}
			sig := scout.SignMutable(shared.SigningKey(), c.Seq, bv)
			if !bytes.Equal(sig[:], c.Signature) {
				t.Fatalf("signature = %x, want %x", sig, []byte(c.Signature))
			}
			if !scout.VerifyMutable(shared.SigningPublicKey(), c.Seq, bv, sig) {
				t.Fatal("signature does not verify")
			}
			// And the reader's way back: v → sealed → entries.
			got, err := scout.ParseBencodedBytes(c.BencodedV)
			if err != nil {
				t.Fatal(err)
			}
			l, err := scout.OpenEntries(shared, got)
			if err != nil {
				t.Fatal(err)
			}
			checkEntries(t, l, c.Entries)
		})
	}
}

func TestSignMutableRoundTrip(t *testing.T) {
	s := scout.SharedSecret{1, 2, 3}
	v := scout.BencodeBytes([]byte("hello"))
	for _, seq := range []int64{-1 << 63, -1, 0, 1, 1<<63 - 1} {
		sig := scout.SignMutable(s.SigningKey(), seq, v)
		if !scout.VerifyMutable(s.SigningPublicKey(), seq, v, sig) {
			t.Fatalf("seq %d: own signature does not verify", seq)
		}
		if scout.VerifyMutable(s.SigningPublicKey(), seq^1, v, sig) {
			t.Fatalf("seq %d: signature verifies for another seq", seq)
		}
	}
	pub := s.SigningPublicKey()
	if got := s.SigningKey().Public().(ed25519.PublicKey); !bytes.Equal(got, pub[:]) {
		t.Fatal("SigningPublicKey differs from SigningKey().Public()")
	}
}

func TestHashAndKeyText(t *testing.T) {
	const h40 = "000102030405060708090a0b0c0d0e0f10111213"
	h, err := scout.ParseHash(h40)
	if err != nil || h.String() != h40 || h.IsZero() {
		t.Fatalf("ParseHash = %s, %v", h, err)
	}
	if u, err := scout.ParseHash(strings.ToUpper(h40)); err != nil || u != h {
		t.Fatalf("upper-case hash: %s, %v", u, err)
	}
	if !(scout.Hash{}).IsZero() {
		t.Fatal("zero hash is not IsZero")
	}
	for _, bad := range []string{"", h40[:39], h40 + "0", h40[:38] + "zz", h40[:39] + " "} {
		got, err := scout.ParseHash(bad)
		checkKind(t, err, scout.ErrInvalidArgument)
		if !got.IsZero() {
			t.Fatalf("ParseHash(%q) returned %s with its error", bad, got)
		}
	}
	const k64 = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
	k, err := scout.ParsePublicKey(k64)
	if err != nil || k.String() != k64 {
		t.Fatalf("ParsePublicKey = %s, %v", k, err)
	}
	for _, bad := range []string{"", k64[:63], k64 + "00", "g" + k64[1:]} {
		_, err := scout.ParsePublicKey(bad)
		checkKind(t, err, scout.ErrInvalidArgument)
	}
}

func TestBencodeBytes(t *testing.T) {
	for _, s := range []string{"", "a", "abc", strings.Repeat("x", 9), strings.Repeat("x", 10), strings.Repeat("y", 996)} {
		enc := scout.BencodeBytes([]byte(s))
		if want := strings.Join([]string{strconv.Itoa(len(s)), s}, ":"); string(enc) != want {
			t.Fatalf("BencodeBytes(%d bytes) = %.20q…", len(s), enc)
		}
		dec, err := scout.ParseBencodedBytes(enc)
		if err != nil || string(dec) != s || dec == nil {
			t.Fatalf("ParseBencodedBytes(%.20q…) = %.20q…, %v", enc, dec, err)
		}
	}
	for _, bad := range []string{
		"", "3", ":", ":abc", "01:a", "00:", "-1:", "+1:a", "1 :a", "a:", "3:ab", "1:ab", "0:x",
		"99999999999999999999999999:x", "i1e", "l1:ae",
	} {
		_, err := scout.ParseBencodedBytes([]byte(bad))
		checkKind(t, err, scout.ErrInvalidArgument)
		var pe *scout.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("ParseBencodedBytes(%q): %T, want *ParseError", bad, err)
		}
	}
}

// BenchmarkKeyExchange measures one X25519 exchange, the cost every pair
// pays before anything else (libsodium's crypto_scalarmult is the yardstick).
func BenchmarkKeyExchange(b *testing.B) {
	sk, _, err := scout.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	_, peer, err := scout.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := scout.KeyExchange(sk, peer); err != nil {
			b.Fatal(err)
		}
	}
}

// TestKeyExchangeMatchesECDH checks KeyExchange and PublicKey against
// crypto/ecdh on random keys, peers with bit 255 set and unreduced ones.
func TestKeyExchangeMatchesECDH(t *testing.T) {
	for i := range 300 {
		var sk scout.SecretKey
		var peer scout.PublicKey
		rand.Read(sk[:])
		rand.Read(peer[:])
		switch i % 3 {
		case 1:
			peer[31] |= 0x80
		case 2: // 2^255 - 19 + peer[0]%19 is at least the field's prime
			peer = scout.PublicKey{0xed + peer[0]%19}
			for j := 1; j < 31; j++ {
				peer[j] = 0xff
			}
			peer[31] = 0x7f | peer[31]&0x80
		}
		priv, err := ecdh.X25519().NewPrivateKey(sk[:])
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sk.PublicKey(), priv.PublicKey().Bytes(); !bytes.Equal(got[:], want) {
			t.Fatalf("PublicKey(%x) = %x, want %x", sk, got, want)
		}
		pub, err := ecdh.X25519().NewPublicKey(peer[:])
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := priv.ECDH(pub)
		got, err := scout.KeyExchange(sk, peer)
		switch {
		case wantErr != nil:
			checkKind(t, err, scout.ErrInvalidArgument)
		case err != nil || !bytes.Equal(got[:], want):
			t.Fatalf("KeyExchange(%x, %x) = %x, %v; want %x", sk, peer, got, err, want)
		}
	}
}
