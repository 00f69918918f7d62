package main

// #include "shim.h"
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/scout-dht/scout/scout"
)

// The C side's view of a session's life. A session runs once.
type lifecycle uint8

const (
	lifeNew lifecycle = iota
	lifeStarting
	lifeRunning
	lifeStopped
)

// session is the object behind a scout_session handle: the core session,
// the operations started through C, and the dispatcher that runs their
// callbacks (dispatch.go).
type session struct {
	core *scout.Session

	mu         sync.Mutex
	cond       *sync.Cond // the dispatcher waits on it for events
	life       lifecycle
	closing    bool // freed: nothing new is queued; the dispatcher drains and exits
	queue      []event
	logsQueued int
	pending    map[uint64]*op // operations started and not yet completed
	nextOp     uint64

	ctx    context.Context // ends with stop or free: every operation's parent
	cancel context.CancelFunc

	tid  atomic.Int64  // the dispatcher's OS thread id
	done chan struct{} // closed when the dispatcher has exited

	stopOnce sync.Once
	stopErr  error
}

// op is one operation started through C. onCancel runs its completion
// callback with SCOUT_CANCELLED.
type op struct {
	id        uint64
	cancelled bool // ended by stop or free; guarded by session.mu
	onCancel  func()
}

// optionsV1Size is the size of scout_session_options in ABI 1: the least a
// caller may pass.
const optionsV1Size = C.sizeof_scout_session_options

// maxOptionsSize bounds the size a caller may claim, so that checking the
// unknown tail cannot run off into unrelated memory.
const maxOptionsSize = 4096

// headerDefaultTimeout is SCOUT_DEFAULT_TIMEOUT_MS, the header's word for
// scout.DefaultTimeout; TestDefaultTimeout holds the two equal. A timeout_ms
// of 0 passes through as 0: the core applies its own default.
const headerDefaultTimeout = C.SCOUT_DEFAULT_TIMEOUT_MS * time.Millisecond

// options converts a caller's options to the core's, copying every string.
func options(p *C.scout_session_options) (opts scout.Options, logFn C.scout_log_fn, logUser C.uintptr_t, level slog.Level, ok bool) {
	if p == nil {
		return opts, nil, 0, 0, true
	}
	size := uintptr(p.size)
	if size < optionsV1Size || size > maxOptionsSize {
		return opts, nil, 0, 0, false
	}
	// Fields of a newer header that this library does not know must be zero
	// ("default"): then ignoring them is what the caller asked for.
	for _, b := range unsafe.Slice((*byte)(unsafe.Pointer(p)), size)[optionsV1Size:] {
		if b != 0 {
			return opts, nil, 0, 0, false
		}
	}
	if p.listen_addr != nil {
		opts.ListenAddr = C.GoString(p.listen_addr)
	}
	if p.bootstrap != nil {
		opts.Bootstrap = []string{}
		for _, a := range strings.Split(C.GoString(p.bootstrap), ",") {
			if a = strings.TrimSpace(a); a != "" {
				opts.Bootstrap = append(opts.Bootstrap, a)
			}
		}
	}
	if p.state_file != nil {
		opts.StateFile = C.GoString(p.state_file)
	}
	opts.Timeout = time.Duration(p.timeout_ms) * time.Millisecond
	opts.ReadOnly = p.read_only != 0
	return opts, p.log, C.uintptr_t(uintptr(p.log_user)), slog.Level(p.log_level), true
}

//export scoutgo_session_new
func scoutgo_session_new(p *C.scout_session_options, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	opts, logFn, logUser, level, ok := options(p)
	if !ok {
		return statusInvalid
	}
	s := &session{pending: make(map[uint64]*op), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	s.tid.Store(-1)
	if logFn != nil {
		opts.Logger = slog.New(&logHandler{s: s, fn: logFn, user: logUser, level: level})
	}
	core, err := scout.NewSession(opts)
	if err != nil {
		return statusOf(err)
	}
	s.core = core
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ready := make(chan struct{})
	go s.loop(ready)
	<-ready
	*outp = register(kindSession, s)
	return statusOK
}

func sessionOf(h C.uintptr_t) (*session, bool) {
	obj, ok := lookup(h, kindSession)
	if !ok {
		return nil, false
	}
	return obj.(*session), true
}

//export scoutgo_session_start
func scoutgo_session_start(h C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok {
		return statusInvalid
	}
	s.mu.Lock()
	if s.life != lifeNew || s.closing {
		s.mu.Unlock()
		return statusWrongState
	}
	s.life = lifeStarting
	s.mu.Unlock()

	err := s.core.Start(s.ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeStarting || s.closing {
		return statusCancelled // stopped or freed meanwhile
	}
	if err != nil {
		s.life = lifeStopped
		return statusOf(err)
	}
	s.life = lifeRunning
	return statusOK
}

// stopCore stops the core session once; later callers wait for the first.
func (s *session) stopCore() error {
	s.stopOnce.Do(func() { s.stopErr = s.core.Stop() })
	return s.stopErr
}

//export scoutgo_session_stop
func scoutgo_session_stop(h C.uintptr_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok {
		return statusInvalid
	}
	s.mu.Lock()
	switch s.life {
	case lifeNew:
		s.mu.Unlock()
		return statusWrongState
	case lifeStopped:
		s.mu.Unlock()
		return statusOK
	}
	s.life = lifeStopped
	s.cancelPendingLocked()
	s.mu.Unlock()
	s.cancel()
	if s.onDispatcher() {
		// The core's Stop waits for its operations, which may wait for this
		// very callback (a finalize): finish in the background.
		go s.stopCore()
		return statusOK
	}
	return statusOf(s.stopCore())
}

//export scoutgo_session_free
func scoutgo_session_free(h C.uintptr_t) {
	defer guardVoid()
	obj, ok := unregister(h, kindSession)
	if !ok {
		return
	}
	s := obj.(*session)
	s.mu.Lock()
	s.closing = true
	s.life = lifeStopped
	s.cancelPendingLocked()
	s.mu.Unlock()
	s.cancel()
	if s.onDispatcher() {
		// Called from one of this session's callbacks: deliver what is left
		// now, so that nothing runs after we return; the dispatcher exits
		// when the running callback returns.
		s.drainInline()
		go s.stopCore()
		return
	}
	s.stopCore()
	<-s.done
}

//export scoutgo_session_addr
func scoutgo_session_addr(h C.uintptr_t, buf *C.char, n *C.size_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok || n == nil {
		return statusInvalid
	}
	a := s.core.Addr()
	if !a.IsValid() {
		return statusWrongState
	}
	return outString(buf, n, a.String())
}

//export scoutgo_session_port
func scoutgo_session_port(h C.uintptr_t, port *C.uint16_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok || port == nil {
		return statusInvalid
	}
	a := s.core.Addr()
	if !a.IsValid() {
		return statusWrongState
	}
	*port = C.uint16_t(a.Port())
	return statusOK
}
