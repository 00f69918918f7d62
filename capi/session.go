package main

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"math"
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
	name      string // the function that started it, for error texts
	cancelled bool   // ended by stop, free or scout_op_cancel; guarded by session.mu
	onCancel  func()

	ctx    context.Context    // what the operation's work runs under
	cancel context.CancelFunc // ends ctx: when the work returns, or on scout_op_cancel
}

// The sizes of scout_session_options: in its first release (0.2.0), the
// least a caller may pass, and as this library knows it. A caller's struct
// of a size in between lacks the fields appended since: they are read only
// when its size covers them (has).
const (
	optionsV1Size    = C.SCOUT_SESSION_OPTIONS_V1_SIZE
	optionsKnownSize = C.sizeof_scout_session_options
)

// maxOptionsSize bounds the size a caller may claim for an options struct,
// so that checking the unknown tail cannot run off into unrelated memory.
const maxOptionsSize = 4096

// knownSize checks an options struct's size field: at least first, the
// size of the struct's first release, at most maxOptionsSize, and every
// byte beyond known, what this library knows (fields of a newer header),
// zero, "default", so that ignoring them is what the caller asked for. It
// sets the cause if not.
func knownSize(p unsafe.Pointer, size, first, known uintptr, what string) bool {
	if size < first || size > maxOptionsSize {
		setCause(fmt.Sprintf("%s.size is %d: initialize the struct with its _init function (this library knows %d bytes)", what, size, known))
		return false
	}
	if size <= known {
		return true
	}
	for i, b := range unsafe.Slice((*byte)(p), size)[known:] {
		if b != 0 {
			setCause(fmt.Sprintf("%s has a field this library does not know set (byte %d of %d): the library is older than the header", what, known+uintptr(i), size))
			return false
		}
	}
	return true
}

// headerDefaultTimeout is SCOUT_DEFAULT_TIMEOUT_MS, the header's word for
// scout.DefaultTimeout; TestDefaultTimeout holds the two equal. A timeout_ms
// of 0 passes through as 0: the core applies its own default.
const headerDefaultTimeout = C.SCOUT_DEFAULT_TIMEOUT_MS * time.Millisecond

// options converts a caller's options to the core's, copying every string.
// When they are unusable it sets the cause and ok is false.
func options(p *C.scout_session_options) (opts scout.Options, logFn C.scout_log_fn, logUser C.uintptr_t, level slog.Level, ok bool) {
	if p == nil {
		return opts, nil, 0, 0, true
	}
	if !knownSize(unsafe.Pointer(p), uintptr(p.size), optionsV1Size, optionsKnownSize, "scout_session_options") {
		return opts, nil, 0, 0, false
	}
	if p.listen_addr != nil {
		opts.ListenAddr = C.GoString(p.listen_addr)
	}
	if p.bootstrap != nil {
		opts.Bootstrap = scout.SplitNodes(C.GoString(p.bootstrap))
	}
	if p.state_file != nil {
		opts.StateFile = C.GoString(p.state_file)
	}
	opts.Timeout = time.Duration(p.timeout_ms) * time.Millisecond
	opts.ReadOnly = p.read_only != 0
	if has(p.size, unsafe.Offsetof(p.port_map), unsafe.Sizeof(p.port_map)) {
		opts.PortMap = scout.PortMap(p.port_map)
	}
	if has(p.size, unsafe.Offsetof(p.refresh_on_read), unsafe.Sizeof(p.refresh_on_read)) {
		opts.TombstoneTTL = time.Duration(p.tombstone_ttl_ms) * time.Millisecond
		opts.ShowRemoved = p.show_removed != 0
		opts.RefreshOnRead = p.refresh_on_read != 0
	}
	if has(p.size, unsafe.Offsetof(p.limit_loopback), unsafe.Sizeof(p.limit_loopback)) {
		if p.listen_addr6 != nil {
			opts.ListenAddr6 = C.GoString(p.listen_addr6)
		}
		// NewSession refuses a families value that is no scout.Families and
		// a negative, NaN or infinite query rate.
		opts.Families = scout.Families(p.families)
		opts.Limits = scout.Limits{
			QueryRate:     float64(p.query_rate),
			QueryBurst:    int(p.query_burst),
			Block:         time.Duration(p.block_ms) * time.Millisecond,
			SendRate:      int(p.send_rate),
			LimitLoopback: p.limit_loopback != 0,
		}
	}
	return opts, p.log, C.uintptr_t(uintptr(p.log_user)), slog.Level(p.log_level), true
}

// has reports whether a caller's options struct of the given size holds
// the field at offset, of size n: a field appended after the caller's
// header was written is absent, and takes its default.
func has(size C.size_t, offset, n uintptr) bool {
	return uintptr(size) >= offset+n
}

//export scoutgo_session_new
func scoutgo_session_new(p *C.scout_session_options, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	opts, logFn, logUser, level, ok := options(p)
	if !ok {
		return statusInvalid // options set the cause
	}
	s := newSession(&opts, logFn, logUser, level)
	core, err := scout.NewSession(opts)
	if err != nil {
		return fail(err)
	}
	*outp = register(kindSession, s.run(core, lifeNew))
	return statusOK
}

