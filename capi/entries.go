package main

// #include "shim.h"
import "C"

import (
	"sync"

	"github.com/scout-dht/scout/scout"
)

// entries is the object behind a scout_entries handle. scout.Entries is not
// safe for concurrent use; the header promises thread-safe handles, so every
// access holds mu. dead marks the temporary handle given to a finalize
// callback once the callback has returned: a call that looked the handle up
// just before it was unregistered then fails instead of touching a list
// that Synchronize owns again.
type entries struct {
	mu   sync.Mutex
	l    *scout.Entries
	dead bool
}

// withEntries runs f on the list behind h, under its lock.
func withEntries(h C.uintptr_t, f func(l *scout.Entries) C.int) C.int {
	obj, ok := lookup(h, kindEntries)
	if !ok {
		return failf(statusInvalid, causeEntries)
	}
	e := obj.(*entries)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dead {
		return failf(statusInvalid, "the finalize callback's scout_entries handle is used after the callback returned")
	}
	return f(e.l)
}

// snapshot returns a copy of the list behind h.
func snapshot(h C.uintptr_t) (*scout.Entries, bool) {
	var c *scout.Entries
	st := withEntries(h, func(l *scout.Entries) C.int { c = l.Clone(); return statusOK })
	return c, st == statusOK
}

// replace makes the list behind h a copy of l, if h is still alive.
func replace(h C.uintptr_t, l *scout.Entries) {
	obj, ok := lookup(h, kindEntries)
	if !ok {
		return
	}
	e := obj.(*entries)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.dead {
		e.l = l.Clone()
	}
}

//export scoutgo_entries_new
func scoutgo_entries_new(outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	*outp = register(kindEntries, &entries{l: scout.NewEntries()})
	return statusOK
}

//export scoutgo_entries_clone
func scoutgo_entries_clone(h C.uintptr_t, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	c, ok := snapshot(h)
	if !ok {
		return statusInvalid // snapshot set the cause
	}
	*outp = register(kindEntries, &entries{l: c})
	return statusOK
}

//export scoutgo_entries_free
func scoutgo_entries_free(h C.uintptr_t) {
	defer guardVoid()
	unregister(h, kindEntries)
}

//export scoutgo_entries_count
func scoutgo_entries_count(h C.uintptr_t, count *C.size_t) (st C.int) {
	defer guard(&st)
	if count == nil {
		return failf(statusInvalid, "count is NULL")
	}
	return withEntries(h, func(l *scout.Entries) C.int {
		*count = C.size_t(l.Len())
		return statusOK
	})
}

//export scoutgo_entries_assign
func scoutgo_entries_assign(h C.uintptr_t, id C.uint32_t, v *C.uint8_t, n C.size_t, seq *C.int64_t) (st C.int) {
	defer guard(&st)
	value, ok := in(v, n)
	if !ok {
		return failf(statusInvalid, "value is NULL and len is %d", n)
	}
	return withEntries(h, func(l *scout.Entries) C.int {
		e, err := l.Assign(uint32(id), value)
		if err != nil {
			return fail(err)
		}
		if seq != nil {
			*seq = C.int64_t(e.Seq)
		}
		return statusOK
	})
}

//export scoutgo_entries_set
func scoutgo_entries_set(h C.uintptr_t, id C.uint32_t, seq C.int64_t, v *C.uint8_t, n C.size_t) (st C.int) {
	defer guard(&st)
	value, ok := in(v, n)
	if !ok {
		return failf(statusInvalid, "value is NULL and len is %d", n)
	}
	return withEntries(h, func(l *scout.Entries) C.int {
		if err := l.Set(scout.Entry{ID: uint32(id), Seq: int64(seq), Value: value}); err != nil {
			return fail(err)
		}
		return statusOK
	})
}

// entryOut writes an entry to the optional outputs of scout_entries_get and
// _at: the value first, so that BUFFER_TOO_SMALL writes nothing else.
func entryOut(e scout.Entry, id *C.uint32_t, seq *C.int64_t, v *C.uint8_t, n *C.size_t) C.int {
	switch {
	case n != nil:
		if st := out(v, n, e.Value); st != statusOK {
			return st
		}
	case v != nil:
		return failf(statusInvalid, "value is not NULL but len is")
	}
	if id != nil {
		*id = C.uint32_t(e.ID)
	}
	if seq != nil {
		*seq = C.int64_t(e.Seq)
	}
	return statusOK
}

//export scoutgo_entries_get
func scoutgo_entries_get(h C.uintptr_t, id C.uint32_t, seq *C.int64_t, v *C.uint8_t, n *C.size_t) (st C.int) {
	defer guard(&st)
	return withEntries(h, func(l *scout.Entries) C.int {
		e, ok := l.Get(uint32(id))
		if !ok {
			return failf(statusNotFound, "no entry with id %d", id)
		}
		return entryOut(e, nil, seq, v, n)
	})
}

//export scoutgo_entries_at
func scoutgo_entries_at(h C.uintptr_t, index C.size_t, id *C.uint32_t, seq *C.int64_t, v *C.uint8_t, n *C.size_t) (st C.int) {
	defer guard(&st)
	return withEntries(h, func(l *scout.Entries) C.int {
		if uint64(index) >= uint64(l.Len()) {
			return failf(statusNotFound, "index %d is past the list's %d entries", index, l.Len())
		}
		e, ok := l.At(int(index))
		if !ok {
			return failf(statusNotFound, "index %d is past the list's %d entries", index, l.Len())
		}
		return entryOut(e, id, seq, v, n)
	})
}

//export scoutgo_entries_remove
func scoutgo_entries_remove(h C.uintptr_t, id C.uint32_t) (st C.int) {
	defer guard(&st)
	return withEntries(h, func(l *scout.Entries) C.int {
		if !l.Remove(uint32(id)) {
			return failf(statusNotFound, "no entry with id %d", id)
		}
		return statusOK
	})
}

//export scoutgo_entries_serialize
func scoutgo_entries_serialize(h C.uintptr_t, buf *C.uint8_t, n *C.size_t) (st C.int) {
	defer guard(&st)
	if n == nil {
		return failf(statusInvalid, "len is NULL")
	}
	return withEntries(h, func(l *scout.Entries) C.int {
		b, err := l.MarshalBinary()
		if err != nil {
			return fail(err)
		}
		return out(buf, n, b)
	})
}

//export scoutgo_entries_parse
func scoutgo_entries_parse(b *C.uint8_t, n C.size_t, outp *C.uintptr_t, consumed *C.size_t) (st C.int) {
	defer guard(&st)
	input, ok := in(b, n)
	if !ok {
		return failf(statusInvalid, "buf is NULL and len is %d", n)
	}
	l, used, err := scout.ParseEntries(input)
	if err != nil {
		return fail(err)
	}
	*outp = register(kindEntries, &entries{l: l})
	if consumed != nil {
		*consumed = C.size_t(used)
	}
	return statusOK
}
