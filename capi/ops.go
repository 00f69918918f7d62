package main

// #include "shim.h"
import "C"

import (
	"bytes"
	"context"
	"math"
	"time"
	"unsafe"

	"github.com/scout-dht/scout/scout"
)

// The network operations: scout_synchronize, scout_put, scout_get,
// scout_get_list and their _op forms, which add a scout_op_options and a
// scout_op handle (op.go). Each runs on a goroutine of its own with a
// context that ends with the session, with scout_op_cancel, or at the
// operation's deadline, and completes through the session's dispatcher.

// opOptionsV1Size is the size of scout_op_options in its first release.
const opOptionsV1Size = C.sizeof_scout_op_options

// opOptions reads a scout_op_options (NULL: all defaults); for an unusable
// one it sets the cause and ok is false.
func opOptions(p *C.scout_op_options) (timeout time.Duration, ok bool) {
	if p == nil {
		return 0, true
	}
	if !knownSize(unsafe.Pointer(p), uintptr(p.size), opOptionsV1Size, opOptionsV1Size, "scout_op_options") {
		return 0, false
	}
	return time.Duration(p.timeout_ms) * time.Millisecond, true
}

// start registers o as pending and gives it its context, which ends with
// the session, with scout_op_cancel, or after timeout (0: the session's
// timeout applies, as the core does for a context without a deadline),
// and, unless out is NULL, a scout_op handle in *out. It fails when the
// session is not running; then nothing is registered.
func (s *session) start(o *op, timeout time.Duration, out *C.uintptr_t) C.int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeRunning || s.closing {
		return failf(statusWrongState, "the session is not running (not started yet, or stopped)")
	}
	s.nextOp++
	o.id = s.nextOp
	if timeout > 0 {
		o.ctx, o.cancel = context.WithTimeout(s.ctx, timeout)
	} else {
		o.ctx, o.cancel = context.WithCancel(s.ctx)
	}
	s.pending[o.id] = o
	if out != nil {
		*out = register(kindOp, &opHandle{s: s, o: o})
	}
	return statusOK
}

// run runs the operation's work on its own goroutine, then queues its
// completion with the error's text.
func run[T any](s *session, o *op, work func(ctx context.Context) (T, error), done func(res T, status C.int)) {
	go func() {
		defer o.cancel()
		res, err := protect(func() (T, error) { return work(o.ctx) })
		status := statusOf(err)
		s.finish(o, completionText(o.name, err), func() { done(res, status) })
	}()
}

// clamp32 converts a count for a uint32_t callback argument.
func clamp32(n int) C.uint32_t {
	if n < 0 {
		return 0
	}
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return C.uint32_t(n)
}

// sessionFor looks up a session handle, setting the cause when it is not one.
func sessionFor(h C.uintptr_t) (*session, bool) {
	s, ok := sessionOf(h)
	if !ok {
		setCause(causeSession)
	}
	return s, ok
}

// sessionShared is sessionFor, then the shared secret at p: what
// synchronize and watch start from. ok is false with the cause set.
func sessionShared(h C.uintptr_t, p *C.uint8_t) (s *session, shared scout.SharedSecret, ok bool) {
	if s, ok = sessionFor(h); !ok {
		return nil, shared, false
	}
	if !inFixed(shared[:], p) {
		setCause("shared_secret is NULL")
		return nil, shared, false
	}
	return s, shared, true
}

// --- synchronize -------------------------------------------------------------

//export scoutgo_synchronize
func scoutgo_synchronize(h C.uintptr_t, sharedp *C.uint8_t, eh C.uintptr_t, updated C.scout_entry_updated_fn,
	finalize C.scout_finalize_fn, finished C.scout_sync_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return synchronize("scout_synchronize", h, sharedp, eh, nil, nil, updated, finalize, finished, user)
}

//export scoutgo_synchronize_op
func scoutgo_synchronize_op(h C.uintptr_t, sharedp *C.uint8_t, eh C.uintptr_t, opts *C.scout_op_options,
	out *C.uintptr_t, updated C.scout_entry_updated_fn, finalize C.scout_finalize_fn,
	finished C.scout_sync_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return synchronize("scout_synchronize_op", h, sharedp, eh, opts, out, updated, finalize, finished, user)
}

