package main

// #include "shim.h"
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// The calling thread's error text (scout_last_error) lives in shim.c, in
// thread-local storage: an export runs on the C caller's thread, so a cause
// set here during the call is that thread's. The shim clears the cause when
// a call begins and, when the call fails, makes the text "<function>:
// <cause>" (the status's description when no cause was set). Completions
// get their text from the dispatcher, which sets it on its own thread just
// before it calls the completion callback (dispatch.go).

// setCause records why the call in progress on this thread fails.
func setCause(cause string) {
	if cause == "" {
		return
	}
	C.scout_set_cause((*C.char)(unsafe.Pointer(unsafe.StringData(cause))), C.size_t(len(cause)))
}

// setText sets this thread's whole error text (the dispatcher's thread,
// before a completion).
func setText(text string) {
	var p *C.char
	if text != "" {
		p = (*C.char)(unsafe.Pointer(unsafe.StringData(text)))
	}
	C.scout_set_text(p, C.size_t(len(text)))
}

// causeOf is the text of an error of package scout without its "scout: "
// prefix (the text gets the function's name in front instead).
func causeOf(err error) string {
	return strings.TrimPrefix(err.Error(), "scout: ")
}

// fail records err as the cause and returns its status.
func fail(err error) C.int {
	setCause(causeOf(err))
	return statusOf(err)
}

// failf records a cause and returns st.
func failf(st C.int, format string, args ...any) C.int {
	setCause(fmt.Sprintf(format, args...))
	return st
}

// Causes found in more than one place.
const (
	causeNull    = "a required pointer argument is NULL"
	causeEntries = "not a live scout_entries handle (NULL, freed, or of another kind)"
	causeSession = "not a live scout_session handle (NULL, freed, or of another kind)"
	causeSwarm   = "not a live scout_swarm handle (NULL, freed, or of another kind)"
	causeOp      = "not a live scout_op handle (NULL, freed, or of another kind)"
)

// completionText is a completion's error text: "" for SCOUT_OK, else the
// operation's function and the cause.
func completionText(name string, err error) string {
	if err == nil {
		return ""
	}
	return name + ": " + causeOf(err)
}
