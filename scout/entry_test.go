package scout_test

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/scout-dht/scout/scout"
)

func TestEntrySerialize(t *testing.T) {
	var v entriesVectors
	loadVectors(t, "entries.json", &v)
	nonEmpty(t, "entry_serialize", len(v.EntrySerialize))
	for _, c := range v.EntrySerialize {
		t.Run(c.Name, func(t *testing.T) {
			got, err := scout.MarshalEntry(scout.Entry{ID: c.ID, Seq: c.Seq, Value: c.Content})
			if err != nil || !bytes.Equal(got, c.Serialized) {
				t.Fatalf("MarshalEntry = %x, %v; want %x", got, err, []byte(c.Serialized))
			}
			// The same entry as a one-entry list parses back.
			l, n, err := scout.ParseEntries(append([]byte{1, 0}, c.Serialized...))
			if err != nil || n != len(c.Serialized)+2 {
				t.Fatalf("ParseEntries: %d, %v", n, err)
			}
			checkEntries(t, l, []vecEntry{{ID: c.ID, Seq: c.Seq, Content: c.Content}})
		})
	}
}

func TestLists(t *testing.T) {
	var v entriesVectors
	loadVectors(t, "entries.json", &v)
	nonEmpty(t, "lists", len(v.Lists))
	for _, c := range v.Lists {
		t.Run(c.Name, func(t *testing.T) {
			got, err := toEntries(t, c.Entries).MarshalBinary()
			if err != nil || !bytes.Equal(got, c.Serialized) {
				t.Fatalf("MarshalBinary = %x, %v; want %x", got, err, []byte(c.Serialized))
			}
			l, n, err := scout.ParseEntries(c.Serialized)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(c.Serialized) {
				t.Fatalf("consumed %d of %d bytes", n, len(c.Serialized))
			}
			checkEntries(t, l, c.Entries)
			for _, e := range c.Entries {
				if l.Dirty(e.ID) {
					t.Fatalf("parsed entry %d is dirty", e.ID)
				}
			}
		})
	}
}

