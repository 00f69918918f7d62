package scout_test

// Loading the shared wire-format vectors (shared/vectors/*.json, described in
// its README.md). Every file is decoded strictly: a field or section the
// tests do not know about fails the run, so a new vector cannot go untested.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/scout-dht/scout/scout"
)

// vectorFiles are the files in shared/vectors that the tests cover.
var vectorFiles = []string{
	"entries.json", "keypairs.json", "limits.json", "messages.json", "sealed.json", "signing.json",
}

var vectorDir = sync.OnceValues(func() (string, error) {
	if dir := os.Getenv("SCOUT_VECTORS"); dir != "" {
		return dir, nil
	}
	// Walk up from the package directory: shared/ sits beside the repository
	// root, or inside it in a checkout that carries it along.
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, "shared", "vectors")
		if _, err := os.Stat(filepath.Join(candidate, "entries.json")); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no shared/vectors above the working directory; set SCOUT_VECTORS")
		}
		dir = parent
	}
})

// loadVectors decodes one vector file into v, strictly.
func loadVectors(tb testing.TB, file string, v any) {
	tb.Helper()
	dir, err := vectorDir()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
}

// nonEmpty fails if a section of a vector file has no case.
func nonEmpty(tb testing.TB, section string, n int) {
	tb.Helper()
	if n == 0 {
		tb.Fatalf("vector section %s has no case", section)
	}
}

func TestVectorFilesAllCovered(t *testing.T) {
	dir, err := vectorDir()
	if err != nil {
		t.Fatal(err)
	}
	found, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range found {
		names = append(names, filepath.Base(f))
	}
	slices.Sort(names)
	if !slices.Equal(names, vectorFiles) {
		t.Fatalf("vector files %v, tests cover %v", names, vectorFiles)
	}
}

// hexBytes is a byte string written as lower-case hex.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := hex.DecodeString(s)
	*h = b
	return err
}

type vecEntry struct {
	ID      uint32   `json:"id"`
	Seq     int64    `json:"seq"`
	Content hexBytes `json:"content"`
}

type keypairsVectors struct {
	Description string `json:"description"`
	Keypairs    []struct {
		Name      string   `json:"name"`
		SecretKey hexBytes `json:"secret_key"`
		PublicKey hexBytes `json:"public_key"`
	} `json:"keypairs"`
	Exchanges []struct {
		Name       string   `json:"name"`
		ASecretKey hexBytes `json:"a_secret_key"`
		APublicKey hexBytes `json:"a_public_key"`
		BSecretKey hexBytes `json:"b_secret_key"`
		BPublicKey hexBytes `json:"b_public_key"`
		Shared     hexBytes `json:"shared"`
	} `json:"exchanges"`
	PublicKeyHighBit []struct {
		Name      string   `json:"name"`
		SecretKey hexBytes `json:"secret_key"`
		PublicKey hexBytes `json:"public_key"`
		Shared    hexBytes `json:"shared"`
	} `json:"public_key_high_bit"`
	ExchangeFailures []struct {
		Name      string   `json:"name"`
		SecretKey hexBytes `json:"secret_key"`
		PublicKey hexBytes `json:"public_key"`
	} `json:"exchange_failures"`
}

type signingVectors struct {
	Description string `json:"description"`
	Keys        []struct {
		Name             string   `json:"name"`
		SharedSecret     hexBytes `json:"shared_secret"`
		Ed25519PublicKey hexBytes `json:"ed25519_public_key"`
		Ed25519SecretKey hexBytes `json:"ed25519_secret_key"`
		Target           hexBytes `json:"target"`
	} `json:"keys"`
	Signatures []struct {
		Name             string   `json:"name"`
		SharedSecret     hexBytes `json:"shared_secret"`
		Ed25519PublicKey hexBytes `json:"ed25519_public_key"`
		Seq              int64    `json:"seq"`
		BencodedV        hexBytes `json:"bencoded_v"`
		SignedBuffer     hexBytes `json:"signed_buffer"`
		Signature        hexBytes `json:"signature"`
	} `json:"signatures"`
	BadSignatures []struct {
		Name             string   `json:"name"`
		Ed25519PublicKey hexBytes `json:"ed25519_public_key"`
		Seq              int64    `json:"seq"`
		BencodedV        hexBytes `json:"bencoded_v"`
		Signature        hexBytes `json:"signature"`
	} `json:"bad_signatures"`
	EndToEnd []struct {
		Name             string     `json:"name"`
		MySecretKey      hexBytes   `json:"my_secret_key"`
		PeerPublicKey    hexBytes   `json:"peer_public_key"`
		SharedSecret     hexBytes   `json:"shared_secret"`
		Ed25519PublicKey hexBytes   `json:"ed25519_public_key"`
		Target           hexBytes   `json:"target"`
		Entries          []vecEntry `json:"entries"`
		Plaintext        hexBytes   `json:"plaintext"`
		Nonce            hexBytes   `json:"nonce"`
		BencodedV        hexBytes   `json:"bencoded_v"`
		Seq              int64      `json:"seq"`
		Signature        hexBytes   `json:"signature"`
	} `json:"end_to_end"`
}

