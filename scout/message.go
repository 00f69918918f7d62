package scout

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
)

// Sizes of an offline message blob: next hash (20) ‖ u16 length ‖ u8 offset
// ‖ message. The largest message makes a 996-byte blob, 1000 bytes once
// bencoded.
const (
	MessageHeaderSize = HashSize + 3                             // 23
	MaxMessageSize    = MaxBencodedValue - 4 - MessageHeaderSize // 973
)

// ListToken is the hash a message carries to the next (older) message: the
// list's head before the message was pushed.
type ListToken = Hash

// ListHead is the head of a list of offline messages: the target of the
// newest one. The zero value is an empty list.
type ListHead Hash

// PushFront makes contents the newest message of the list. It returns the
// token the message carries (the old head) and moves h to the new message's
// target, SHA1(BencodeBytes(EncodeMessage(old head, contents))). A message
// longer than MaxMessageSize is refused with an error matching ErrTooLarge,
// and h is left as it was.
func (h *ListHead) PushFront(contents []byte) (ListToken, error) {
	token := ListToken(*h)
	blob, err := EncodeMessage(token, contents)
	if err != nil {
		return ListToken{}, err
	}
	*h = ListHead(MessageHash(blob))
	return token, nil
}

// Hash returns the head as a Hash: the target of the newest message.
func (h ListHead) Hash() Hash { return Hash(h) }

// EncodeMessage returns the blob stored for msg: next ‖ u16 len(msg) ‖ u8
// offset (0) ‖ msg. A message longer than MaxMessageSize, which would not fit
// in a BEP 44 value, is refused with an error matching ErrTooLarge.
func EncodeMessage(next Hash, msg []byte) ([]byte, error) {
	if len(msg) > MaxMessageSize {
		return nil, &LimitError{What: "message", Size: len(msg), Limit: MaxMessageSize}
	}
	out := make([]byte, 0, MessageHeaderSize+len(msg))
	out = append(out, next[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(msg)))
	out = append(out, 0)
	return append(out, msg...), nil
}

// ParseMessage reads a blob: it honours the message offset and ignores the
// bytes after the message. The message is a copy. A blob whose header or
// message runs past the end gives a *ParseError (matching
// ErrInvalidArgument).
func ParseMessage(blob []byte) (msg []byte, next Hash, err error) {
	fail := func(off int, reason string) ([]byte, Hash, error) {
		return nil, Hash{}, &ParseError{What: "message blob", Offset: off, Reason: reason}
	}
	if len(blob) < MessageHeaderSize {
		return fail(len(blob), "header truncated")
	}
	length := int(binary.BigEndian.Uint16(blob[HashSize:]))
	pos := MessageHeaderSize + int(blob[HashSize+2])
	if pos > len(blob) {
		return fail(len(blob), "message offset runs past the end")
	}
	if len(blob)-pos < length {
		return fail(len(blob), "message length runs past the end")
	}
	return bytes.Clone(blob[pos : pos+length]), Hash(blob[:HashSize]), nil
}

// MessageHash returns SHA1(BencodeBytes(blob)): the target of the immutable
// item that stores blob.
func MessageHash(blob []byte) Hash { return sha1.Sum(BencodeBytes(blob)) }
