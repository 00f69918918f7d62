package scout

import (
	"errors"
	"fmt"
)

// The error kinds every front end maps to. Errors returned by this package
// match exactly one of them with errors.Is; the C ABI turns each into a status
// code, the bindings into an exception or error variant.
var (
	// ErrInvalidArgument: a caller passed something unusable (wrong size,
	// malformed bytes, a low-order public key).
	ErrInvalidArgument = errors.New("scout: invalid argument")
	// ErrTooLarge: a value, list or message exceeds a wire-format limit.
	ErrTooLarge = errors.New("scout: too large")
	// ErrNotFound: no node on the DHT holds the requested item.
	ErrNotFound = errors.New("scout: not found")
	// ErrTimeout: the operation's deadline passed.
	ErrTimeout = errors.New("scout: timed out")
	// ErrCancelled: the operation was cancelled, by its context or by Stop.
	ErrCancelled = errors.New("scout: cancelled")
	// ErrDecrypt: a sealed value failed to open (tampered, truncated or
	// sealed with another key).
	ErrDecrypt = errors.New("scout: decryption failed")
	// ErrWrongState: the session is not running (not started, or stopped).
	ErrWrongState = errors.New("scout: session not running")
	// ErrNetwork: the network refused the operation (no socket, no reachable
	// node, every store refused).
	ErrNetwork = errors.New("scout: network error")
	// ErrConflict: concurrent writers kept replacing each other's write of a
	// mutable item and the retries ran out.
	ErrConflict = errors.New("scout: concurrent write conflict")
)

// LimitError reports which limit was exceeded and by how much. It matches
// ErrTooLarge with errors.Is.
type LimitError struct {
	What  string // "value", "entry count", "sealed list", "message"
	Size  int    // the size offered
	Limit int    // the largest size accepted
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("scout: %s too large: %d > %d", e.What, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *LimitError) Is(target error) bool { return target == ErrTooLarge }

// ParseError reports malformed input to a parser: where it went wrong and
// why. It matches ErrInvalidArgument with errors.Is.
type ParseError struct {
	What   string // "entry list", "message blob", ...
	Offset int    // byte offset where parsing failed
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("scout: malformed %s at byte %d: %s", e.What, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidArgument) true.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidArgument }

// errNoAnswer ends an operation whose lookup reached no node at all.
var errNoAnswer = fmt.Errorf("%w: no node answered (is the bootstrap node reachable?)", ErrNetwork)
