package main

// #include "shim.h"
import "C"

import (
	"context"
	"time"

	"github.com/scout-dht/scout/scout/swarm"
)

// swarmStartTimeout bounds scout_swarm_start, as the header promises.
const swarmStartTimeout = 2 * time.Minute

//export scoutgo_swarm_start
func scoutgo_swarm_start(nodes C.uint32_t, port C.uint16_t, outp *C.uintptr_t) (st C.int) {
	defer guard(&st)
	ctx, cancel := context.WithTimeout(context.Background(), swarmStartTimeout)
	defer cancel()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: int(nodes), Port: int(port)})
	if err != nil {
		return fail(err)
	}
	*outp = register(kindSwarm, sw)
	return statusOK
}

//export scoutgo_swarm_bootstrap
func scoutgo_swarm_bootstrap(h C.uintptr_t, buf *C.char, n *C.size_t) (st C.int) {
	defer guard(&st)
	obj, ok := lookup(h, kindSwarm)
	if !ok {
		return failf(statusInvalid, causeSwarm)
	}
	if n == nil {
		return failf(statusInvalid, "len is NULL")
	}
	return outString(buf, n, obj.(*swarm.Swarm).Bootstrap())
}

//export scoutgo_swarm_free
func scoutgo_swarm_free(h C.uintptr_t) {
	defer guardVoid()
	if obj, ok := unregister(h, kindSwarm); ok {
		obj.(*swarm.Swarm).Close()
	}
}
