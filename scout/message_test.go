package scout_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/scout-dht/scout/scout"
)

func TestBlobs(t *testing.T) {
	var v messagesVectors
	loadVectors(t, "messages.json", &v)
	nonEmpty(t, "blobs", len(v.Blobs))
	for _, c := range v.Blobs {
		t.Run(c.Name, func(t *testing.T) {
			next := mustHash(t, c.NextHash)
			if fits := c.BencodedLength <= scout.MaxBencodedValue; fits != c.FitsBEP44 {
				t.Fatalf("vector: %d bytes bencoded, fits %v", c.BencodedLength, c.FitsBEP44)
			}
			if len(c.BencodedV) != c.BencodedLength {
				t.Fatalf("vector: bencoded_v of %d bytes, bencoded_length %d", len(c.BencodedV), c.BencodedLength)
			}
			// The codec itself, whether or not a put would accept it.
			if got := scout.BencodeBytes(c.Blob); !bytes.Equal(got, c.BencodedV) {
				t.Fatalf("BencodeBytes(blob) = %x, want %x", got, []byte(c.BencodedV))
			}
			if got := scout.MessageHash(c.Blob); got != mustHash(t, c.Target) {
				t.Fatalf("MessageHash = %s, want %x", got, []byte(c.Target))
			}
			msg, gotNext, err := scout.ParseMessage(c.Blob)
			if err != nil || !bytes.Equal(msg, c.Message) || gotNext != next {
				t.Fatalf("ParseMessage = %x, %s, %v", msg, gotNext, err)
			}

			blob, err := scout.EncodeMessage(next, c.Message)
			if !c.FitsBEP44 {
				checkKind(t, err, scout.ErrTooLarge)
				var le *scout.LimitError
				if !errors.As(err, &le) || le.Size != len(c.Message) || le.Limit != scout.MaxMessageSize {
					t.Fatalf("error %v: want a LimitError", err)
				}
				head := scout.ListHead(next)
				if _, err := head.PushFront(c.Message); !errors.Is(err, scout.ErrTooLarge) || head.Hash() != next {
					t.Fatalf("PushFront of a message too large: %v, head %s", err, head.Hash())
				}
				return
			}
			if err != nil || !bytes.Equal(blob, c.Blob) {
				t.Fatalf("EncodeMessage = %x, %v; want %x", blob, err, []byte(c.Blob))
			}
			head := scout.ListHead(next)
			token, err := head.PushFront(c.Message)
			if err != nil || token != next || head.Hash() != mustHash(t, c.Target) {
				t.Fatalf("PushFront = %s, %v; head %s", token, err, head.Hash())
			}
		})
	}
}

func TestMessageParseOnly(t *testing.T) {
	var v messagesVectors
	loadVectors(t, "messages.json", &v)
	nonEmpty(t, "parse_only", len(v.ParseOnly))
	for _, c := range v.ParseOnly {
		t.Run(c.Name, func(t *testing.T) {
			msg, next, err := scout.ParseMessage(c.Blob)
			if err != nil || !bytes.Equal(msg, c.Message) || next != mustHash(t, c.NextHash) {
				t.Fatalf("ParseMessage = %x, %s, %v; want %x, %x", msg, next, err, []byte(c.Message), []byte(c.NextHash))
			}
		})
	}
}

func TestMessageParseInvalid(t *testing.T) {
	var v messagesVectors
	loadVectors(t, "messages.json", &v)
	nonEmpty(t, "parse_invalid", len(v.ParseInvalid))
	for _, c := range v.ParseInvalid {
		t.Run(c.Name, func(t *testing.T) {
			msg, next, err := scout.ParseMessage(c.Blob)
			checkKind(t, err, scout.ErrInvalidArgument)
			var pe *scout.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%T, want *ParseError", err)
			}
			if msg != nil || !next.IsZero() {
				t.Fatal("partial result with the error")
			}
		})
	}
}