type entriesVectors struct {
	Description    string `json:"description"`
	EntrySerialize []struct {
		Name       string   `json:"name"`
		ID         uint32   `json:"id"`
		Seq        int64    `json:"seq"`
		Content    hexBytes `json:"content"`
		Serialized hexBytes `json:"serialized"`
	} `json:"entry_serialize"`
	Lists []struct {
		Name       string     `json:"name"`
		Entries    []vecEntry `json:"entries"`
		Serialized hexBytes   `json:"serialized"`
	} `json:"lists"`
	ParseOnly []struct {
		Name      string     `json:"name"`
		Input     hexBytes   `json:"input"`
		Entries   []vecEntry `json:"entries"`
		Consumed  int        `json:"consumed"`
		Canonical hexBytes   `json:"canonical"`
	} `json:"parse_only"`
	ParseInvalid []struct {
		Name  string   `json:"name"`
		Input hexBytes `json:"input"`
	} `json:"parse_invalid"`
}

type sealedVectors struct {
	Description string `json:"description"`
	Cases       []struct {
		Name           string     `json:"name"`
		Key            hexBytes   `json:"key"`
		Nonce          hexBytes   `json:"nonce"`
		Entries        []vecEntry `json:"entries"`
		Plaintext      hexBytes   `json:"plaintext"`
		Sealed         hexBytes   `json:"sealed"`
		BencodedV      hexBytes   `json:"bencoded_v"`
		SealedLength   int        `json:"sealed_length"`
		BencodedLength int        `json:"bencoded_length"`
		FitsBEP44      bool       `json:"fits_bep44"`
	} `json:"cases"`
	OpenFailures []struct {
		Name           string   `json:"name"`
		Note           string   `json:"note"`
		Key            hexBytes `json:"key"`
		Sealed         hexBytes `json:"sealed"`
		ValidSecretbox bool     `json:"valid_secretbox"`
	} `json:"open_failures"`
}

type messagesVectors struct {
	Description string `json:"description"`
	Blobs       []struct {
		Name           string   `json:"name"`
		Message        hexBytes `json:"message"`
		NextHash       hexBytes `json:"next_hash"`
		Blob           hexBytes `json:"blob"`
		BencodedV      hexBytes `json:"bencoded_v"`
		Target         hexBytes `json:"target"`
		BencodedLength int      `json:"bencoded_length"`
		FitsBEP44      bool     `json:"fits_bep44"`
	} `json:"blobs"`
	ParseOnly []struct {
		Name     string   `json:"name"`
		Blob     hexBytes `json:"blob"`
		Message  hexBytes `json:"message"`
		NextHash hexBytes `json:"next_hash"`
	} `json:"parse_only"`
	ParseInvalid []struct {
		Name string   `json:"name"`
		Blob hexBytes `json:"blob"`
	} `json:"parse_invalid"`
	List struct {
		EmptyHead hexBytes `json:"empty_head"`
		PushFront []struct {
			Message    hexBytes `json:"message"`
			HeadBefore hexBytes `json:"head_before"`
			Token      hexBytes `json:"token"`
			Blob       hexBytes `json:"blob"`
			BencodedV  hexBytes `json:"bencoded_v"`
			HeadAfter  hexBytes `json:"head_after"`
		} `json:"push_front"`
		FinalHead hexBytes `json:"final_head"`
		Walk      []struct {
			Target   hexBytes `json:"target"`
			Message  hexBytes `json:"message"`
			NextHash hexBytes `json:"next_hash"`
		} `json:"walk"`
	} `json:"list"`
}

