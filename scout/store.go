package scout

import (
	"bytes"
	"container/list"
	"crypto/ed25519"
	"crypto/sha1"
	"strconv"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/jackpal/bencode-go"
)

// StoreLimits bound what a node keeps for others. The zero value means the
// defaults.
type StoreLimits struct {
	MaxItems int           // zero: 10000
	MaxBytes int           // zero: 16 MiB
	TTL      time.Duration // zero: 2 hours (BEP 44's suggestion)
}

// item is one BEP 44 item as stored.
type item struct {
	target  nodeID
	value   any    // the decoded v, re-encoded for get replies
	bv      []byte // the bencoded v
	mutable bool
	k       [32]byte
	sig     [64]byte
	seq     int64
	salt    []byte
	stored  time.Time
	elem    *list.Element
}

func (it *item) size() int { return len(it.bv) + len(it.salt) + 160 }

// store keeps the items other nodes put here, under BEP 44's rules: a
// mutable item is replaced only by a higher seq (or the same seq and value,
// which refreshes it), and a put carrying cas must name the stored seq. It is
// bounded in count and bytes, oldest out first, and items expire.
type store struct {
	mu     sync.Mutex
	limits StoreLimits
	items  map[nodeID]*item
	order  *list.List // oldest first
	bytes  int
}

func newStore(limits StoreLimits) *store {
	if limits.MaxItems <= 0 {
		limits.MaxItems = 10000
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = 16 << 20
	}
	if limits.TTL <= 0 {
		limits.TTL = 2 * time.Hour
	}
	return &store{limits: limits, items: make(map[nodeID]*item), order: list.New()}
}

// The krpc errors of BEP 44.
var (
	errV         = krpc.Error{Code: krpc.ErrorCodeProtocolError, Msg: "missing or unencodable v"}
	errTooBig    = krpc.Error{Code: krpc.ErrorCodeMessageValueFieldTooBig, Msg: "message (v field) too big"}
	errSig       = krpc.Error{Code: krpc.ErrorCodeInvalidSignature, Msg: "invalid signature"}
	errSalt      = krpc.Error{Code: krpc.ErrorCodeSaltFieldTooBig, Msg: "salt (salt field) too big"}
	errNoSeq     = krpc.Error{Code: krpc.ErrorCodeProtocolError, Msg: "mutable put without seq"}
	errCas       = krpc.Error{Code: krpc.ErrorCodeCasHashMismatched, Msg: "the CAS hash mismatched, re-read value and try again"}
	errSeqTooLow = krpc.Error{Code: krpc.ErrorCodeSequenceNumberLessThanCurrent, Msg: "sequence number less than current"}
)

// saltedSignedBuffer is what a mutable item's signature covers (BEP 44).
func saltedSignedBuffer(salt []byte, seq int64, bv []byte) []byte {
	var b []byte
	if len(salt) > 0 {
		b = append(b, "4:salt"...)
		b = append(b, BencodeBytes(salt)...)
	}
	b = append(b, "3:seqi"...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "e1:v"...)
	return append(b, bv...)
}

// putArgs checks a put query's arguments and stores the item.
func (s *store) putArgs(a *krpc.MsgArgs) error {
	if a.V == nil {
		return errV
	}
	var buf bytes.Buffer
	if err := bencode.Marshal(&buf, a.V); err != nil {
		return errV
	}
	it := &item{value: a.V, bv: buf.Bytes()}
	if len(it.bv) > MaxBencodedValue {
		return errTooBig
	}
	if a.K == [32]byte{} {
		it.target = nodeID(sha1.Sum(it.bv))
		return s.put(it, 0)
	}
	if len(a.Salt) > 64 {
		return errSalt
	}
	if a.Seq == nil {
		return errNoSeq
	}
	it.mutable, it.k, it.sig, it.seq, it.salt = true, a.K, a.Sig, *a.Seq, a.Salt
	if !ed25519.Verify(a.K[:], saltedSignedBuffer(a.Salt, it.seq, it.bv), a.Sig[:]) {
		return errSig
	}
	it.target = nodeID(sha1.Sum(append(a.K[:], a.Salt...)))
	return s.put(it, a.Cas)
}

// put stores a checked item. cas is the seq the writer expects to replace
// (0: none given).
func (s *store) put(it *item, cas int64) error {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.items[it.target]
	if old != nil && now.Sub(old.stored) > s.limits.TTL {
		s.dropLocked(old)
		old = nil
	}
	if old != nil && it.mutable {
		if cas != 0 && cas != old.seq {
			return errCas
		}
		if it.seq < old.seq || it.seq == old.seq && !bytes.Equal(it.bv, old.bv) {
			return errSeqTooLow
		}
	}
	if old != nil {
		s.dropLocked(old)
	}
	it.stored = now
	it.elem = s.order.PushBack(it)
	s.items[it.target] = it
	s.bytes += it.size()
	for s.order.Len() > s.limits.MaxItems || s.bytes > s.limits.MaxBytes {
		s.dropLocked(s.order.Front().Value.(*item))
	}
	return nil
}

func (s *store) dropLocked(it *item) {
	s.order.Remove(it.elem)
	delete(s.items, it.target)
	s.bytes -= it.size()
}

// get returns the live item under target.
func (s *store) get(target nodeID) (*item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.items[target]
	if it == nil {
		return nil, false
	}
	if time.Since(it.stored) > s.limits.TTL {
		s.dropLocked(it)
		return nil, false
	}
	return it, true
}

// stats reports how many items and bytes the store holds.
func (s *store) stats() (items, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items), s.bytes
}
