package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/scout-dht/scout/scout"
)

// The C tests (tests/c) exercise every export through the header; these
// check the Go-side pieces they cannot reach: the error mapping, panic
// recovery and the registry's promises.

func TestDefaultTimeout(t *testing.T) {
	if headerDefaultTimeout != scout.DefaultTimeout {
		t.Fatalf("SCOUT_DEFAULT_TIMEOUT_MS is %v, scout.DefaultTimeout %v", headerDefaultTimeout, scout.DefaultTimeout)
	}
}

func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want any
	}{
		{nil, statusOK},
		{scout.ErrInvalidArgument, statusInvalid},
		{&scout.ParseError{What: "x"}, statusInvalid},
		{scout.ErrTooLarge, statusTooLarge},
		{&scout.LimitError{What: "value", Size: 256, Limit: 255}, statusTooLarge},
		{scout.ErrNotFound, statusNotFound},
		{scout.ErrTimeout, statusTimeout},
		{context.DeadlineExceeded, statusTimeout},
		{scout.ErrCancelled, statusCancelled},
		{context.Canceled, statusCancelled},
		{scout.ErrDecrypt, statusDecrypt},
		{scout.ErrWrongState, statusWrongState},
		{scout.ErrNetwork, statusNetwork},
		{scout.ErrConflict, statusConflict},
		{fmt.Errorf("wrapped: %w", scout.ErrNotFound), statusNotFound},
		{errors.New("something else"), statusInternal},
	} {
		if got := statusOf(c.err); got != c.want {
			t.Errorf("statusOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestGuardRecoversPanics(t *testing.T) {
	var seen any
	panicHook = func(r any, _ []byte) { seen = r }
	defer func() { panicHook = nil }()
	st := statusOK
	func() {
		defer guard(&st)
		panic("boom")
	}()
	if st != statusInternal || seen != "boom" {
		t.Errorf("after a panic: status %v, hook saw %v", st, seen)
	}
	func() {
		defer guardVoid()
		panic("boom again")
	}()
	if seen != "boom again" {
		t.Errorf("guardVoid: hook saw %v", seen)
	}
}

func TestRegistry(t *testing.T) {
	before := liveHandles()
	a := register(kindEntries, &entries{l: scout.NewEntries()})
	b := register(kindSession, "not really a session")
	if a == 0 || b <= a {
		t.Fatalf("ids %d, %d: want increasing from 1", a, b)
	}
	if _, ok := lookup(a, kindSession); ok {
		t.Error("an entries handle was accepted as a session")
	}
	if _, ok := unregister(b, kindEntries); ok {
		t.Error("a session handle was freed as an entries handle")
	}
	if _, ok := lookup(0, kindEntries); ok {
		t.Error("the NULL handle was accepted")
	}
	unregister(a, kindEntries)
	unregister(b, kindSession)
	if _, ok := lookup(a, kindEntries); ok {
		t.Error("a freed handle was accepted")
	}
	c := register(kindEntries, &entries{l: scout.NewEntries()})
	if c == a || c == b {
		t.Errorf("id %d reused", c)
	}
	unregister(c, kindEntries)
	if n := liveHandles(); n != before {
		t.Errorf("%d handles alive, want %d", n, before)
	}
}

// TestProtectTurnsPanicsIntoInternal: an operation whose goroutine panics
// still completes, with SCOUT_INTERNAL, and the process lives on.
func TestProtectTurnsPanicsIntoInternal(t *testing.T) {
	var seen any
	panicHook = func(r any, _ []byte) { seen = r }
	defer func() { panicHook = nil }()
	res, err := protect(func() (scout.PutResult, error) { panic("in the core") })
	if err != errPanic || statusOf(err) != statusInternal || res != (scout.PutResult{}) || seen != "in the core" {
		t.Errorf("after a panic: %v, %v (status %v), hook saw %v", res, err, statusOf(err), seen)
	}
	res, err = protect(func() (scout.PutResult, error) { return scout.PutResult{Stored: 3}, nil })
	if err != nil || res.Stored != 3 {
		t.Errorf("without a panic: %v, %v", res, err)
	}
}
