package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scout-dht/scout/scout"
)

// defaultStateFile returns the state file for a bootstrap list (nil: the
// public routers): one per list under the user cache directory, so that
// each network keeps its own nodes. It returns "" when there is no cache
// directory to use.
func defaultStateFile(bootstrap []string) string {
	if bootstrap == nil {
		bootstrap = scout.DefaultBootstrap
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(bootstrap, ",")))
	return filepath.Join(dir, "scout", "state-"+hex.EncodeToString(sum[:6])+".json")
}

// joinWait bounds the wait for a first answer when a command's node joins
// the DHT: a node that heard from nobody by then fails at once, saying so,
// rather than spend the whole --timeout on lookups that cannot succeed.
// Answering nodes reply within milliseconds (a loopback swarm) to a second
// or two (the public routers).
const joinWait = 5 * time.Second

// withSession starts a short-lived, read-only node (BEP 43: the swarm does
// not route through it once it is gone), runs f on it and stops it on every
// path; stopping saves the state file, so the next command starts warm.
// The whole of it is bounded by --timeout; the join, by joinWait too.
func (c *cli) withSession(ctx context.Context, f func(context.Context, *scout.Session) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.withLongSession(ctx, f)
}

// withLongSession is withSession for the commands that run until
// interrupted or --for passes (keep, watch): --timeout bounds the join and
// each operation of the session, not f.
func (c *cli) withLongSession(ctx context.Context, f func(context.Context, *scout.Session) error) error {
	if c.state != "" {
		// The default file's directory may not exist yet; a failure shows
		// up as a warning when the state is saved.
		_ = os.MkdirAll(filepath.Dir(c.state), 0o700)
	}
	opts := scout.Options{
		ListenAddr: c.listen,
		Families:   c.fam,
		Bootstrap:  c.bootstrap,
		StateFile:  c.state,
		Timeout:    c.timeout,
		ReadOnly:   true,
	}
	log := slog.New(discard{})
	if c.verbose {
		log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts.Logger = log
	}
	s, err := scout.NewSession(opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := s.Stop(); err != nil {
			c.warnf("%v", strings.TrimPrefix(err.Error(), "scout: "))
		}
		c.noteStats(s) // stopped: every counter final
	}()
	wait := min(c.timeout, joinWait)
	joinCtx, cancelJoin := context.WithTimeout(ctx, wait)
	start := time.Now()
	log.Info("joining the DHT", "bootstrap", strings.Join(c.bootstrap, ","), "from", c.bootstrapFrom, "state", c.state)
	err = s.Start(joinCtx)
	cancelJoin()
	if err != nil {
		return err
	}
	nodes, good := s.NodeCount()
	log.Info("joined", "listen", s.Addr(), "nodes", nodes, "good", good, "took", time.Since(start).Round(time.Microsecond))
	if good == 0 {
		return fmt.Errorf("%w: no DHT node answered within %v: %s", scout.ErrNetwork,
			time.Since(start).Round(100*time.Millisecond), c.unreachable())
	}
	start = time.Now()
	err = f(ctx, s)
	log.Info("done", "took", time.Since(start).Round(time.Microsecond), "error", err)
	return err
}

// discard is a slog.Handler that keeps nothing: the log of a command run
// without -v.
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

// unreachable says which nodes did not answer and where they came from.
func (c *cli) unreachable() string {
	switch {
	case c.bootstrap == nil:
		return "the public routers (" + strings.Join(scout.DefaultBootstrap, ", ") +
			") are unreachable; without Internet access, use --bootstrap or $" + scout.BootstrapEnv
	case len(c.bootstrap) == 0:
		return "no bootstrap node was given, and the state file knows no node that answers"
	}
	return "the bootstrap node(s) " + strings.Join(c.bootstrap, ", ") + " (from " + c.bootstrapFrom +
		") do not answer: is the address right, and is a DHT node running there?"
}

// isText reports whether b prints as itself on one line: valid UTF-8, only
// printable characters, and not starting with "0x" (which would read as hex).
func isText(b []byte) bool {
	if !utf8.Valid(b) || bytes.HasPrefix(b, []byte("0x")) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// display returns b as text when it is, else as 0x and its hex.
func display(b []byte) string {
	if isText(b) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}

// jsonText returns b as a JSON string when it is valid UTF-8, else nil
// (null): the _hex field always carries the exact bytes.
func jsonText(b []byte) *string {
	if !utf8.Valid(b) {
		return nil
	}
	s := string(b)
	return &s
}

// writeFileAtomic replaces name with data through a temporary file in the
// same directory, so that a reader never sees half of it.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing to remove
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