func synchronize(name string, h C.uintptr_t, sharedp *C.uint8_t, eh C.uintptr_t, opts *C.scout_op_options,
	out *C.uintptr_t, updated C.scout_entry_updated_fn, finalize C.scout_finalize_fn,
	finished C.scout_sync_finished_fn, user C.uintptr_t) C.int {
	s, shared, ok := sessionShared(h, sharedp)
	if !ok {
		return statusInvalid
	}
	timeout, ok := opOptions(opts)
	if !ok {
		return statusInvalid
	}
	local, ok := snapshot(eh)
	if !ok {
		return statusInvalid // snapshot set the cause
	}
	o := &op{name: name, onCancel: func() {
		if finished != nil {
			C.scout_call_sync_finished(finished, user, statusCancelled, 0, 0, 0)
		}
	}}
	if st := s.start(o, timeout, out); st != statusOK {
		return st
	}
	handler := scout.SyncHandler{EntryUpdated: s.entryUpdated(o, updated, user)}
	if finalize != nil {
		handler.Finalize = func(l *scout.Entries) { s.finalize(o, finalize, user, l) }
	}
	run(s, o, func(ctx context.Context) (scout.SyncResult, error) {
		return s.core.Synchronize(ctx, shared, local, handler)
	}, func(res scout.SyncResult, status C.int) {
		var seq C.int64_t
		var stored, failed C.uint32_t
		if status == statusOK {
			if res.Entries != nil {
				replace(eh, res.Entries)
			}
			seq, stored, failed = C.int64_t(res.Seq), clamp32(res.Stored), clamp32(res.Failed)
		}
		if finished != nil {
			C.scout_call_sync_finished(finished, user, status, seq, stored, failed)
		}
	})
	return statusOK
}

// entryUpdated returns what posts each entry to the caller's entry_updated
// callback (nil when there is none).
func (s *session) entryUpdated(o *op, fn C.scout_entry_updated_fn, user C.uintptr_t) func(scout.Entry) {
	if fn == nil {
		return nil
	}
	return func(e scout.Entry) {
		v := bytes.Clone(e.Value)
		s.post(event{op: o, run: func() {
			cv := cbytes(v)
			defer cfree(cv)
			C.scout_call_entry_updated(fn, user, C.uint32_t(e.ID), C.int64_t(e.Seq), cv, C.size_t(len(v)))
		}})
	}
}

// finalize runs the caller's finalize callback on the dispatcher with a
// temporary handle to l, and waits for it: Synchronize seals l once this
// returns. It gives up waiting when the operation ends (cancelled, its
// deadline) before the callback starts.
func (s *session) finalize(o *op, fn C.scout_finalize_fn, user C.uintptr_t, l *scout.Entries) {
	w := newFinalizeWait()
	obj := &entries{l: l}
	posted := s.post(event{op: o, fin: w, run: func() {
		h := register(kindEntries, obj)
		defer func() {
			unregister(h, kindEntries)
			obj.mu.Lock()
			obj.dead = true
			obj.mu.Unlock()
		}()
		C.scout_call_finalize(fn, user, h)
	}})
	if !posted {
		return
	}
	select {
	case <-w.done:
	case <-o.ctx.Done():
		if !w.skip() {
			<-w.done // it is running: l is the callback's until it returns
		}
	}
}

// --- put -----------------------------------------------------------------------

//export scoutgo_put
func scoutgo_put(h C.uintptr_t, tokenp, m *C.uint8_t, n C.size_t, finished C.scout_put_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return put("scout_put", h, tokenp, m, n, nil, nil, finished, user)
}

//export scoutgo_put_op
func scoutgo_put_op(h C.uintptr_t, tokenp, m *C.uint8_t, n C.size_t, opts *C.scout_op_options, out *C.uintptr_t,
	finished C.scout_put_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return put("scout_put_op", h, tokenp, m, n, opts, out, finished, user)
}

func put(name string, h C.uintptr_t, tokenp, m *C.uint8_t, n C.size_t, opts *C.scout_op_options, out *C.uintptr_t,
	finished C.scout_put_finished_fn, user C.uintptr_t) C.int {
	s, ok := sessionFor(h)
	if !ok {
		return statusInvalid
	}
	var token scout.ListToken
	if !inFixed(token[:], tokenp) {
		return failf(statusInvalid, "token is NULL")
	}
	msg, ok := in(m, n)
	if !ok {
		return failf(statusInvalid, "msg is NULL and len is %d", n)
	}
	if _, err := scout.EncodeMessage(token, msg); err != nil {
		return fail(err) // refused before it starts: too large
	}
	timeout, ok := opOptions(opts)
	if !ok {
		return statusInvalid
	}
	o := &op{name: name, onCancel: func() {
		if finished != nil {
			zero := cbytes(make([]byte, scout.HashSize))
			defer cfree(zero)
			C.scout_call_put_finished(finished, user, statusCancelled, zero, 0)
		}
	}}
	if st := s.start(o, timeout, out); st != statusOK {
		return st
	}
	run(s, o, func(ctx context.Context) (scout.PutResult, error) {
		return s.core.Put(ctx, token, msg)
	}, func(res scout.PutResult, status C.int) {
		if finished == nil {
			return
		}
		if status != statusOK {
			res = scout.PutResult{}
		}
		hash := cbytes(res.Hash[:])
		defer cfree(hash)
		C.scout_call_put_finished(finished, user, status, hash, clamp32(res.Stored))
	})
	return statusOK
}

