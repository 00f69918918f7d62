package main

// #include "shim.h"
import "C"

import (
	"bytes"
	"math"

	"github.com/scout-dht/scout/scout"
)

// begin registers o as pending, or fails when the session is not running.
func (s *session) begin(o *op) C.int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeRunning || s.closing {
		return statusWrongState
	}
	s.nextOp++
	o.id = s.nextOp
	s.pending[o.id] = o
	return statusOK
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

//export scoutgo_synchronize
func scoutgo_synchronize(h C.uintptr_t, sharedp *C.uint8_t, eh C.uintptr_t, updated C.scout_entry_updated_fn,
	finalize C.scout_finalize_fn, finished C.scout_sync_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	var shared scout.SharedSecret
	if !ok || !inFixed(shared[:], sharedp) {
		return statusInvalid
	}
	local, ok := snapshot(eh)
	if !ok {
		return statusInvalid
	}
	o := &op{onCancel: func() {
		if finished != nil {
			C.scout_call_sync_finished(finished, user, statusCancelled, 0, 0, 0)
		}
	}}
	if st := s.begin(o); st != statusOK {
		return st
	}
	var handler scout.SyncHandler
	if updated != nil {
		handler.EntryUpdated = func(e scout.Entry) {
			v := bytes.Clone(e.Value)
			s.post(event{op: o, run: func() {
				cv := cbytes(v)
				defer cfree(cv)
				C.scout_call_entry_updated(updated, user, C.uint32_t(e.ID), C.int64_t(e.Seq), cv, C.size_t(len(v)))
			}})
		}
	}
	if finalize != nil {
		handler.Finalize = func(l *scout.Entries) { s.finalize(o, finalize, user, l) }
	}
	go func() {
		res, err := protect(func() (scout.SyncResult, error) { return s.core.Synchronize(s.ctx, shared, local, handler) })
		status := statusOf(err)
		s.finish(o, func() {
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
	}()
	return statusOK
}

// finalize runs the caller's finalize callback on the dispatcher with a
// temporary handle to l, and waits for it: Synchronize seals l once this
// returns. It gives up waiting when the operation is cancelled before the
// callback starts.
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
	case <-s.ctx.Done():
		if !w.skip() {
			<-w.done // it is running: l is the callback's until it returns
		}
	}
}

//export scoutgo_put
func scoutgo_put(h C.uintptr_t, tokenp, m *C.uint8_t, n C.size_t, finished C.scout_put_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	var token scout.ListToken
	msg, okMsg := in(m, n)
	if !ok || !okMsg || !inFixed(token[:], tokenp) {
		return statusInvalid
	}
	if _, err := scout.EncodeMessage(token, msg); err != nil {
		return statusOf(err) // refused before it starts: too large
	}
	o := &op{onCancel: func() {
		if finished != nil {
			zero := cbytes(make([]byte, scout.HashSize))
			defer cfree(zero)
			C.scout_call_put_finished(finished, user, statusCancelled, zero, 0)
		}
	}}
	if st := s.begin(o); st != statusOK {
		return st
	}
	go func() {
		res, err := protect(func() (scout.PutResult, error) { return s.core.Put(s.ctx, token, msg) })
		status := statusOf(err)
		s.finish(o, func() {
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
	}()
	return statusOK
}

//export scoutgo_get
func scoutgo_get(h C.uintptr_t, hashp *C.uint8_t, received C.scout_get_received_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	var hash scout.Hash
	if !ok || !inFixed(hash[:], hashp) {
		return statusInvalid
	}
	o := &op{onCancel: func() {
		if received != nil {
			msg, next := cbytes(nil), cbytes(make([]byte, scout.HashSize))
			defer cfree(msg, next)
			C.scout_call_get_received(received, user, statusCancelled, msg, 0, next)
		}
	}}
	if st := s.begin(o); st != statusOK {
		return st
	}
	go func() {
		m, err := protect(func() (scout.Message, error) { return s.core.Get(s.ctx, hash) })
		status := statusOf(err)
		s.finish(o, func() {
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
	}()
	return statusOK
}

//export scoutgo_get_list
func scoutgo_get_list(h C.uintptr_t, headp *C.uint8_t, max C.size_t, message C.scout_list_message_fn,
	finished C.scout_list_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	var head scout.Hash
	if !ok || !inFixed(head[:], headp) {
		return statusInvalid
	}
	limit := math.MaxInt
	if uint64(max) < uint64(math.MaxInt) {
		limit = int(max)
	}
	o := &op{onCancel: func() {
		if finished != nil {
			C.scout_call_list_finished(finished, user, statusCancelled, 0)
		}
	}}
	if st := s.begin(o); st != statusOK {
		return st
	}
	go func() {
		msgs, err := protect(func() ([]scout.Message, error) { return s.core.GetList(s.ctx, head, limit) })
		status := statusOf(err)
		s.finish(o, func() {
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
	}()
	return statusOK
}