func TestMessageList(t *testing.T) {
	var v messagesVectors
	loadVectors(t, "messages.json", &v)
	nonEmpty(t, "list.push_front", len(v.List.PushFront))
	nonEmpty(t, "list.walk", len(v.List.Walk))
	var head scout.ListHead
	if head.Hash() != mustHash(t, v.List.EmptyHead) || !head.Hash().IsZero() {
		t.Fatal("the zero ListHead is not the vector's empty head")
	}
	store := make(map[scout.Hash][]byte) // what the DHT would hold
	for i, c := range v.List.PushFront {
		t.Run("push_front_"+string(rune('0'+i)), func(t *testing.T) {
			if head.Hash() != mustHash(t, c.HeadBefore) {
				t.Fatalf("head before = %s, want %x", head.Hash(), []byte(c.HeadBefore))
			}
			token, err := head.PushFront(c.Message)
			if err != nil || token != mustHash(t, c.Token) {
				t.Fatalf("PushFront = %s, %v; want token %x", token, err, []byte(c.Token))
			}
			blob, err := scout.EncodeMessage(token, c.Message)
			if err != nil || !bytes.Equal(blob, c.Blob) {
				t.Fatalf("blob = %x, %v; want %x", blob, err, []byte(c.Blob))
			}
			if bv := scout.BencodeBytes(blob); !bytes.Equal(bv, c.BencodedV) {
				t.Fatalf("bencoded v = %x, want %x", bv, []byte(c.BencodedV))
			}
			if head.Hash() != mustHash(t, c.HeadAfter) || scout.MessageHash(blob) != head.Hash() {
				t.Fatalf("head after = %s, want %x", head.Hash(), []byte(c.HeadAfter))
			}
			store[head.Hash()] = blob
		})
	}
	if head.Hash() != mustHash(t, v.List.FinalHead) {
		t.Fatalf("final head = %s, want %x", head.Hash(), []byte(v.List.FinalHead))
	}
	at := head.Hash()
	for i, c := range v.List.Walk {
		t.Run("walk_"+string(rune('0'+i)), func(t *testing.T) {
			if at != mustHash(t, c.Target) {
				t.Fatalf("walk reached %s, want %x", at, []byte(c.Target))
			}
			blob, ok := store[at]
			if !ok {
				t.Fatalf("no message stored under %s", at)
			}
			msg, next, err := scout.ParseMessage(blob)
			if err != nil || !bytes.Equal(msg, c.Message) || next != mustHash(t, c.NextHash) {
				t.Fatalf("ParseMessage = %q, %s, %v", msg, next, err)
			}
			at = next
		})
	}
	if !at.IsZero() {
		t.Fatalf("the walk ends at %s, not at the zero hash", at)
	}
}

func FuzzParseMessage(f *testing.F) {
	var v messagesVectors
	loadVectors(f, "messages.json", &v)
	for _, c := range v.Blobs {
		f.Add([]byte(c.Blob))
	}
	for _, c := range v.ParseOnly {
		f.Add([]byte(c.Blob))
	}
	for _, c := range v.ParseInvalid {
		f.Add([]byte(c.Blob))
	}
	for _, c := range v.List.PushFront {
		f.Add([]byte(c.Blob))
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		in := bytes.Clone(blob)
		msg, next, err := scout.ParseMessage(blob)
		if !bytes.Equal(in, blob) {
			t.Fatal("ParseMessage changed its input")
		}
		if err != nil {
			checkKind(t, err, scout.ErrInvalidArgument)
			var pe *scout.ParseError
			if !errors.As(err, &pe) || msg != nil || !next.IsZero() {
				t.Fatalf("error %v (%T) with a partial result", err, err)
			}
			return
		}
		if len(blob) < scout.MessageHeaderSize+len(msg) || next != scout.Hash(blob) {
			t.Fatalf("%d-byte message, next %s, from %d bytes", len(msg), next, len(blob))
		}
		if len(msg) > 0 && &msg[0] == &blob[len(blob)-1] {
			t.Fatal("message aliases the input")
		}
		enc, err := scout.EncodeMessage(next, msg)
		if len(msg) > scout.MaxMessageSize {
			checkKind(t, err, scout.ErrTooLarge)
			return
		}
		if err != nil || len(enc) > len(blob) {
			t.Fatalf("EncodeMessage: %d bytes, %v", len(enc), err)
		}
		msg2, next2, err := scout.ParseMessage(enc)
		if err != nil || !bytes.Equal(msg2, msg) || next2 != next {
			t.Fatalf("round trip: %v", err)
		}
		head := scout.ListHead(next)
		if token, err := head.PushFront(msg); err != nil || token != next || head.Hash() != scout.MessageHash(enc) {
			t.Fatalf("PushFront: %v", err)
		}
	})
}
