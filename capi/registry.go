package main

// #include "shim.h"
import "C"

import "sync"

// kind says what a handle stands for, so that a handle of one kind given
// where another is expected is refused.
type kind uint8

const (
	kindEntries kind = iota + 1
	kindSession
	kindSwarm
	kindOp
)

// The handle registry: the one map from the ids C holds to Go objects. Ids
// start at 1 and are never reused, so a stale handle can never reach a newer
// object. C never sees a Go pointer.
var registry = struct {
	sync.Mutex
	next uint64
	live map[uint64]handle
}{live: make(map[uint64]handle)}

type handle struct {
	kind kind
	obj  any
}

// register stores obj and returns its new id.
func register(k kind, obj any) C.uintptr_t {
	registry.Lock()
	defer registry.Unlock()
	registry.next++
	registry.live[registry.next] = handle{k, obj}
	return C.uintptr_t(registry.next)
}

// lookup returns the object behind id if it is alive and of kind k.
func lookup(id C.uintptr_t, k kind) (any, bool) {
	registry.Lock()
	defer registry.Unlock()
	h, ok := registry.live[uint64(id)]
	if !ok || h.kind != k {
		return nil, false
	}
	return h.obj, true
}

// unregister removes id if it is alive and of kind k and returns its object.
func unregister(id C.uintptr_t, k kind) (any, bool) {
	registry.Lock()
	defer registry.Unlock()
	h, ok := registry.live[uint64(id)]
	if !ok || h.kind != k {
		return nil, false
	}
	delete(registry.live, uint64(id))
	return h.obj, true
}

// liveHandles counts the handles alive.
func liveHandles() int {
	registry.Lock()
	defer registry.Unlock()
	return len(registry.live)
}

//export scoutgo_handle_count
func scoutgo_handle_count(count *C.size_t) (st C.int) {
	defer guard(&st)
	if count == nil {
		return statusInvalid
	}
	*count = C.size_t(liveHandles())
	return statusOK
}