func TestParseOnly(t *testing.T) {
	var v entriesVectors
	loadVectors(t, "entries.json", &v)
	nonEmpty(t, "parse_only", len(v.ParseOnly))
	for _, c := range v.ParseOnly {
		t.Run(c.Name, func(t *testing.T) {
			l, n, err := scout.ParseEntries(c.Input)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.Consumed {
				t.Fatalf("consumed %d bytes, want %d", n, c.Consumed)
			}
			checkEntries(t, l, c.Entries)
			got, err := l.MarshalBinary()
			if err != nil || !bytes.Equal(got, c.Canonical) {
				t.Fatalf("MarshalBinary = %x, %v; want %x", got, err, []byte(c.Canonical))
			}
			// What follows the list does not matter, nor does its absence.
			l2, n2, err := scout.ParseEntries(c.Input[:c.Consumed])
			if err != nil || n2 != c.Consumed {
				t.Fatalf("parsing the consumed prefix: %d, %v", n2, err)
			}
			checkEntries(t, l2, c.Entries)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	var v entriesVectors
	loadVectors(t, "entries.json", &v)
	nonEmpty(t, "parse_invalid", len(v.ParseInvalid))
	for _, c := range v.ParseInvalid {
		t.Run(c.Name, func(t *testing.T) {
			l, n, err := scout.ParseEntries(c.Input)
			checkKind(t, err, scout.ErrInvalidArgument)
			var pe *scout.ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(c.Input) {
				t.Fatalf("error %v: want a *ParseError with an offset inside the input", err)
			}
			if l != nil || n != 0 {
				t.Fatalf("partial result with the error: %v, %d", l, n)
			}
		})
	}
}

// No vector has a duplicate id: the higher seq is kept, at the first
// position, and the first one wins a tie.
func TestParseDuplicateIDs(t *testing.T) {
	list := func(es ...scout.Entry) []byte {
		b := []byte{byte(len(es)), 0}
		for _, e := range es {
			enc, err := scout.MarshalEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, enc...)
		}
		return b
	}
	b := list(
		scout.Entry{ID: 1, Seq: 1, Value: []byte("old")},
		scout.Entry{ID: 2, Seq: 5, Value: []byte("two")},
		scout.Entry{ID: 1, Seq: 3, Value: []byte("new")},
		scout.Entry{ID: 2, Seq: 5, Value: []byte("tie")},
		scout.Entry{ID: 2, Seq: 4, Value: []byte("older")},
	)
	l, n, err := scout.ParseEntries(b)
	if err != nil || n != len(b) {
		t.Fatalf("ParseEntries: %d, %v", n, err)
	}
	checkEntries(t, l, []vecEntry{{ID: 1, Seq: 3, Content: []byte("new")}, {ID: 2, Seq: 5, Content: []byte("two")}})
}

func TestAssign(t *testing.T) {
	l := scout.NewEntries()
	v := []byte("hello")
	e, err := l.Assign(7, v)
	if err != nil || e.ID != 7 || e.Seq != 1 || string(e.Value) != "hello" {
		t.Fatalf("first Assign = %+v, %v", e, err)
	}
	v[0] = 'j' // the list keeps its own copy
	if got, _ := l.Get(7); string(got.Value) != "hello" {
		t.Fatalf("value changed with the caller's slice: %q", got.Value)
	}
	if !l.Dirty(7) || l.Dirty(8) {
		t.Fatal("dirty marks wrong after Assign")
	}
	e, err = l.Assign(7, nil)
	if err != nil || e.Seq != 2 || len(e.Value) != 0 {
		t.Fatalf("second Assign = %+v, %v", e, err)
	}
	if _, err := l.Assign(9, make([]byte, scout.MaxValueSize)); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 {
		t.Fatalf("Len() = %d", l.Len())
	}

	// Values, counts and seqs past their limits are refused, the list intact.
	before := l.Clone()
	_, err = l.Assign(7, make([]byte, scout.MaxValueSize+1))
	checkKind(t, err, scout.ErrTooLarge)
	var le *scout.LimitError
	if !errors.As(err, &le) || le.Size != 256 || le.Limit != 255 {
		t.Fatalf("error %v: want a LimitError 256 > 255", err)
	}
	if err := l.Set(scout.Entry{ID: 3, Seq: math.MaxInt64}); err != nil {
		t.Fatal(err)
	}
	_, err = l.Assign(3, []byte("x"))
	checkKind(t, err, scout.ErrTooLarge)
	if got, _ := l.Get(3); got.Seq != math.MaxInt64 || len(got.Value) != 0 || l.Dirty(3) {
		t.Fatalf("entry changed by a refused Assign: %+v", got)
	}
	l.Remove(3)
	sameList(t, l, before)

	full := scout.NewEntries()
	for id := range uint32(scout.MaxEntries) {
		if _, err := full.Assign(id, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err = full.Assign(1000, nil)
	checkKind(t, err, scout.ErrTooLarge)
	checkKind(t, full.Set(scout.Entry{ID: 1000}), scout.ErrTooLarge)
	if e, err := full.Assign(0, []byte("update")); err != nil || e.Seq != 2 {
		t.Fatalf("updating a full list: %+v, %v", e, err)
	}
	if full.Len() != scout.MaxEntries {
		t.Fatalf("Len() = %d", full.Len())
	}

	l.ClearDirty()
	if l.Dirty(7) || l.Dirty(9) {
		t.Fatal("dirty after ClearDirty")
	}
}

func TestEntriesAccessors(t *testing.T) {
	var l scout.Entries // the zero value is ready to use
	if l.Len() != 0 {
		t.Fatal("zero Entries not empty")
	}
	if _, ok := l.At(0); ok {
		t.Fatal("At(0) on an empty list")
	}
	if _, ok := l.Get(1); ok {
		t.Fatal("Get on an empty list")
	}
	if l.Remove(1) {
		t.Fatal("Remove on an empty list")
	}
	for _, id := range []uint32{5, 1, 3} {
		if _, err := l.Assign(id, []byte{byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set(scout.Entry{ID: 1, Seq: 40, Value: []byte("set")}); err != nil {
		t.Fatal(err)
	}
	if l.Dirty(1) || !l.Dirty(5) {
		t.Fatal("Set left its id dirty, or cleared another")
	}
	e, ok := l.At(1)
	if !ok || e.ID != 1 || e.Seq != 40 || string(e.Value) != "set" {
		t.Fatalf("At(1) = %+v, %v (Set must replace in place)", e, ok)
	}
	e.Value[0] = 'X' // copies out, too
	if got, _ := l.Get(1); string(got.Value) != "set" {
		t.Fatal("At returned the list's own memory")
	}
	s := l.Slice()
	s[0].Value[0] = 0xff
	if got, _ := l.At(0); got.Value[0] != 5 {
		t.Fatal("Slice returned the list's own memory")
	}
	if _, ok := l.At(-1); ok {
		t.Fatal("At(-1)")
	}
	if _, ok := l.At(3); ok {
		t.Fatal("At(Len())")
	}

	c := l.Clone()
	if !c.Dirty(5) || c.Dirty(1) {
		t.Fatal("Clone lost the dirty marks")
	}
	c.ClearDirty()
	if _, err := c.Assign(9, nil); err != nil {
		t.Fatal(err)
	}
	if !l.Dirty(5) || l.Len() != 3 {
		t.Fatal("changing a clone changed the original")
	}

	if !l.Remove(1) || l.Remove(1) || l.Len() != 2 {
		t.Fatal("Remove")
	}
	if got, _ := l.At(1); got.ID != 3 {
		t.Fatalf("order after Remove: %+v", l.Slice())
	}
	if !l.Dirty(1) {
		t.Fatal("a removal is this side's change: its id must be dirty")
	}

	checkKind(t, l.Set(scout.Entry{ID: 2, Value: make([]byte, 256)}), scout.ErrTooLarge)
	_, err := scout.MarshalEntry(scout.Entry{Value: make([]byte, 256)})
	checkKind(t, err, scout.ErrTooLarge)
}

func TestMerge(t *testing.T) {
	local := scout.NewEntries()
	mustSet(t, local, scout.Entry{ID: 1, Seq: 2, Value: []byte("local 1")})
	mustSet(t, local, scout.Entry{ID: 2, Seq: 5, Value: []byte("local 2")})
	mustSet(t, local, scout.Entry{ID: 3, Seq: 1, Value: []byte("local 3")})
	if _, err := local.Assign(3, []byte("local 3 changed")); err != nil { // seq 2, dirty
		t.Fatal(err)
	}
	remote := scout.NewEntries()
	mustSet(t, remote, scout.Entry{ID: 4, Seq: 1, Value: []byte("remote 4")})
	mustSet(t, remote, scout.Entry{ID: 2, Seq: 5, Value: []byte("remote 2 same seq")})
	mustSet(t, remote, scout.Entry{ID: 1, Seq: 3, Value: []byte("remote 1 newer")})
	mustSet(t, remote, scout.Entry{ID: 3, Seq: 1, Value: []byte("remote 3 older")})

	changed := local.Merge(remote)
	want := []vecEntry{
		{ID: 1, Seq: 3, Content: []byte("remote 1 newer")},
		{ID: 2, Seq: 5, Content: []byte("local 2")},
		{ID: 3, Seq: 2, Content: []byte("local 3 changed")},
		{ID: 4, Seq: 1, Content: []byte("remote 4")},
	}
	checkEntries(t, local, want)
	if len(changed) != 2 || changed[0].ID != 4 || changed[1].ID != 1 {
		t.Fatalf("Merge returned %+v, want ids 4 then 1", changed)
	}
	changed[0].Value[0] = 'X'
	if got, _ := local.Get(4); string(got.Value) != "remote 4" {
		t.Fatal("Merge returned the list's own memory")
	}
	if local.Dirty(1) || local.Dirty(4) || !local.Dirty(3) {
		t.Fatal("dirty marks wrong after Merge")
	}
	if got := local.Merge(remote); got != nil {
		t.Fatalf("second Merge changed %+v", got)
	}
	if local.Merge(nil) != nil || local.Merge(local) != nil {
		t.Fatal("Merge of nil or itself changed something")
	}
}

func TestMergeNeverExceedsMaxEntries(t *testing.T) {
	local, remote := scout.NewEntries(), scout.NewEntries()
	for id := range uint32(250) {
		mustSet(t, local, scout.Entry{ID: id, Seq: 1})
	}
	mustSet(t, remote, scout.Entry{ID: 0, Seq: 9}) // an update still goes in
	for id := uint32(1000); id < 1010; id++ {
		mustSet(t, remote, scout.Entry{ID: id, Seq: 1})
	}
	changed := local.Merge(remote)
	if local.Len() != scout.MaxEntries || len(changed) != 6 {
		t.Fatalf("Len() = %d, %d changed; want %d, 6", local.Len(), len(changed), scout.MaxEntries)
	}
	if got, _ := local.Get(0); got.Seq != 9 {
		t.Fatal("the update was skipped")
	}
	if _, ok := local.Get(1004); !ok {
		t.Fatal("the first new entries were not kept")
	}
	if _, ok := local.Get(1005); ok {
		t.Fatal("an entry beyond MaxEntries was added")
	}
}

// Properties of Assign and Merge over random lists.
func TestMergeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a, b := randomEntries(t, rng), randomEntries(t, rng)
		aSeq, bSeq := seqs(a), seqs(b)

		ab := a.Clone()
		changed := ab.Merge(b)
		ba := b.Clone()
		ba.Merge(a)

		// Newer seq wins, and the result is the union.
		want := maps.Clone(aSeq)
		for id, s := range bSeq {
			if old, ok := want[id]; !ok || s > old {
				want[id] = s
			}
		}
		if got := seqs(ab); !maps.Equal(got, want) {
			t.Fatalf("case %d: a.Merge(b) seqs %v, want %v", i, got, want)
		}
		// Commutative on id → seq.
		if got := seqs(ba); !maps.Equal(got, want) {
			t.Fatalf("case %d: b.Merge(a) seqs %v, want %v", i, got, want)
		}
		// The values follow the winner; on a tie the local one stays.
		for _, e := range ab.Slice() {
			src := a
			sa, inA := aSeq[e.ID]
			if sb, inB := bSeq[e.ID]; inB && (!inA || sb > sa) {
				src = b
			}
			w, _ := src.Get(e.ID)
			if !bytes.Equal(e.Value, w.Value) {
				t.Fatalf("case %d: id %d holds %x, want %x", i, e.ID, e.Value, w.Value)
			}
		}
		// Merge reports exactly what it took from b, in b's order.
		var wantChanged []uint32
		for _, e := range b.Slice() {
			if s, ok := aSeq[e.ID]; !ok || e.Seq > s {
				wantChanged = append(wantChanged, e.ID)
			}
		}
		if len(changed) != len(wantChanged) {
			t.Fatalf("case %d: %d changed, want %d", i, len(changed), len(wantChanged))
		}
		for j, e := range changed {
			if e.ID != wantChanged[j] {
				t.Fatalf("case %d: changed[%d] = %d, want %d", i, j, e.ID, wantChanged[j])
			}
		}
		// The local order is kept and new ids are appended.
		for j := range a.Len() {
			x, _ := a.At(j)
			y, _ := ab.At(j)
			if x.ID != y.ID {
				t.Fatalf("case %d: position %d moved from id %d to %d", i, j, x.ID, y.ID)
			}
		}
		// Idempotent: merging again changes nothing.
		again := ab.Clone()
		if got := again.Merge(b); got != nil {
			t.Fatalf("case %d: second Merge changed %+v", i, got)
		}
		sameList(t, again, ab)
		// Merging in the result brings a and b up to it.
		a2 := a.Clone()
		a2.Merge(ab)
		if !maps.Equal(seqs(a2), want) {
			t.Fatalf("case %d: a.Merge(a.Merge(b)) differs", i)
		}
		// Assign makes the local value win the next merge.
		if ab.Len() > 0 {
			e, _ := ab.At(rng.IntN(ab.Len()))
			if _, err := ab.Assign(e.ID, []byte("mine")); err != nil {
				t.Fatal(err)
			}
			other := b.Clone()
			other.Merge(ab)
			if got, _ := other.Get(e.ID); string(got.Value) != "mine" || got.Seq != e.Seq+1 {
				t.Fatalf("case %d: an assigned value lost a merge: %+v", i, got)
			}
		}
		// Every list round-trips through the codec.
		for _, l := range []*scout.Entries{a, b, ab} {
			enc, err := l.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			p, n, err := scout.ParseEntries(enc)
			if err != nil || n != len(enc) {
				t.Fatalf("case %d: round trip: %d, %v", i, n, err)
			}
			sameEntries(t, p, l)
		}
	}
}

func randomEntries(tb testing.TB, rng *rand.Rand) *scout.Entries {
	tb.Helper()
	l := scout.NewEntries()
	for range rng.IntN(12) {
		id := uint32(rng.IntN(16))
		value := make([]byte, rng.IntN(8))
		for i := range value {
			value[i] = byte(rng.IntN(256))
		}
		if rng.IntN(3) == 0 {
			if _, err := l.Assign(id, value); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		mustSet(tb, l, scout.Entry{ID: id, Seq: int64(rng.IntN(5)) - 1, Value: value})
	}
	return l
}

func seqs(l *scout.Entries) map[uint32]int64 {
	m := make(map[uint32]int64, l.Len())
	for _, e := range l.Slice() {
		m[e.ID] = e.Seq
	}
	return m
}

func mustSet(tb testing.TB, l *scout.Entries, e scout.Entry) {
	tb.Helper()
	if err := l.Set(e); err != nil {
		tb.Fatal(err)
	}
}

// sameEntries fails unless got and want hold the same entries in order.
func sameEntries(tb testing.TB, got, want *scout.Entries) {
	tb.Helper()
	w := want.Slice()
	vs := make([]vecEntry, len(w))
	for i, e := range w {
		vs[i] = vecEntry{ID: e.ID, Seq: e.Seq, Content: e.Value}
	}
	checkEntries(tb, got, vs)
}

// sameList is sameEntries plus the dirty marks.
func sameList(tb testing.TB, got, want *scout.Entries) {
	tb.Helper()
	sameEntries(tb, got, want)
	for _, e := range want.Slice() {
		if got.Dirty(e.ID) != want.Dirty(e.ID) {
			tb.Fatalf("id %d: dirty %v, want %v", e.ID, got.Dirty(e.ID), want.Dirty(e.ID))
		}
	}
}

func FuzzParseEntries(f *testing.F) {
	var v entriesVectors
	loadVectors(f, "entries.json", &v)
	for _, c := range v.Lists {
		f.Add([]byte(c.Serialized))
	}
	for _, c := range v.ParseOnly {
		f.Add([]byte(c.Input))
	}
	for _, c := range v.ParseInvalid {
		f.Add([]byte(c.Input))
	}
	for _, c := range v.EntrySerialize {
		f.Add(append([]byte{1, 0}, c.Serialized...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		l, n, err := scout.ParseEntries(b)
		if !bytes.Equal(in, b) {
			t.Fatal("ParseEntries changed its input")
		}
		if err != nil {
			checkKind(t, err, scout.ErrInvalidArgument)
			var pe *scout.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%T, want *ParseError", err)
			}
			if l != nil || n != 0 {
				t.Fatal("partial result with an error")
			}
			return
		}
		if n < scout.EntriesHeaderSize || n > len(b) || l.Len() > scout.MaxEntries || l.Len() > int(b[0]) {
			t.Fatalf("consumed %d of %d bytes, %d entries", n, len(b), l.Len())
		}
		ids := make(map[uint32]bool)
		for _, e := range l.Slice() {
			if ids[e.ID] {
				t.Fatalf("duplicate id %d", e.ID)
			}
			ids[e.ID] = true
		}
		// Only the consumed bytes matter.
		prefix, pn, err := scout.ParseEntries(b[:n])
		if err != nil || pn != n {
			t.Fatalf("consumed prefix: %d, %v", pn, err)
		}
		sameEntries(t, prefix, l)
		// The canonical form is never longer and parses back to the same list.
		enc, err := l.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) > n {
			t.Fatalf("canonical form of %d bytes, input %d", len(enc), n)
		}
		back, bn, err := scout.ParseEntries(enc)
		if err != nil || bn != len(enc) {
			t.Fatalf("canonical form: %d, %v", bn, err)
		}
		sameEntries(t, back, l)
	})
}
