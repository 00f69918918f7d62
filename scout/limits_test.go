package scout_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/nacl/secretbox"

	"github.com/scout-dht/scout/scout"
)

func TestLimits(t *testing.T) {
	var v limitsVectors
	loadVectors(t, "limits.json", &v)
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"bep44_max_bencoded_v", scout.MaxBencodedValue, v.BEP44MaxBencodedV},
		{"entries_header_size", scout.EntriesHeaderSize, v.EntriesHeaderSize},
		{"entry_header_size", scout.EntryHeaderSize, v.EntryHeaderSize},
		{"entry_max_content_length", scout.MaxValueSize, v.EntryMaxContentLength},
		{"entry_list_max_count", scout.MaxEntries, v.EntryListMaxCount},
		{"nonce_size", scout.NonceSize, v.NonceSize},
		{"mac_size", secretbox.Overhead, v.MACSize},
		{"seal_overhead", scout.SealOverhead, v.SealOverhead},
		{"min_sealed_length_accepted", scout.MinSealedSize, v.MinSealedLengthAccepted},
		{"max_sealed_plaintext", scout.MaxPlaintext, v.MaxSealedPlaintext},
		{"max_sealed_length", scout.MaxSealedSize, v.MaxSealedLength},
		{"msg_header_size", scout.MessageHeaderSize, v.MsgHeaderSize},
		{"max_message_length", scout.MaxMessageSize, v.MaxMessageLength},
		{"max_message_blob_length", scout.MessageHeaderSize + scout.MaxMessageSize, v.MaxMessageBlobLength},
		{"hash_size", scout.HashSize, v.HashSize},
		{"key_size", scout.KeySize, v.KeySize},
		{"ed25519_signature_size", scout.SignatureSize, v.Ed25519SignatureSize},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("%d, vector says %d", c.got, c.want)
			}
		})
	}

	// The most entries of a given size that SealEntries accepts.
	for _, c := range []struct {
		name     string
		size     int
		mostThat int
	}{
		{"max_entries_empty_content_sealable", 0, v.MaxEntriesEmptyContentSealable},
		{"max_entries_content_255_sealable", scout.MaxValueSize, v.MaxEntriesContent255Sealable},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := scout.NewEntries()
			for id := range uint32(c.mostThat) {
				if _, err := l.Assign(id, make([]byte, c.size)); err != nil {
					t.Fatal(err)
				}
			}
			sealed, err := scout.SealEntries(scout.SharedSecret{}, l)
			if err != nil || len(scout.BencodeBytes(sealed)) > scout.MaxBencodedValue {
				t.Fatalf("%d entries: %d bytes, %v", c.mostThat, len(sealed), err)
			}
			if _, err := l.Assign(uint32(c.mostThat), make([]byte, c.size)); err != nil {
				t.Fatal(err)
			}
			_, err = scout.SealEntries(scout.SharedSecret{}, l)
			checkKind(t, err, scout.ErrTooLarge)
		})
	}

	t.Run("max_message_blob_length_encoded", func(t *testing.T) {
		blob, err := scout.EncodeMessage(scout.Hash{}, make([]byte, v.MaxMessageLength))
		if err != nil || len(blob) != v.MaxMessageBlobLength {
			t.Fatalf("EncodeMessage(%d bytes) = %d bytes, %v", v.MaxMessageLength, len(blob), err)
		}
	})
}

func TestLimitExamples(t *testing.T) {
	var v limitsVectors
	loadVectors(t, "limits.json", &v)
	nonEmpty(t, "examples", len(v.Examples))
	for _, c := range v.Examples {
		// Examples have no name: kind and length make one.
		t.Run(fmt.Sprintf("%s_%d", c.Kind, c.Length), func(t *testing.T) {
			var out []byte
			var err error
			switch c.Kind {
			case "entry_list_plaintext":
				out, err = scout.SealWithNonce(scout.SharedSecret{}, [24]byte{}, make([]byte, c.Length))
				if err != nil {
					out = make([]byte, c.Length+scout.SealOverhead) // what it would have been
				}
			case "message":
				out, err = scout.EncodeMessage(scout.Hash{}, make([]byte, c.Length))
				if err != nil {
					out = make([]byte, c.Length+scout.MessageHeaderSize)
				}
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
			if got := len(scout.BencodeBytes(out)); got != c.BencodedVLength {
				t.Fatalf("bencoded v of %d bytes, want %d", got, c.BencodedVLength)
			}
			if c.Fits != (c.BencodedVLength <= scout.MaxBencodedValue) {
				t.Fatal("vector: fits disagrees with the BEP 44 limit")
			}
			if c.Fits {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			checkKind(t, err, scout.ErrTooLarge)
			var le *scout.LimitError
			if !errors.As(err, &le) || le.Size != c.Length {
				t.Fatalf("error %v: want a LimitError of size %d", err, c.Length)
			}
		})
	}
}
