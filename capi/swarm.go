package main

// #include "shim.h"
import "C"

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// swarmStartTimeout bounds scout_swarm_start and scout_swarm_join, as the
// header promises.
const swarmStartTimeout = 2 * time.Minute

// swarmObj is the object behind a scout_swarm handle.
type swarmObj struct {
	sw  *swarm.Swarm
	wan bool // started on the emulated WAN

	// mu serializes joins and kills: a join's index is the node count
	// before it, and a kill's room is checked against the node count.
	mu sync.Mutex
}

func swarmOf(h C.uintptr_t) (*swarmObj, bool) {
	obj, ok := lookup(h, kindSwarm)
	if !ok {
		return nil, false
	}
	return obj.(*swarmObj), true
}

// startSwarm starts a swarm and registers it in *outp.
func startSwarm(opts swarm.Options, outp *C.uintptr_t) C.int {
	ctx, cancel := context.WithTimeout(context.Background(), swarmStartTimeout)
	defer cancel()
	sw, err := swarm.Start(ctx, opts)
	if err != nil {
		return fail(err)
	}
	*outp = register(kindSwarm, &swarmObj{sw: sw, wan: opts.WAN != nil})
	return statusOK
}

//export scoutgo_swarm_start
func scoutgo_swarm_start(nodes C.uint32_t, port C.uint16_t, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	return startSwarm(swarm.Options{Nodes: int(nodes), Port: int(port)}, outp)
}

// The sizes of scout_swarm_options: the least a caller may pass (before
// ipv6 was appended), and as this library knows it.
const (
	swarmOptionsV1Size    = C.SCOUT_SWARM_OPTIONS_V1_SIZE
	swarmOptionsKnownSize = C.sizeof_scout_swarm_options
)

// swarmOptions converts a caller's scout_swarm_options (NULL: all
// defaults); for unusable ones it sets the cause and ok is false.
func swarmOptions(p *C.scout_swarm_options) (opts swarm.Options, ok bool) {
	if p == nil {
		return opts, true
	}
	if !knownSize(unsafe.Pointer(p), uintptr(p.size), swarmOptionsV1Size, swarmOptionsKnownSize, "scout_swarm_options") {
		return opts, false
	}
	opts.Nodes, opts.Port = int(p.nodes), int(p.port)
	opts.Store.TTL = time.Duration(p.item_ttl_ms) * time.Millisecond
	if has(p.size, unsafe.Offsetof(p.ipv6), unsafe.Sizeof(p.ipv6)) {
		opts.IPv6 = p.ipv6 != 0
	}
	w := swarm.WAN{
		RTT:    time.Duration(p.rtt_ms) * time.Millisecond,
		MaxRTT: time.Duration(p.max_rtt_ms) * time.Millisecond,
		Jitter: float64(p.jitter),
		Loss:   float64(p.loss),
		Seed:   uint64(p.seed),
	}
	if p.wan == 0 {
		if w != (swarm.WAN{}) {
			setCause("rtt_ms, max_rtt_ms, jitter, loss and seed describe the emulated WAN: set wan too")
			return opts, false
		}
		return opts, true
	}
	// The swarm checks the ranges; NaN and infinities are the C side's.
	for _, f := range []float64{w.Jitter, w.Loss} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			setCause(fmt.Sprintf("jitter %v, loss %v: each must be a finite number", w.Jitter, w.Loss))
			return opts, false
		}
	}
	opts.WAN = &w
	return opts, true
}

//export scoutgo_swarm_start_opts
func scoutgo_swarm_start_opts(p *C.scout_swarm_options, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	opts, ok := swarmOptions(p)
	if !ok {
		return statusInvalid // swarmOptions set the cause
	}
	return startSwarm(opts, outp)
}

//export scoutgo_swarm_bootstrap
func scoutgo_swarm_bootstrap(h C.uintptr_t, buf *C.char, n *C.size_t) (st C.int) {
	defer guard(&st)
	w, ok := swarmOf(h)
	if !ok {
		return failf(statusInvalid, causeSwarm)
	}
	if n == nil {
		return failf(statusInvalid, "len is NULL")
	}
	return outString(buf, n, w.sw.Bootstrap())
}