// --- get -----------------------------------------------------------------------

//export scoutgo_get
func scoutgo_get(h C.uintptr_t, hashp *C.uint8_t, received C.scout_get_received_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return get("scout_get", h, hashp, nil, nil, received, user)
}

//export scoutgo_get_op
func scoutgo_get_op(h C.uintptr_t, hashp *C.uint8_t, opts *C.scout_op_options, out *C.uintptr_t,
	received C.scout_get_received_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return get("scout_get_op", h, hashp, opts, out, received, user)
}

func get(name string, h C.uintptr_t, hashp *C.uint8_t, opts *C.scout_op_options, out *C.uintptr_t,
	received C.scout_get_received_fn, user C.uintptr_t) C.int {
	s, ok := sessionFor(h)
	if !ok {
		return statusInvalid
	}
	var hash scout.Hash
	if !inFixed(hash[:], hashp) {
		return failf(statusInvalid, "hash is NULL")
	}
	timeout, ok := opOptions(opts)
	if !ok {
		return statusInvalid
	}
	o := &op{name: name, onCancel: func() {
		if received != nil {
			msg, next := cbytes(nil), cbytes(make([]byte, scout.HashSize))
			defer cfree(msg, next)
			C.scout_call_get_received(received, user, statusCancelled, msg, 0, next)
		}
	}}
	if st := s.start(o, timeout, out); st != statusOK {
		return st
	}
	run(s, o, func(ctx context.Context) (scout.Message, error) {
		return s.core.Get(ctx, hash)
	}, func(m scout.Message, status C.int) {
		if received == nil {
			return
		}
		if status != statusOK {
			m = scout.Message{}
		}
		msg, next := cbytes(m.Contents), cbytes(m.Next[:])
		defer cfree(msg, next)
		C.scout_call_get_received(received, user, status, msg, C.size_t(len(m.Contents)), next)
	})
	return statusOK
}

// --- get_list ------------------------------------------------------------------

//export scoutgo_get_list
func scoutgo_get_list(h C.uintptr_t, headp *C.uint8_t, max C.size_t, message C.scout_list_message_fn,
	finished C.scout_list_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return getList("scout_get_list", h, headp, max, nil, nil, message, finished, user)
}

//export scoutgo_get_list_op
func scoutgo_get_list_op(h C.uintptr_t, headp *C.uint8_t, max C.size_t, opts *C.scout_op_options, out *C.uintptr_t,
	message C.scout_list_message_fn, finished C.scout_list_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return getList("scout_get_list_op", h, headp, max, opts, out, message, finished, user)
}

func getList(name string, h C.uintptr_t, headp *C.uint8_t, max C.size_t, opts *C.scout_op_options, out *C.uintptr_t,
	message C.scout_list_message_fn, finished C.scout_list_finished_fn, user C.uintptr_t) C.int {
	s, ok := sessionFor(h)
	if !ok {
		return statusInvalid
	}
	var head scout.Hash
	if !inFixed(head[:], headp) {
		return failf(statusInvalid, "head is NULL")
	}
	timeout, ok := opOptions(opts)
	if !ok {
		return statusInvalid
	}
	limit := math.MaxInt
	if uint64(max) < uint64(math.MaxInt) {
		limit = int(max)
	}
	o := &op{name: name, onCancel: func() {
		if finished != nil {
			C.scout_call_list_finished(finished, user, statusCancelled, 0)
		}
	}}
	if st := s.start(o, timeout, out); st != statusOK {
		return st
	}
	run(s, o, func(ctx context.Context) ([]scout.Message, error) {
		return s.core.GetList(ctx, head, limit)
	}, func(msgs []scout.Message, status C.int) {
		if message != nil {
			for _, m := range msgs {
				hash, msg, next := cbytes(m.Hash[:]), cbytes(m.Contents), cbytes(m.Next[:])
				C.scout_call_list_message(message, user, hash, msg, C.size_t(len(m.Contents)), next)
				cfree(hash, msg, next)
			}
		}
		if finished != nil {
			C.scout_call_list_finished(finished, user, status, C.size_t(len(msgs)))
		}
	})
	return statusOK
}
