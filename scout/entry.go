package scout

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Limits of the entry list, the plaintext of the pair's mutable item.
const (
	MaxValueSize      = 255  // bytes of content in one entry (u8 length)
	MaxEntries        = 255  // entries in one list (u8 count)
	EntriesHeaderSize = 2    // u8 count, u8 offset
	EntryHeaderSize   = 16   // i64 seq, u32 id, 2 reserved, u8 length, u8 offset
	MaxBencodedValue  = 1000 // BEP 44's limit on the bencoded "v"
	MaxSealedSize     = 996  // largest sealed list: "996:" ‖ 996 bytes = 1000
	MaxPlaintext      = 956  // largest list that fits once sealed: 996 - 40
)

// Entry is one value in the list two peers share. Seq orders versions of the
// same ID: the higher one wins a merge.
type Entry struct {
	ID    uint32
	Seq   int64
	Value []byte
}

// clone returns a copy of e that shares no memory with it. The value of a
// copy is never nil, so an empty value compares the same everywhere.
func (e Entry) clone() Entry {
	e.Value = append([]byte{}, e.Value...)
	return e
}

// Entries is an ordered list of entries with unique IDs. The wire format
// does not sort, so the list keeps the order in which entries were added.
// It also remembers which IDs Assign changed since the last ClearDirty.
//
// The zero value is an empty list ready to use. An Entries is not safe for
// concurrent use; every method copies values in and out, so callers never
// share memory with it.
type Entries struct {
	list  []Entry
	dirty map[uint32]struct{}
}

// NewEntries returns an empty list.
func NewEntries() *Entries { return &Entries{} }

// Len returns the number of entries.
func (l *Entries) Len() int { return len(l.list) }

// At returns a copy of the i-th entry, or false if i is out of range.
func (l *Entries) At(i int) (Entry, bool) {
	if i < 0 || i >= len(l.list) {
		return Entry{}, false
	}
	return l.list[i].clone(), true
}

// Get returns a copy of the entry with the given id, or false if there is
// none.
func (l *Entries) Get(id uint32) (Entry, bool) {
	i := l.index(id)
	if i < 0 {
		return Entry{}, false
	}
	return l.list[i].clone(), true
}

func (l *Entries) index(id uint32) int {
	return slices.IndexFunc(l.list, func(e Entry) bool { return e.ID == id })
}

// Assign sets the value of the entry id and bumps its seq, so that the new
// value wins the next merge. A new entry is appended with seq 1 (seq 0 means
// never assigned); an existing one gets seq+1. The value is copied and the id
// marked dirty. A value longer than MaxValueSize, a new entry beyond
// MaxEntries or a seq already at its maximum is refused with an error
// matching ErrTooLarge, and the list is left as it was.
func (l *Entries) Assign(id uint32, value []byte) (Entry, error) {
	if len(value) > MaxValueSize {
		return Entry{}, &LimitError{What: "value", Size: len(value), Limit: MaxValueSize}
	}
	i := l.index(id)
	if i < 0 {
		if len(l.list) >= MaxEntries {
			return Entry{}, &LimitError{What: "entry count", Size: len(l.list) + 1, Limit: MaxEntries}
		}
		l.list = append(l.list, Entry{ID: id})
		i = len(l.list) - 1
	} else if l.list[i].Seq == math.MaxInt64 {
		return Entry{}, fmt.Errorf("%w: entry %d: seq is at its maximum", ErrTooLarge, id)
	}
	e := &l.list[i]
	e.Seq++
	e.Value = append([]byte{}, value...)
	if l.dirty == nil {
		l.dirty = make(map[uint32]struct{})
	}
	l.dirty[id] = struct{}{}
	return e.clone(), nil
}

// Set inserts e, or replaces the entry with the same ID in place, verbatim:
// its seq is kept as given. The value is copied. The id is not dirty
// afterwards: the entry is what e says, not a local change. A value longer
// than MaxValueSize or a new entry beyond MaxEntries is refused with an
// error matching ErrTooLarge.
func (l *Entries) Set(e Entry) error {
	if len(e.Value) > MaxValueSize {
		return &LimitError{What: "value", Size: len(e.Value), Limit: MaxValueSize}
	}
	if i := l.index(e.ID); i >= 0 {
		l.list[i] = e.clone()
		delete(l.dirty, e.ID)
		return nil
	}
	if len(l.list) >= MaxEntries {
		return &LimitError{What: "entry count", Size: len(l.list) + 1, Limit: MaxEntries}
	}
	l.list = append(l.list, e.clone())
	return nil
}

// Remove deletes the entry id and its dirty mark, keeping the order of the
// others. It reports whether there was such an entry.
func (l *Entries) Remove(id uint32) bool {
	i := l.index(id)
	if i < 0 {
		return false
	}
	l.list = slices.Delete(l.list, i, i+1)
	delete(l.dirty, id)
	return true
}

// Slice returns a copy of the entries, in order.
func (l *Entries) Slice() []Entry {
	out := make([]Entry, len(l.list))
	for i, e := range l.list {
		out[i] = e.clone()
	}
	return out
}