//export scoutgo_swarm_free
func scoutgo_swarm_free(h C.uintptr_t) {
	defer guardVoid()
	if obj, ok := unregister(h, kindSwarm); ok {
		obj.(*swarmObj).sw.Close()
	}
}

//export scoutgo_swarm_join
func scoutgo_swarm_join(h C.uintptr_t, p *C.scout_session_options, outp *C.uintptr_t, index *C.uint32_t) (st C.int) {
	defer guard(&st)
	w, ok := swarmOf(h)
	if !ok {
		return failf(statusInvalid, causeSwarm)
	}
	opts, logFn, logUser, level, ok := options(p)
	if !ok {
		return statusInvalid // options set the cause
	}
	if p != nil && (p.listen_addr != nil || p.bootstrap != nil) {
		return failf(statusInvalid, "listen_addr and bootstrap must be NULL: the swarm chooses a joined session's address and bootstrap node")
	}
	if opts.ListenAddr6 != "" || opts.Families != scout.FamiliesAuto {
		return failf(statusInvalid, "listen_addr6 must be NULL and families 0: the swarm chooses a joined session's address and its family")
	}
	s := newSession(&opts, logFn, logUser, level)
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), swarmStartTimeout)
	defer cancel()
	core, err := w.sw.Join(ctx, opts)
	if err != nil {
		return fail(err)
	}
	*index = C.uint32_t(len(w.sw.Sessions()) - 1)
	*outp = register(kindSession, s.run(core, lifeRunning))
	return statusOK
}

//export scoutgo_swarm_kill
func scoutgo_swarm_kill(h C.uintptr_t, fraction C.double, indices *C.uint32_t, count *C.size_t) (st C.int) {
	defer guard(&st)
	w, ok := swarmOf(h)
	if !ok {
		return failf(statusInvalid, causeSwarm)
	}
	if count == nil {
		return failf(statusInvalid, "count is NULL")
	}
	f := float64(fraction)
	if !(f >= 0 && f <= 1) { // NaN too
		return failf(statusInvalid, "fraction %v is not from 0 to 1", f)
	}
	if !w.wan {
		return failf(statusWrongState, "the swarm has no emulated WAN (start it with scout_swarm_start_opts and wan set)")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	nodes := len(w.sw.Sessions())
	need := int(math.Ceil(f * float64(nodes)))
	room := uint64(*count)
	if indices == nil {
		room = 0
	}
	if room < uint64(need) {
		*count = C.size_t(need)
		return failf(statusBufferTooSmall, "room for %d indices: up to %d of the %d nodes may die", room, need, nodes)
	}
	victims, err := w.sw.Kill(f)
	if err != nil {
		return fail(err)
	}
	if len(victims) > need {
		return failf(statusInternal, "%d nodes died, more than the %d allowed for", len(victims), need)
	}
	out := unsafe.Slice((*C.uint32_t)(unsafe.Pointer(indices)), len(victims))
	for i, v := range victims {
		out[i] = C.uint32_t(v)
	}
	*count = C.size_t(len(victims))
	return statusOK
}

//export scoutgo_swarm_set_dead
func scoutgo_swarm_set_dead(h C.uintptr_t, index C.uint32_t, dead C.int) (st C.int) {
	defer guard(&st)
	w, ok := swarmOf(h)
	if !ok {
		return failf(statusInvalid, causeSwarm)
	}
	if !w.wan {
		return failf(statusWrongState, "the swarm has no emulated WAN (start it with scout_swarm_start_opts and wan set)")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if nodes := w.sw.Sessions(); int(index) >= len(nodes) || nodes[index] == nil {
		return failf(statusInvalid, "no node %d: the swarm has %d", index, len(nodes))
	}
	if err := w.sw.SetDead(int(index), dead != 0); err != nil {
		return fail(err)
	}
	return statusOK
}
