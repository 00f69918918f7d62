package scout_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/scout-dht/scout/scout"
)

// TestRemoveLeavesATombstone: Remove hides the entry and leaves in its place
// a tombstone that outranks it (seq+1), marked as this side's change.
func TestRemoveLeavesATombstone(t *testing.T) {
	l := scout.NewEntries()
	for _, id := range []uint32{1, 2, 3} {
		if _, err := l.Assign(id, []byte{byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	l.ClearDirty()
	before := time.Now().Add(-time.Second)
	if !l.Remove(2) {
		t.Fatal("Remove(2) = false")
	}
	if l.Remove(2) || l.Remove(9) {
		t.Fatal("Remove of a removed or unknown id reported an entry")
	}
	if _, ok := l.Get(2); ok || l.Len() != 2 {
		t.Fatalf("the removed entry is still visible: Len %d", l.Len())
	}
	if e, _ := l.At(1); e.ID != 3 {
		t.Fatalf("At(1) = %+v, want id 3", e)
	}
	if got := l.Slice(); len(got) != 2 || got[0].ID != 1 || got[1].ID != 3 {
		t.Fatalf("Slice = %+v", got)
	}
	rm := l.Removed()
	if len(rm) != 1 || rm[0].ID != 2 || rm[0].Seq != 2 || len(rm[0].Value) != 0 || !rm[0].IsRemoved() {
		t.Fatalf("Removed = %+v", rm)
	}
	if rm[0].Removed.Before(before) || rm[0].Removed.After(time.Now()) {
		t.Fatalf("removal time %v is not now", rm[0].Removed)
	}
	if !l.Dirty(2) || l.Dirty(1) {
		t.Fatal("the removal must be dirty, and only it")
	}

	// Assign brings the entry back, newer than its tombstone.
	e, err := l.Assign(2, []byte("back"))
	if err != nil || e.Seq != 3 || e.IsRemoved() {
		t.Fatalf("Assign after Remove = %+v, %v", e, err)
	}
	if got, _ := l.At(1); got.ID != 2 {
		t.Fatal("an entry brought back moved")
	}
}

// TestTombstoneWire: a tombstone is an entry with an empty value, as the
// original reads it; the skipped content-offset bytes carry "rm" and the
// removal time, which Scout reads back.
func TestTombstoneWire(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	ts := scout.Entry{ID: 0x01020304, Seq: 9, Removed: at}
	b, err := scout.MarshalEntry(ts)
	if err != nil {
		t.Fatal(err)
	}
	want := binary.BigEndian.AppendUint64(nil, 9)
	want = binary.BigEndian.AppendUint32(want, 0x01020304)
	want = append(want, 0, 0, 0, scout.TombstoneMarkSize, 'r', 'm')
	want = append(want, binary.BigEndian.AppendUint64(nil, uint64(at.Unix()))[2:]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("MarshalEntry(tombstone) = %x, want %x", b, want)
	}

	l := scout.NewEntries()
	mustSet(t, l, scout.Entry{ID: 1, Seq: 1, Value: []byte("live")})
	mustSet(t, l, ts)
	wire, err := l.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, n, err := scout.ParseEntries(wire)
	if err != nil || n != len(wire) {
		t.Fatalf("ParseEntries: %d of %d, %v", n, len(wire), err)
	}
	rm := back.Removed()
	if back.Len() != 1 || len(rm) != 1 || rm[0].ID != ts.ID || rm[0].Seq != 9 || !rm[0].Removed.Equal(at) {
		t.Fatalf("parsed back: %d live, tombstones %+v", back.Len(), rm)
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(again, wire) {
		t.Fatal("a parsed tombstone does not serialize to the same bytes")
	}

	// What the original reads: the skipped bytes are skipped, the value is
	// empty. Without the mark, so do we: an ordinary entry with an empty
	// value, at the same seq.
	plain := bytes.Clone(wire)
	i := bytes.Index(plain, []byte("rm"))
	plain[i] = 'x'
	orig, n, err := scout.ParseEntries(plain)
	if err != nil || n != len(plain) || orig.Len() != 2 {
		t.Fatalf("unmarked: %d entries, %d bytes, %v", orig.Len(), n, err)
	}
	if e, ok := orig.Get(ts.ID); !ok || e.Seq != 9 || len(e.Value) != 0 || e.IsRemoved() {
		t.Fatalf("unmarked tombstone read as %+v", e)
	}

	// A tombstone with a value is refused.
	checkKind(t, l.Set(scout.Entry{ID: 5, Seq: 1, Value: []byte("x"), Removed: at}), scout.ErrInvalidArgument)
}

// TestTombstoneWinsTheMerge: a removal replaces older versions of the entry
// wherever it is merged, and loses to a newer one.
func TestTombstoneWinsTheMerge(t *testing.T) {
	alice, bob := scout.NewEntries(), scout.NewEntries()
	mustSet(t, alice, scout.Entry{ID: 7, Seq: 4, Value: []byte("old phone")})
	bob.Merge(alice)
	alice.Remove(7) // seq 5
	if got := bob.Merge(alice); len(got) != 1 || !got[0].IsRemoved() {
		t.Fatalf("Merge took %+v, want the tombstone", got)
	}
	if _, ok := bob.Get(7); ok {
		t.Fatal("the removed entry survived the merge")
	}
	if got := alice.Merge(bob); got != nil {
		t.Fatalf("merging back changed %+v", got)
	}
	// Bob's old copy (seq 4) does not bring it back; a newer value does.
	old := scout.NewEntries()
	mustSet(t, old, scout.Entry{ID: 7, Seq: 4, Value: []byte("old phone")})
	bob.Merge(old)
	if _, ok := bob.Get(7); ok {
		t.Fatal("an older copy brought the entry back")
	}
	mustSet(t, old, scout.Entry{ID: 7, Seq: 6, Value: []byte("new phone")})
	bob.Merge(old)
	if e, ok := bob.Get(7); !ok || string(e.Value) != "new phone" {
		t.Fatalf("a newer value did not win over the tombstone: %+v", e)
	}
}

// TestTombstonesFitTheLimit: a tombstone costs 24 bytes of the 956.
func TestTombstonesFitTheLimit(t *testing.T) {
	l := scout.NewEntries()
	n := (scout.MaxPlaintext - scout.EntriesHeaderSize) / (scout.EntryHeaderSize + scout.TombstoneMarkSize)
	for id := range uint32(n) {
		l.Assign(id, nil)
		l.Remove(id)
	}
	if _, err := scout.SealEntries(scout.SharedSecret{1}, l); err != nil {
		t.Fatalf("%d tombstones: %v", n, err)
	}
	l.Assign(uint32(n), nil)
	l.Remove(uint32(n))
	_, err := scout.SealEntries(scout.SharedSecret{1}, l)
	checkKind(t, err, scout.ErrTooLarge)
}
