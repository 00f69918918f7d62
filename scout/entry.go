package scout

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
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
//
// An entry whose Removed time is set is a tombstone, what Entries.Remove
// leaves in place of an entry so that the removal reaches every copy of the
// list: its value is empty and its seq is the removed entry's plus one, so
// it wins the merge like any newer version. On the wire it is an entry with
// an empty value, which is what the original libscout reads; the content
// offset's skipped bytes (TombstoneMarkSize of them) carry "rm" and the
// time of the removal. Lists hide tombstones (Len, At, Get and Slice skip
// them; Removed lists them), and Synchronize drops them from what it writes
// once they are older than Options.TombstoneTTL.
type Entry struct {
	ID    uint32
	Seq   int64
	Value []byte
	// Removed is when the entry was removed, to the second, in UTC; zero
	// for a live entry.
	Removed time.Time
}

// IsRemoved reports whether e is a tombstone.
func (e Entry) IsRemoved() bool { return !e.Removed.IsZero() }

// TombstoneMarkSize is the size of a tombstone's mark on the wire: the
// entry's content offset, skipped by readers, holds "rm" and the time of
// the removal in Unix seconds (48 bits, big-endian).
const TombstoneMarkSize = 8

// tombstoneMark begins a tombstone's skipped bytes.
var tombstoneMark = [2]byte{'r', 'm'}

// removedAt is a removal time as the wire keeps it: whole seconds, UTC.
func removedAt(t time.Time) time.Time {
	sec := min(max(t.Unix(), 0), 1<<48-1)
	return time.Unix(sec, 0).UTC()
}

// clone returns a copy of e that shares no memory with it. The value of a
// copy is never nil, so an empty value compares the same everywhere.
func (e Entry) clone() Entry {
	e.Value = append([]byte{}, e.Value...)
	return e
}

// Entries is an ordered list of entries with unique IDs. The wire format
// does not sort, so the list keeps the order in which entries were added.
// It also remembers which IDs Assign and Remove changed since the last
// ClearDirty. The tombstones that Remove leaves (see Entry) stay in the
// list, in place, and are written and merged like entries, but the
// accessors Len, At, Get and Slice skip them: Removed lists them.
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

// Len returns the number of entries, tombstones not counted.
func (l *Entries) Len() int {
	n := 0
	for _, e := range l.list {
		if !e.IsRemoved() {
			n++
		}
	}
	return n
}

// At returns a copy of the i-th entry, tombstones not counted, or false if
// i is out of range.
func (l *Entries) At(i int) (Entry, bool) {
	if i < 0 {
		return Entry{}, false
	}
	for _, e := range l.list {
		if e.IsRemoved() {
			continue
		}
		if i == 0 {
			return e.clone(), true
		}
		i--
	}
	return Entry{}, false
}

// Get returns a copy of the entry with the given id, or false if there is
// none (or only its tombstone).
func (l *Entries) Get(id uint32) (Entry, bool) {
	e, ok := l.lookup(id)
	if !ok || e.IsRemoved() {
		return Entry{}, false
	}
	return e, true
}

// Removed returns copies of the tombstones, in list order.
func (l *Entries) Removed() []Entry {
	var out []Entry
	for _, e := range l.list {
		if e.IsRemoved() {
			out = append(out, e.clone())
		}
	}
	return out
}

// lookup returns a copy of the entry or tombstone with the given id.
func (l *Entries) lookup(id uint32) (Entry, bool) {
	i := l.index(id)
	if i < 0 {
		return Entry{}, false
	}
	return l.list[i].clone(), true
}

// all returns copies of the entries and tombstones, in order.
func (l *Entries) all() []Entry {
	out := make([]Entry, len(l.list))
	for i, e := range l.list {
		out[i] = e.clone()
	}
	return out
}

// drop deletes the entry or tombstone id from this list only.
func (l *Entries) drop(id uint32) {
	if i := l.index(id); i >= 0 {
		l.list = slices.Delete(l.list, i, i+1)
		delete(l.dirty, id)
	}
}

func (l *Entries) index(id uint32) int {
	return slices.IndexFunc(l.list, func(e Entry) bool { return e.ID == id })
}

// Assign sets the value of the entry id and bumps its seq, so that the new
// value wins the next merge. A new entry is appended with seq 1 (seq 0 means
// never assigned); an existing one, or its tombstone, gets seq+1. The value
// is copied and the id marked dirty. A value longer than MaxValueSize, a new entry beyond
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
	e.Removed = time.Time{}
	if l.dirty == nil {
		l.dirty = make(map[uint32]struct{})
	}
	l.dirty[id] = struct{}{}
	return e.clone(), nil
}