// newSession makes the object behind a new scout_session handle and points
// opts.Logger at the caller's log callback, if any; run gives it its core.
func newSession(opts *scout.Options, logFn C.scout_log_fn, logUser C.uintptr_t, level slog.Level) *session {
	s := &session{pending: make(map[uint64]*op), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	s.tid.Store(-1)
	if logFn != nil {
		opts.Logger = slog.New(&logHandler{s: s, fn: logFn, user: logUser, level: level})
	}
	return s
}

// run gives s its core session, in the state life (lifeNew, or lifeRunning
// for one the swarm started), and starts its dispatcher, which delivers
// the log lines queued so far.
func (s *session) run(core *scout.Session, life lifecycle) *session {
	s.core = core
	s.life = life
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ready := make(chan struct{})
	go s.loop(ready)
	<-ready
	return s
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
		return failf(statusInvalid, causeSession)
	}
	s.mu.Lock()
	if s.life != lifeNew || s.closing {
		s.mu.Unlock()
		return failf(statusWrongState, "the session was already started (a session runs once)")
	}
	s.life = lifeStarting
	s.mu.Unlock()

	err := s.core.Start(s.ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeStarting || s.closing {
		return failf(statusCancelled, "the session was stopped or freed while it started")
	}
	if err != nil {
		s.life = lifeStopped
		return fail(err)
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
		return failf(statusInvalid, causeSession)
	}
	s.mu.Lock()
	switch s.life {
	case lifeNew:
		s.mu.Unlock()
		return failf(statusWrongState, "the session was never started")
	case lifeStopped:
		s.mu.Unlock()
		return statusOK
	}
	s.life = lifeStopped
	s.cancelPendingLocked("the session was stopped")
	s.mu.Unlock()
	s.cancel()
	if s.onDispatcher() {
		// The core's Stop waits for its operations, which may wait for this
		// very callback (a finalize): finish in the background.
		go s.stopCore()
		return statusOK
	}
	if err := s.stopCore(); err != nil {
		return fail(err)
	}
	return statusOK
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
	s.cancelPendingLocked("the session was freed")
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
	return outSessionAddrs(h, buf, n, false)
}

//export scoutgo_session_port
func scoutgo_session_port(h C.uintptr_t, port *C.uint16_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok {
		return failf(statusInvalid, causeSession)
	}
	if port == nil {
		return failf(statusInvalid, "port is NULL")
	}
	a := s.core.Addr()
	if !a.IsValid() {
		return failf(statusWrongState, "the session has not been started")
	}
	*port = C.uint16_t(a.Port())
	return statusOK
}

// The port mapping modes as scout_port_map numbers them: scout.PortMap's
// values (TestPortMapValues), so that options passes the number through
// and NewSession refuses any other.
const (
	portMapAuto C.int = C.SCOUT_PORT_MAP_AUTO
	portMapOn   C.int = C.SCOUT_PORT_MAP_ON
	portMapOff  C.int = C.SCOUT_PORT_MAP_OFF
)

// portProtocols numbers the protocols of scout.PortMapping as
// scout_port_protocol does.
var portProtocols = map[string]C.int{
	"pcp":    C.SCOUT_PORT_PROTOCOL_PCP,
	"natpmp": C.SCOUT_PORT_PROTOCOL_NATPMP,
	"upnp":   C.SCOUT_PORT_PROTOCOL_UPNP,
}

// portMappingOut is what scout_session_port_mapping writes for m: the
// protocol's number, the external, internal and gateway addresses, and the
// lease in seconds. ok is false for a mapping the header cannot express.
func portMappingOut(m scout.PortMapping) (proto C.int, addrs [3]string, lease C.uint32_t, ok bool) {
	proto, ok = portProtocols[m.Protocol]
	addrs = [3]string{m.External.String(), m.Internal.String(), m.Gateway.String()}
	for _, a := range addrs {
		if len(a) >= C.SCOUT_ADDR_STRLEN {
			ok = false
		}
	}
	return proto, addrs, C.uint32_t(min(m.Lease/time.Second, math.MaxUint32)), ok
}

//export scoutgo_session_port_mapping
func scoutgo_session_port_mapping(h C.uintptr_t, proto *C.int, external, internal, gateway *C.char, lease *C.uint32_t) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok {
		return failf(statusInvalid, causeSession)
	}
	m, _ := s.core.PortMapping()
	if m.Protocol == "" {
		s.mu.Lock()
		life := s.life
		s.mu.Unlock()
		switch life {
		case lifeNew, lifeStarting:
			return failf(statusNotFound, "no port mapping: the session has not started")
		case lifeStopped:
			return failf(statusNotFound, "no port mapping: the session was stopped (stopping removes the mapping)")
		}
		return failf(statusNotFound, "no port mapping: port mapping is off for this session, or no router has mapped its port yet")
	}
	code, addrs, secs, ok := portMappingOut(m)
	if !ok {
		return failf(statusInternal, "the port mapping %+v does not fit scout_port_protocol and SCOUT_ADDR_STRLEN", m)
	}
	for i, dst := range []*C.char{external, internal, gateway} {
		if dst != nil {
			b := unsafe.Slice((*byte)(unsafe.Pointer(dst)), len(addrs[i])+1)
			b[copy(b, addrs[i])] = 0
		}
	}
	if proto != nil {
		*proto = code
	}
	if lease != nil {
		*lease = secs
	}
	return statusOK
}