type limitsVectors struct {
	Description                    string `json:"description"`
	BEP44MaxBencodedV              int    `json:"bep44_max_bencoded_v"`
	EntriesHeaderSize              int    `json:"entries_header_size"`
	EntryHeaderSize                int    `json:"entry_header_size"`
	EntryMaxContentLength          int    `json:"entry_max_content_length"`
	EntryListMaxCount              int    `json:"entry_list_max_count"`
	NonceSize                      int    `json:"nonce_size"`
	MACSize                        int    `json:"mac_size"`
	SealOverhead                   int    `json:"seal_overhead"`
	MinSealedLengthAccepted        int    `json:"min_sealed_length_accepted"`
	MaxSealedPlaintext             int    `json:"max_sealed_plaintext"`
	MaxSealedLength                int    `json:"max_sealed_length"`
	MaxEntriesEmptyContentSealable int    `json:"max_entries_empty_content_sealable"`
	MaxEntriesContent255Sealable   int    `json:"max_entries_content_255_sealable"`
	MsgHeaderSize                  int    `json:"msg_header_size"`
	MaxMessageLength               int    `json:"max_message_length"`
	MaxMessageBlobLength           int    `json:"max_message_blob_length"`
	HashSize                       int    `json:"hash_size"`
	KeySize                        int    `json:"key_size"`
	Ed25519SignatureSize           int    `json:"ed25519_signature_size"`
	Examples                       []struct {
		Kind            string `json:"kind"`
		Length          int    `json:"length"`
		BencodedVLength int    `json:"bencoded_v_length"`
		Fits            bool   `json:"fits"`
	} `json:"examples"`
}

// Helpers shared by the tests.

// toEntries builds a list from vector entries, verbatim and in order.
func toEntries(tb testing.TB, vs []vecEntry) *scout.Entries {
	tb.Helper()
	l := scout.NewEntries()
	for _, v := range vs {
		if err := l.Set(scout.Entry{ID: v.ID, Seq: v.Seq, Value: v.Content}); err != nil {
			tb.Fatalf("Set(id %d): %v", v.ID, err)
		}
	}
	return l
}

// checkEntries fails unless l holds exactly want, in order.
func checkEntries(tb testing.TB, l *scout.Entries, want []vecEntry) {
	tb.Helper()
	if l == nil {
		tb.Fatal("nil entry list")
	}
	if l.Len() != len(want) {
		tb.Fatalf("%d entries, want %d", l.Len(), len(want))
	}
	for i, w := range want {
		got, _ := l.At(i)
		if got.ID != w.ID || got.Seq != w.Seq || !bytes.Equal(got.Value, w.Content) {
			tb.Fatalf("entry %d = {id %d seq %d value %x}, want {id %d seq %d value %x}",
				i, got.ID, got.Seq, got.Value, w.ID, w.Seq, []byte(w.Content))
		}
	}
}

// sentinels are the error kinds of errors.go.
var sentinels = []error{
	scout.ErrInvalidArgument, scout.ErrTooLarge, scout.ErrNotFound, scout.ErrTimeout,
	scout.ErrCancelled, scout.ErrDecrypt, scout.ErrWrongState, scout.ErrNetwork, scout.ErrConflict,
}

// checkKind fails unless err matches kind and no other error kind.
func checkKind(tb testing.TB, err, kind error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error, want one matching %v", kind)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) != (s == kind) {
			tb.Fatalf("error %q: errors.Is(%v) = %v", err, s, !(s == kind))
		}
	}
}

func mustHash(tb testing.TB, b []byte) scout.Hash {
	tb.Helper()
	if len(b) != scout.HashSize {
		tb.Fatalf("hash of %d bytes", len(b))
	}
	return scout.Hash(b)
}

func mustKey(tb testing.TB, b []byte) [32]byte {
	tb.Helper()
	if len(b) != scout.KeySize {
		tb.Fatalf("key of %d bytes", len(b))
	}
	return [32]byte(b)
}
