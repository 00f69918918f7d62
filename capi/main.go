// Command capi is Scout's C boundary, built with
//
//	go build -buildmode=c-shared -o libscout.so.1 ./capi
//
// (CMakeLists.txt adds the soname and the version script scout.map). The
// contract is include/scout.h; this package only translates it: shim.c
// defines the header's exact functions and forwards each to a Go export
// named scoutgo_*, which checks its arguments, copies them in, calls package
// scout, copies results out and maps errors with statusOf. Callbacks go back
// to C through the trampolines in shim.c, delivered by one dispatcher
// goroutine per session (dispatch.go).
//
// The files mirror the header's sections: status.go (status codes and
// versions), registry.go (handles), keys.go, entries.go, seal.go,
// message.go, session.go, ops.go (synchronize, put, get, get_list and
// their _op forms), dispatch.go, log.go, swarm.go, errors.go (the
// per-thread error text of scout_last_error) and op.go (scout_op handles).
package main

// #cgo CFLAGS: -I${SRCDIR}/../include -Wall -Wextra
// #include "shim.h"
import "C"

func main() {}