// Clone returns a deep copy of l, dirty marks included.
func (l *Entries) Clone() *Entries {
	c := &Entries{list: l.Slice()}
	if len(l.dirty) > 0 {
		c.dirty = make(map[uint32]struct{}, len(l.dirty))
		for id := range l.dirty {
			c.dirty[id] = struct{}{}
		}
	}
	return c
}

// Dirty reports whether Assign changed the entry id since the last
// ClearDirty (and no Set, Merge or Remove replaced it since).
func (l *Entries) Dirty(id uint32) bool {
	_, ok := l.dirty[id]
	return ok
}

// ClearDirty forgets every dirty mark, typically once the list is written.
func (l *Entries) ClearDirty() { clear(l.dirty) }

// Merge takes from other, in its order, every entry that l lacks or holds
// with a lower seq: it replaces the local entry in place, or is appended,
// verbatim and not dirty. On equal seqs the local entry stays. A new entry
// that would make l longer than MaxEntries is skipped. Merge returns copies
// of the entries it took, in the order taken.
func (l *Entries) Merge(other *Entries) []Entry {
	if other == nil || other == l {
		return nil
	}
	var changed []Entry
	for _, e := range other.list {
		i := l.index(e.ID)
		switch {
		case i >= 0 && e.Seq > l.list[i].Seq:
			l.list[i] = e.clone()
			delete(l.dirty, e.ID)
		case i < 0 && len(l.list) < MaxEntries:
			l.list = append(l.list, e.clone())
		default:
			continue
		}
		changed = append(changed, e.clone())
	}
	return changed
}

// MarshalBinary returns the list in the wire format, offsets written as 0:
// u8 count, u8 offset (0), then each entry as MarshalEntry writes it. It
// does not check the sealed-size limit; SealEntries does.
func (l *Entries) MarshalBinary() ([]byte, error) {
	if len(l.list) > MaxEntries {
		return nil, &LimitError{What: "entry count", Size: len(l.list), Limit: MaxEntries}
	}
	size := EntriesHeaderSize
	for _, e := range l.list {
		size += EntryHeaderSize + len(e.Value)
	}
	out := make([]byte, 0, size)
	out = append(out, byte(len(l.list)), 0)
	for _, e := range l.list {
		var err error
		if out, err = appendEntry(out, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MarshalEntry returns one entry in the wire format, with no list header:
// i64 seq, u32 id, 2 reserved zero bytes, u8 length, u8 offset (0), value.
func MarshalEntry(e Entry) ([]byte, error) {
	return appendEntry(make([]byte, 0, EntryHeaderSize+len(e.Value)), e)
}

func appendEntry(out []byte, e Entry) ([]byte, error) {
	if len(e.Value) > MaxValueSize {
		return nil, &LimitError{What: "value", Size: len(e.Value), Limit: MaxValueSize}
	}
	out = binary.BigEndian.AppendUint64(out, uint64(e.Seq))
	out = binary.BigEndian.AppendUint32(out, e.ID)
	out = append(out, 0, 0, byte(len(e.Value)), 0)
	return append(out, e.Value...), nil
}

// ParseEntries reads a list in the wire format and returns it with the
// number of bytes read. It honours the list's and each entry's offset,
// ignores the reserved bytes and whatever follows the last entry. Should an
// ID appear twice, the entry with the higher seq is kept at the first one's
// position (the first wins a tie). The entries are copies and none is dirty.
//
// Input that is truncated or whose lengths or offsets run past the end
// gives a *ParseError (matching ErrInvalidArgument), no entries and 0.
func ParseEntries(b []byte) (*Entries, int, error) {
	fail := func(off int, format string, args ...any) (*Entries, int, error) {
		return nil, 0, &ParseError{What: "entry list", Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < EntriesHeaderSize {
		return fail(len(b), "list header needs %d bytes, got %d", EntriesHeaderSize, len(b))
	}
	count, pos := int(b[0]), EntriesHeaderSize+int(b[1])
	if pos > len(b) {
		return fail(len(b), "entries offset %d runs past the end", b[1])
	}
	l := &Entries{list: make([]Entry, 0, count)}
	for n := range count {
		if len(b)-pos < EntryHeaderSize {
			return fail(pos, "entry %d of %d: header needs %d bytes, %d left", n, count, EntryHeaderSize, len(b)-pos)
		}
		h := b[pos : pos+EntryHeaderSize]
		e := Entry{
			Seq: int64(binary.BigEndian.Uint64(h[0:8])),
			ID:  binary.BigEndian.Uint32(h[8:12]),
			// h[12:14] are reserved.
		}
		length, offset := int(h[14]), int(h[15])
		pos += EntryHeaderSize + offset
		if pos > len(b) {
			return fail(len(b), "entry %d of %d: content offset %d runs past the end", n, count, offset)
		}
		if len(b)-pos < length {
			return fail(len(b), "entry %d of %d: content length %d runs past the end", n, count, length)
		}
		e.Value = bytes.Clone(b[pos : pos+length])
		pos += length
		if i := l.index(e.ID); i < 0 {
			l.list = append(l.list, e)
		} else if e.Seq > l.list[i].Seq {
			l.list[i] = e
		}
	}
	return l, pos, nil
}
