package main

// #include "shim.h"
import "C"

import (
	"context"
	"errors"
	"runtime/debug"
	"unsafe"

	"github.com/scout-dht/scout/scout"
)

// Status codes, as the header numbers them.
const (
	statusOK             C.int = C.SCOUT_OK
	statusInvalid        C.int = C.SCOUT_INVALID_ARGUMENT
	statusTooLarge       C.int = C.SCOUT_TOO_LARGE
	statusBufferTooSmall C.int = C.SCOUT_BUFFER_TOO_SMALL
	statusNotFound       C.int = C.SCOUT_NOT_FOUND
	statusTimeout        C.int = C.SCOUT_TIMEOUT
	statusCancelled      C.int = C.SCOUT_CANCELLED
	statusDecrypt        C.int = C.SCOUT_DECRYPT_FAILED
	statusWrongState     C.int = C.SCOUT_WRONG_STATE
	statusNetwork        C.int = C.SCOUT_NETWORK
	statusInternal       C.int = C.SCOUT_INTERNAL
	statusConflict       C.int = C.SCOUT_CONFLICT
)

// statusOf maps an error of package scout (or of a context) to its status:
// the one place where Go errors become C statuses. An error of no known kind
// is a bug: SCOUT_INTERNAL.
func statusOf(err error) C.int {
	switch {
	case err == nil:
		return statusOK
	case errors.Is(err, scout.ErrInvalidArgument):
		return statusInvalid
	case errors.Is(err, scout.ErrTooLarge):
		return statusTooLarge
	case errors.Is(err, scout.ErrNotFound):
		return statusNotFound
	case errors.Is(err, scout.ErrCancelled), errors.Is(err, context.Canceled):
		return statusCancelled
	case errors.Is(err, scout.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return statusTimeout
	case errors.Is(err, scout.ErrDecrypt):
		return statusDecrypt
	case errors.Is(err, scout.ErrWrongState):
		return statusWrongState
	case errors.Is(err, scout.ErrNetwork):
		return statusNetwork
	case errors.Is(err, scout.ErrConflict):
		return statusConflict
	}
	return statusInternal
}

// panicHook, when set (by tests), sees every recovered panic.
var panicHook func(r any, stack []byte)

// guard recovers a panic in an export and turns it into SCOUT_INTERNAL.
// Every export that returns a status defers it: `defer guard(&st)`.
func guard(st *C.int) {
	if r := recover(); r != nil {
		if panicHook != nil {
			panicHook(r, debug.Stack())
		}
		*st = failf(statusInternal, "internal error (a panic was recovered: %v)", r)
	}
}

// errPanic ends an operation whose goroutine recovered a panic: it
// completes, once, with SCOUT_INTERNAL.
var errPanic = errors.New("scout: internal error (a panic was recovered)")

// protect runs one operation of the core on an operation's goroutine,
// turning a panic (a bug) into errPanic: the operation still completes
// exactly once, and the host process lives on.
func protect[T any](f func() (T, error)) (res T, err error) {
	defer func() {
		if r := recover(); r != nil {
			if panicHook != nil {
				panicHook(r, debug.Stack())
			}
			var zero T
			res, err = zero, errPanic
		}
	}()
	return f()
}

// guardVoid is guard for exports that return nothing.
func guardVoid() {
	if r := recover(); r != nil && panicHook != nil {
		panicHook(r, debug.Stack())
	}
}

// in copies n bytes of C memory at p into Go memory. p may be NULL only if
// n is 0; ok is false otherwise.
func in(p *C.uint8_t, n C.size_t) (b []byte, ok bool) {
	if n == 0 {
		return []byte{}, true
	}
	if p == nil {
		return nil, false
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(p)), uint64(n))...), true
}

// inFixed copies the size bytes at p, a fixed-size array argument, into dst.
func inFixed(dst []byte, p *C.uint8_t) bool {
	if p == nil {
		return false
	}
	copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(p)), len(dst)))
	return true
}

// outFixed copies src to the fixed-size array at p, which must not be NULL
// (the caller checked).
func outFixed(p *C.uint8_t, src []byte) {
	copy(unsafe.Slice((*byte)(unsafe.Pointer(p)), len(src)), src)
}

// out writes data to a caller buffer of capacity *n: the header's
// buf / *len convention. Too small (or NULL with data to write) gives
// SCOUT_BUFFER_TOO_SMALL and the size needed in *n.
func out(buf *C.uint8_t, n *C.size_t, data []byte) C.int {
	if n == nil {
		return failf(statusInvalid, "len is NULL")
	}
	if uint64(*n) < uint64(len(data)) || (buf == nil && len(data) > 0) {
		have := uint64(*n)
		if buf == nil {
			have = 0
		}
		*n = C.size_t(len(data))
		return failf(statusBufferTooSmall, "the buffer holds %d bytes, %d are needed", have, len(data))
	}
	if len(data) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(data)), data)
	}
	*n = C.size_t(len(data))
	return statusOK
}

// outString writes s and a terminating NUL to a caller buffer; *n counts the
// NUL.
func outString(buf *C.char, n *C.size_t, s string) C.int {
	return out((*C.uint8_t)(unsafe.Pointer(buf)), n, append([]byte(s), 0))
}

// cbytes copies b into C memory (never NULL, even when b is empty) for
// the duration of a callback; the caller frees it with cfree once the
// callback has returned. Callbacks never see Go memory: a callback that
// reads past its buffer is then a C heap error that memory checkers report.
func cbytes(b []byte) *C.uint8_t {
	p := (*C.uint8_t)(C.malloc(C.size_t(max(len(b), 1))))
	if len(b) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(p)), len(b)), b)
	}
	return p
}

// cfree frees what cbytes returned.
func cfree(ps ...*C.uint8_t) {
	for _, p := range ps {
		C.free(unsafe.Pointer(p))
	}
}
