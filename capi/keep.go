package main

// #include "shim.h"
import "C"

import (
	"context"
	"time"
	"unsafe"

	"github.com/scout-dht/scout/scout"
)

// Keeping, watching, removing: scout_keep, scout_keep_list,
// scout_session_kept and scout_watch. Each runs as an operation (op.go)
// with no deadline of its own: it ends when cancelled through its scout_op,
// or with the session, and then completes once with SCOUT_CANCELLED.

// keepOptions reads a scout_keep_options (NULL: all defaults).
func keepOptions(p *C.scout_keep_options) (scout.KeepOptions, bool) {
	if p == nil {
		return scout.KeepOptions{}, true
	}
	if !knownSize(unsafe.Pointer(p), uintptr(p.size), C.sizeof_scout_keep_options, C.sizeof_scout_keep_options, "scout_keep_options") {
		return scout.KeepOptions{}, false
	}
	return scout.KeepOptions{Interval: time.Duration(p.interval_ms) * time.Millisecond}, true
}

// roundReporter posts each keep round to the caller's round callback.
func (s *session) roundReporter(o *op, round C.scout_keep_round_fn, user C.uintptr_t) func(scout.Kept) {
	if round == nil {
		return nil
	}
	return func(k scout.Kept) {
		s.post(event{op: o, run: func() {
			C.scout_call_keep_round(round, user, statusOf(k.Err), C.int64_t(k.Seq), clamp32(k.Items), clamp32(k.Stored))
		}})
	}
}

// startRun starts one of the operations that run until cancelled: work,
// then the completion finished with work's status.
func (s *session) startRun(name string, out *C.uintptr_t, finished C.scout_run_finished_fn, user C.uintptr_t,
	work func(ctx context.Context, o *op) error) C.int {
	o := &op{name: name, onCancel: func() {
		if finished != nil {
			C.scout_call_run_finished(finished, user, statusCancelled)
		}
	}}
	if st := s.start(o, 0, out); st != statusOK {
		return st
	}
	run(s, o, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, work(ctx, o)
	}, func(_ struct{}, status C.int) {
		if finished != nil {
			C.scout_call_run_finished(finished, user, status)
		}
	})
	return statusOK
}

//export scoutgo_keep
func scoutgo_keep(h C.uintptr_t, sharedp *C.uint8_t, opts *C.scout_keep_options, out *C.uintptr_t,
	round C.scout_keep_round_fn, finished C.scout_run_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return startKeep("scout_keep", "shared_secret", h, sharedp, opts, out, round, finished, user)
}

//export scoutgo_keep_list
func scoutgo_keep_list(h C.uintptr_t, headp *C.uint8_t, opts *C.scout_keep_options, out *C.uintptr_t,
	round C.scout_keep_round_fn, finished C.scout_run_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	return startKeep("scout_keep_list", "head", h, headp, opts, out, round, finished, user)
}

// startKeep starts scout_keep (what is shared_secret, 32 bytes) or
// scout_keep_list (what is head, 20).
func startKeep(name, what string, h C.uintptr_t, p *C.uint8_t, opts *C.scout_keep_options, out *C.uintptr_t,
	round C.scout_keep_round_fn, finished C.scout_run_finished_fn, user C.uintptr_t) C.int {
	s, ok := sessionFor(h)
	if !ok {
		return statusInvalid
	}
	var shared scout.SharedSecret
	var head scout.Hash
	dst := shared[:]
	if what == "head" {
		dst = head[:]
	}
	if !inFixed(dst, p) {
		return failf(statusInvalid, "%s is NULL", what)
	}
	if what == "head" && head.IsZero() {
		return failf(statusInvalid, "head is 20 zero bytes, the empty list: nothing to keep")
	}
	ko, ok := keepOptions(opts)
	if !ok {
		return statusInvalid
	}
	return s.startRun(name, out, finished, user, func(ctx context.Context, o *op) error {
		ko.Round = s.roundReporter(o, round, user)
		if what == "head" {
			return s.core.KeepList(ctx, head, ko)
		}
		return s.core.Keep(ctx, shared, ko)
	})
}

//export scoutgo_session_kept
func scoutgo_session_kept(h C.uintptr_t, index C.size_t, isList *C.int, target *C.uint8_t, seq *C.int64_t,
	rounds *C.uint32_t, last *C.int) (st C.int) {
	defer guard(&st)
	s, ok := sessionFor(h)
	if !ok {
		return statusInvalid
	}
	kept := s.core.Kept()
	if uint64(index) >= uint64(len(kept)) {
		return failf(statusNotFound, "index %d is past the %d things the session keeps", index, len(kept))
	}
	k := kept[index]
	if isList != nil {
		*isList = 0
		if k.List {
			*isList = 1
		}
	}
	if target != nil {
		outFixed(target, k.Target[:])
	}
	if seq != nil {
		*seq = C.int64_t(k.Seq)
	}
	if rounds != nil {
		*rounds = clamp32(k.Rounds)
	}
	if last != nil {
		*last = statusOf(k.Err)
	}
	return statusOK
}

// watchOptions reads a scout_watch_options (NULL: all defaults).
func watchOptions(p *C.scout_watch_options) (time.Duration, bool) {
	if p == nil {
		return 0, true
	}
	if !knownSize(unsafe.Pointer(p), uintptr(p.size), C.sizeof_scout_watch_options, C.sizeof_scout_watch_options, "scout_watch_options") {
		return 0, false
	}
	return time.Duration(p.interval_ms) * time.Millisecond, true
}

//export scoutgo_watch
func scoutgo_watch(h C.uintptr_t, sharedp *C.uint8_t, eh C.uintptr_t, opts *C.scout_watch_options, out *C.uintptr_t,
	updated C.scout_entry_updated_fn, removed C.scout_entry_removed_fn, changed C.scout_watch_changed_fn,
	finished C.scout_run_finished_fn, user C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, shared, ok := sessionShared(h, sharedp)
	if !ok {
		return statusInvalid
	}
	interval, ok := watchOptions(opts)
	if !ok {
		return statusInvalid
	}
	var local *scout.Entries
	if eh != 0 {
		if local, ok = snapshot(eh); !ok {
			return statusInvalid // snapshot set the cause
		}
	}
	return s.startRun("scout_watch", out, finished, user, func(ctx context.Context, o *op) error {
		handler := scout.WatchHandler{EntryUpdated: s.entryUpdated(o, updated, user)}
		handler.Changed = func(c scout.WatchChange) {
			if removed != nil {
				for _, id := range c.Removed {
					var seq int64
					for _, e := range c.Entries.Removed() {
						if e.ID == id {
							seq = e.Seq
						}
					}
					s.post(event{op: o, run: func() { C.scout_call_entry_removed(removed, user, C.uint32_t(id), C.int64_t(seq)) }})
				}
			}
			list, nu, nr := c.Entries, len(c.Updated), len(c.Removed)
			s.post(event{op: o, run: func() {
				if eh != 0 {
					replace(eh, list)
				}
				if changed != nil {
					C.scout_call_watch_changed(changed, user, C.int64_t(c.Seq), C.size_t(nu), C.size_t(nr))
				}
			}})
		}
		return s.core.Watch(ctx, shared, local, interval, handler)
	})
}
