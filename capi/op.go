package main

// #include "shim.h"
import "C"

// opHandle is the object behind a scout_op handle: one operation of one
// session. It outlives the operation (until scout_op_free); cancelling an
// operation that has ended is refused with SCOUT_WRONG_STATE.
type opHandle struct {
	s *session
	o *op
}

//export scoutgo_op_cancel
func scoutgo_op_cancel(h C.uintptr_t) (st C.int) {
	defer guard(&st)
	obj, ok := lookup(h, kindOp)
	if !ok {
		return failf(statusInvalid, causeOp)
	}
	s, o := obj.(*opHandle).s, obj.(*opHandle).o
	s.mu.Lock()
	if s.pending[o.id] != o {
		s.mu.Unlock()
		return failf(statusWrongState, "the operation has already ended (its completion has run or is queued)")
	}
	s.cancelLocked(o, "scout_op_cancel was called")
	s.cond.Signal()
	s.mu.Unlock()
	o.cancel() // the work stops; its own end is dropped by finish
	return statusOK
}

//export scoutgo_op_free
func scoutgo_op_free(h C.uintptr_t) {
	defer guardVoid()
	unregister(h, kindOp)
}
