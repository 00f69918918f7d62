package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/scout-dht/scout/scout"
)

// serveCmd runs one full DHT node until the context ends (SIGINT, SIGTERM)
// or --for passes: the long-running node a user keeps up. It prints
// "listening ADDR", then "mapped udp EXTERNAL_IP:PORT via PROTOCOL" each
// time the router grants a mapping (and "unmapped" if it is lost); its log
// goes to stderr. Stopping removes the mapping and saves the state file.
func serveCmd(ctx context.Context, c *cli, _ []string) error {
	if c.dur < 0 {
		return usagef("--for must not be negative, got %v", c.dur)
	}
	pm := scout.PortMapAuto
	switch {
	case c.portmap && c.noPortmap:
		return usagef("--portmap and --no-portmap together")
	case c.portmap:
		pm = scout.PortMapOn
	case c.noPortmap:
		pm = scout.PortMapOff
	}
	if c.state != "" {
		_ = os.MkdirAll(filepath.Dir(c.state), 0o700)
	}
	s, err := scout.NewSession(scout.Options{
		ListenAddr: c.listen,
		Families:   c.fam,
		Bootstrap:  c.bootstrap,
		StateFile:  c.state,
		Timeout:    c.timeout,
		PortMap:    pm,
		Logger:     slog.New(&lineHandler{w: c.stderr}),
	})
	if err != nil {
		return err
	}
	defer c.noteStats(s) // after the stops below, which run first
	if c.dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.dur)
		defer cancel()
	}
	startCtx, cancel := context.WithTimeout(ctx, c.timeout)
	err = s.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}
	defer func() { _ = s.Stop() }() // on an early return; once stopped, it does nothing
	if err := c.emit("listening", s.Addr().String(), ""); err != nil {
		return err
	}
	nodes, good := s.NodeCount()
	fmt.Fprintf(c.stderr, "scout: serving as a full node (%d nodes known, %d good); until interrupted%s\n", nodes, good, forText(c))

	var shown scout.PortMapping
	for {
		m, changed := s.PortMapping()
		if m.External != shown.External || m.Protocol != shown.Protocol {
			if m.Protocol != "" {
				err = c.emit("mapped", "udp "+m.External.String(), m.Protocol)
			} else {
				err = c.emit("unmapped", "udp "+shown.External.String(), "")
			}
			if err != nil {
				return err
			}
			shown = m
		}
		select {
		case <-changed:
			continue
		case <-ctx.Done():
		}
		fmt.Fprintln(c.stderr, "scout: stopping")
		if err := s.Stop(); err != nil {
			c.warnf("%v", strings.TrimPrefix(err.Error(), "scout: "))
		}
		return nil
	}
}

func forText(c *cli) string {
	if c.dur > 0 {
		return fmt.Sprintf(" or %v passes", c.dur)
	}
	return ""
}

// emit prints one line: "listening ADDR", "mapped udp ADDR via PROTOCOL",
// "unmapped udp ADDR", or with --json the same as one object.
func (c *cli) emit(event, addr, via string) error {
	if c.json {
		v := map[string]string{"event": event, "addr": strings.TrimPrefix(addr, "udp ")}
		if via != "" {
			v["via"] = via
		}
		return c.printJSON(v)
	}
	line := event + " " + addr
	if via != "" {
		line += " via " + via
	}
	_, err := fmt.Fprintln(c.stdout, line)
	return err
}

// lineHandler writes the session's log lines of level Info and above to
// stderr as "scout: MESSAGE".
type lineHandler struct {
	mu sync.Mutex
	w  io.Writer
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	msg := strings.TrimPrefix(r.Message, "scout: ")
	if r.Level >= slog.LevelWarn {
		msg = "warning: " + msg
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "scout: %s\n", msg)
	return err
}
func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lineHandler) WithGroup(string) slog.Handler      { return h }
