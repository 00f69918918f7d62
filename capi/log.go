package main

// #include "shim.h"
import "C"

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"unsafe"
)

// logHandler is the slog.Handler behind scout_session_options.log: it
// formats each record as one line, "message key=value ...", and queues it
// for the session's dispatcher, which calls the C callback.
type logHandler struct {
	s      *session
	fn     C.scout_log_fn
	user   C.uintptr_t
	level  slog.Level
	prefix string // attributes from WithAttrs, already formatted
	group  string // "a.b." from WithGroup
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	line := strings.ReplaceAll(b.String(), "\n", " ")
	level := C.int(r.Level)
	h.s.post(event{log: true, run: func() {
		cs := C.CString(line)
		defer C.free(unsafe.Pointer(cs))
		C.scout_call_log(h.fn, h.user, level, cs)
	}})
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	c.prefix = b.String()
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group += name + "."
	return &c
}

// appendAttr writes " key=value", quoting values with spaces; groups
// become dotted keys.
func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(" ")
	b.WriteString(group)
	b.WriteString(a.Key)
	b.WriteString("=")
	b.WriteString(v)
}
