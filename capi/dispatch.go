package main

// #include "shim.h"
import "C"

import (
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
)

// The dispatcher: one goroutine per session, locked to its own OS thread,
// runs every callback of the session in order, one at a time. Operations
// post events to the session's queue; the dispatcher pops and delivers them.
//
// Exactly once: an operation's completion is queued only by whoever removes
// the operation from s.pending (finish when it ends, cancelPendingLocked on
// stop and free), under s.mu, so it is queued once; every queued completion
// is delivered, by the dispatcher or by free before it returns. Other events
// (entry updates, finalize, log lines) are skipped once their operation was
// cancelled or the session is being freed.

// event is one callback to run on the dispatcher.
type event struct {
	op    *op           // the operation it belongs to; nil for a log line
	final bool          // the operation's completion: always delivered
	text  string        // a completion's error text, set on the thread first
	log   bool          // a log line: counted in s.logsQueued, may be dropped
	fin   *finalizeWait // set for a finalize callback, which its operation waits for
	run   func()
}

// A finalize event's life: queued, then running and done, or skipped (by
// the dispatcher when the operation was cancelled, or by the operation when
// its context ended first). done is closed on done and skipped.
const (
	finQueued int32 = iota
	finRunning
	finDone
	finSkipped
)

type finalizeWait struct {
	state atomic.Int32
	done  chan struct{}
}

func newFinalizeWait() *finalizeWait { return &finalizeWait{done: make(chan struct{})} }

// skip marks a queued finalize as skipped; false if it already started.
func (w *finalizeWait) skip() bool {
	if w.state.CompareAndSwap(finQueued, finSkipped) {
		close(w.done)
		return true
	}
	return false
}

// maxQueuedLogs bounds the log lines waiting for the dispatcher; more are
// dropped so that a slow log callback cannot grow the queue without end.
const maxQueuedLogs = 1024

// post queues a non-final event. It returns false if the session is being
// freed (the event is dropped) or, for a log line, if too many are queued.
func (s *session) post(ev event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if ev.log {
		if s.logsQueued >= maxQueuedLogs {
			return false
		}
		s.logsQueued++
	}
	s.queue = append(s.queue, ev)
	s.cond.Signal()
	return true
}

// finish ends o with the completion fire, whose error text is text,
// unless o was already ended (cancelled by stop, free or scout_op_cancel):
// the only way a normal completion is queued.
func (s *session) finish(o *op, text string, fire func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[o.id] != o {
		return
	}
	delete(s.pending, o.id)
	s.queue = append(s.queue, event{op: o, final: true, text: text, run: fire})
	s.cond.Signal()
}

// cancelLocked ends the pending operation o with SCOUT_CANCELLED and why.
// s.mu is held; the caller signals the dispatcher.
func (s *session) cancelLocked(o *op, why string) {
	delete(s.pending, o.id)
	o.cancelled = true
	text := o.name + ": cancelled: " + why
	s.queue = append(s.queue, event{op: o, final: true, text: text, run: o.onCancel})
}

// cancelPendingLocked ends every pending operation with SCOUT_CANCELLED, in
// the order they started. s.mu is held.
func (s *session) cancelPendingLocked(why string) {
	ids := make([]uint64, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.cancelLocked(s.pending[id], why)
	}
	s.cond.Broadcast()
}

// pop removes the next event, waiting for one; ok is false once the
// session is being freed and the queue is empty.
func (s *session) pop(wait bool) (ev event, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for wait && len(s.queue) == 0 && !s.closing {
		s.cond.Wait()
	}
	if len(s.queue) == 0 {
		return event{}, false
	}
	ev = s.queue[0]
	s.queue[0] = event{}
	s.queue = s.queue[1:]
	if ev.log {
		s.logsQueued--
	}
	return ev, true
}

// loop is the dispatcher goroutine. It records its thread so that stop and
// free can tell when they are called from one of the session's callbacks.
func (s *session) loop(ready chan<- struct{}) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(s.done)
	s.tid.Store(int64(syscall.Gettid()))
	close(ready)
	for {
		ev, ok := s.pop(true)
		if !ok {
			return
		}
		s.deliver(ev)
	}
}

// onDispatcher reports whether the caller runs on the session's dispatcher
// thread, i.e. inside one of its callbacks.
func (s *session) onDispatcher() bool {
	return s.tid.Load() == int64(syscall.Gettid())
}

// deliver runs one event's callback, or skips it.
func (s *session) deliver(ev event) {
	defer guardVoid() // a panic in our own code must not kill the dispatcher
	if !ev.final {
		s.mu.Lock()
		live := !s.closing && (ev.op == nil || !ev.op.cancelled)
		s.mu.Unlock()
		if ev.fin != nil {
			if !live {
				ev.fin.skip()
				return
			}
			if !ev.fin.state.CompareAndSwap(finQueued, finRunning) {
				return // the operation gave up waiting
			}
			defer func() { ev.fin.state.Store(finDone); close(ev.fin.done) }()
		} else if !live {
			return
		}
	} else {
		setText(ev.text) // what scout_last_error gives inside the completion
	}
	ev.run()
}

// drainInline delivers, on the calling dispatcher thread, every event still
// queued: free's way to keep its promises when called from a callback.
func (s *session) drainInline() {
	for {
		ev, ok := s.pop(false)
		if !ok {
			return
		}
		s.deliver(ev)
	}
}