// Set inserts e, or replaces the entry (or tombstone) with the same ID in
// place, verbatim: its seq is kept as given. The value is copied. The id is
// not dirty afterwards: the entry is what e says, not a local change. An e
// whose Removed is set is a tombstone (its value must be empty). A value
// longer than MaxValueSize or a new entry beyond MaxEntries is refused with
// an error matching ErrTooLarge; a tombstone with a value, with
// ErrInvalidArgument.
func (l *Entries) Set(e Entry) error {
	if len(e.Value) > MaxValueSize {
		return &LimitError{What: "value", Size: len(e.Value), Limit: MaxValueSize}
	}
	if e.IsRemoved() {
		if len(e.Value) > 0 {
			return fmt.Errorf("%w: entry %d: a tombstone has no value", ErrInvalidArgument, e.ID)
		}
		e.Removed = removedAt(e.Removed)
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

// Remove removes the entry id for every holder of the list: it becomes a
// tombstone (see Entry), in place, with an empty value, seq+1 and the time
// of the removal, and its id is marked dirty, so that the next Synchronize
// publishes the removal and it wins the merge over the entry's older
// versions wherever they are. The accessors no longer see the entry. It
// reports whether there was such an entry; an id the list does not hold
// (or holds only as a tombstone) is left alone.
func (l *Entries) Remove(id uint32) bool {
	i := l.index(id)
	if i < 0 || l.list[i].IsRemoved() {
		return false
	}
	e := &l.list[i]
	if e.Seq < math.MaxInt64 {
		e.Seq++
	}
	e.Value = []byte{}
	e.Removed = removedAt(time.Now())
	if l.dirty == nil {
		l.dirty = make(map[uint32]struct{})
	}
	l.dirty[id] = struct{}{}
	return true
}

// Slice returns a copy of the entries, in order, tombstones left out.
func (l *Entries) Slice() []Entry {
	out := make([]Entry, 0, len(l.list))
	for _, e := range l.list {
		if !e.IsRemoved() {
			out = append(out, e.clone())
		}
	}
	return out
}

// Clone returns a deep copy of l, dirty marks included.
func (l *Entries) Clone() *Entries {
	c := &Entries{list: l.all()}
	if len(l.dirty) > 0 {
		c.dirty = make(map[uint32]struct{}, len(l.dirty))
		for id := range l.dirty {
			c.dirty[id] = struct{}{}
		}
	}
	return c
}

// Dirty reports whether Assign or Remove changed the entry id since the
// last ClearDirty (and no Set or Merge replaced it since).
func (l *Entries) Dirty(id uint32) bool {
	_, ok := l.dirty[id]
	return ok
}

// ClearDirty forgets every dirty mark, typically once the list is written.
func (l *Entries) ClearDirty() { clear(l.dirty) }

// Merge takes from other, in its order, every entry or tombstone that l
// lacks or holds with a lower seq: it replaces the local entry in place, or
// is appended, verbatim and not dirty. On equal seqs the local entry stays.
// A new entry that would make l longer than MaxEntries is skipped. Merge
// returns copies of the entries and tombstones it took, in the order taken.
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

// MarshalBinary returns the list in the wire format, tombstones included:
// u8 count, u8 offset (0), then each entry as MarshalEntry writes it. It
// does not check the sealed-size limit; SealEntries does.
func (l *Entries) MarshalBinary() ([]byte, error) {
	if len(l.list) > MaxEntries {
		return nil, &LimitError{What: "entry count", Size: len(l.list), Limit: MaxEntries}
	}
	size := EntriesHeaderSize
	for _, e := range l.list {
		size += entrySize(e)
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
// A tombstone has length 0 and offset TombstoneMarkSize, followed by its
// mark: "rm" and the removal time in Unix seconds (u48).
func MarshalEntry(e Entry) ([]byte, error) {
	return appendEntry(make([]byte, 0, entrySize(e)), e)
}

// entrySize is the size of e on the wire.
func entrySize(e Entry) int {
	if e.IsRemoved() {
		return EntryHeaderSize + TombstoneMarkSize
	}
	return EntryHeaderSize + len(e.Value)
}

func appendEntry(out []byte, e Entry) ([]byte, error) {
	if len(e.Value) > MaxValueSize {
		return nil, &LimitError{What: "value", Size: len(e.Value), Limit: MaxValueSize}
	}
	out = binary.BigEndian.AppendUint64(out, uint64(e.Seq))
	out = binary.BigEndian.AppendUint32(out, e.ID)
	if e.IsRemoved() {
		out = append(out, 0, 0, 0, TombstoneMarkSize)
		out = append(out, tombstoneMark[:]...)
		sec := uint64(removedAt(e.Removed).Unix())
		return append(out, byte(sec>>40), byte(sec>>32), byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec)), nil
	}
	out = append(out, 0, 0, byte(len(e.Value)), 0)
	return append(out, e.Value...), nil
}

// ParseEntries reads a list in the wire format and returns it with the
// number of bytes read. It honours the list's and each entry's offset,
// ignores the reserved bytes and whatever follows the last entry. An entry
// of length 0 whose TombstoneMarkSize skipped bytes hold a tombstone's
// mark is a tombstone. Should an ID appear twice, the entry with the higher
// seq is kept at the first one's position (the first wins a tie). The
// entries are copies and none is dirty.
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
		if length == 0 && offset == TombstoneMarkSize && len(b)-pos >= EntryHeaderSize+TombstoneMarkSize {
			if m := b[pos+EntryHeaderSize : pos+EntryHeaderSize+TombstoneMarkSize]; [2]byte(m[:2]) == tombstoneMark {
				var sec uint64
				for _, c := range m[2:] {
					sec = sec<<8 | uint64(c)
				}
				e.Removed = time.Unix(int64(sec), 0).UTC()
			}
		}
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
