package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer a command may write while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// background runs a command in-process while the test goes on; wait
// returns its result, stop interrupts it first (as SIGINT does).
type background struct {
	stdout, stderr lockedBuffer
	done           chan int
	cancel         context.CancelFunc
}

func runBackground(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{done: make(chan int, 1), cancel: cancel}
	go func() { b.done <- run(ctx, args, &b.stdout, &b.stderr) }()
	t.Cleanup(func() { cancel(); <-b.done })
	return b
}

func (b *background) stop(t *testing.T) result {
	t.Helper()
	b.cancel()
	return b.wait(t, 20*time.Second)
}

func (b *background) wait(t *testing.T, d time.Duration) result {
	t.Helper()
	select {
	case code := <-b.done:
		b.done <- code // for Cleanup
		return result{b.stdout.String(), b.stderr.String(), code}
	case <-time.After(d):
		t.Fatalf("the command did not end within %v; stdout %q, stderr %q", d, b.stdout.String(), b.stderr.String())
	}
	return result{}
}

// until waits for the command's stdout to hold s.
func (b *background) until(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(b.stdout.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output within 15 s: stdout %q, stderr %q", s, b.stdout.String(), b.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func keyPair(t *testing.T, dir, name string) (file, pub string) {
	t.Helper()
	file = filepath.Join(dir, name+".key")
	pub = strings.TrimSpace(scoutRun(t, "gen-key", file).ok(t).stdout)
	return file, pub
}

// netFlags are scoutNet's flags, for commands run in the background.
func netFlags(dir, state string) []string {
	return []string{"--bootstrap", bootstrap, "--state", filepath.Join(dir, state), "--timeout", "10s"}
}

// TestWatchAndRemoveCommands: Bob watches the list he shares with Alice;
// her sync and her removal show up as lines; remove prints the list
// without the entry, and an entry that is not there is exit status 3.
func TestWatchAndRemoveCommands(t *testing.T) {
	dir := t.TempDir()
	aKey, aPub := keyPair(t, dir, "alice")
	bKey, bPub := keyPair(t, dir, "bob")
	scoutNet(t, dir, "sync", aKey, bPub, "1", "laptop 10.0.0.5:4000").ok(t)

	w := runBackground(t, append([]string{"watch", bKey, aPub, "--interval", "100ms", "--for", "20s"}, netFlags(dir, "w.json")...)...)
	w.until(t, "1 1 laptop 10.0.0.5:4000\n")
	scoutNet(t, dir, "sync", aKey, bPub, "2", "phone 10.0.0.6:4000").ok(t)
	w.until(t, "2 1 phone 10.0.0.6:4000\n")

	r := scoutNet(t, dir, "remove", aKey, bPub, "1").ok(t)
	if got := r.lines(); !slices.Equal(got, []string{"2 1 phone 10.0.0.6:4000"}) {
		t.Errorf("remove printed %q", got)
	}
	w.until(t, "removed 1 2\n")
	if r := scoutNet(t, dir, "remove", aKey, bPub, "1"); r.code != exitNotFound {
		t.Errorf("removing it again: exit %d, stderr %q; want 3", r.code, r.stderr)
	}
	// Bob's sync does not bring it back.
	r = scoutNet(t, dir, "sync", bKey, aPub, "11", "desktop").ok(t)
	got := r.lines()
	slices.Sort(got)
	if want := []string{"11 1 desktop", "2 1 phone 10.0.0.6:4000"}; !slices.Equal(got, want) {
		t.Errorf("bob's sync after the removal printed %q, want %q", got, want)
	}
	w.until(t, "11 1 desktop\n")

	// --json: one object per version.
	j := runBackground(t, append([]string{"watch", "--json", aKey, bPub, "--for", "300ms"}, netFlags(dir, "j.json")...)...)
	r = j.wait(t, 20*time.Second)
	if r.code != 0 {
		t.Fatalf("watch --json: exit %d, stderr %q", r.code, r.stderr)
	}
	var v struct {
		Seq     int64 `json:"seq"`
		Entries []struct {
			ID uint32 `json:"id"`
		} `json:"entries"`
		Removed []struct{} `json:"removed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Seq < 4 || len(v.Entries) != 2 || v.Removed == nil {
		t.Errorf("watch --json printed %q (%v)", r.stdout, err)
	}
	// Interrupted, the first watch ends well.
	if r := w.stop(t); r.code != 0 || r.stderr != "" {
		t.Errorf("watch, interrupted: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestKeepCommand: on a swarm started with scout swarm --item-ttl 1s, a
// message list scout keep keeps is readable after 4 s, and a message
// nobody keeps is gone.
func TestKeepCommand(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	swarmDone := make(chan int, 1)
	go func() {
		swarmDone <- run(ctx, []string{"swarm", "--nodes", "16", "--item-ttl", "1s"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "bootstrap ") {
		t.Fatalf("scout swarm printed %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	net := []string{"--bootstrap", strings.TrimSpace(strings.TrimPrefix(line, "bootstrap ")), "--no-state", "--timeout", "10s"}
	sh := func(args ...string) result { return scoutRun(t, append(args, net...)...) }

	aKey, _ := keyPair(t, dir, "alice")
	_, bPub := keyPair(t, dir, "bob")
	inbox := filepath.Join(dir, "inbox")
	sh("sync", aKey, bPub, "1", "laptop").ok(t)
	sh("put", "kept one", "--list", inbox).ok(t)
	head := strings.TrimSpace(sh("put", "kept two", "--list", inbox).ok(t).stdout)
	lost := strings.TrimSpace(sh("put", "nobody keeps this").ok(t).stdout)

	k := runBackground(t, append([]string{"keep", aKey, bPub, "--list", inbox, "--interval", "250ms", "--for", "4s"}, net...)...)
	k.until(t, "list "+head+" messages 2 stored")
	time.Sleep(3500 * time.Millisecond)
	got := sh("get", head, "--all").ok(t).lines()
	if !slices.Equal(got, []string{"kept two", "next " + lastHash(t, got), "kept one", "next " + strings.Repeat("0", 40)}) {
		t.Errorf("the kept list after 3.5 lifetimes: %q", got)
	}
	if r := sh("get", lost); r.code != exitNotFound {
		t.Errorf("the message nobody keeps: exit %d, stdout %q; want 3 (gone)", r.code, r.stdout)
	}
	r := k.wait(t, 20*time.Second)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("keep: exit %d, stderr %q", r.code, r.stderr)
	}
	slot := regexp.MustCompile(`^slot [0-9a-f]{40} seq 1 stored [1-9][0-9]*$`)
	list := regexp.MustCompile(`^list ` + head + ` messages 2 stored [1-9][0-9]*$`)
	var slots, lists int
	for _, l := range r.lines() {
		switch {
		case slot.MatchString(l):
			slots++
		case list.MatchString(l):
			lists++
		default:
			t.Errorf("keep printed %q", l)
		}
	}
	if slots < 10 || lists < 10 {
		t.Errorf("%d slot and %d list rounds in 4 s at 250 ms; want at least 10 each", slots, lists)
	}
	cancel()
	if code := <-swarmDone; code != 0 {
		t.Errorf("scout swarm exited %d", code)
	}

	if r := scoutRun(t, "swarm", "--item-ttl", "-1s"); r.code != exitUsage {
		t.Errorf("--item-ttl -1s: exit %d", r.code)
	}
	if r := scoutRun(t, "keep", aKey, bPub, "--interval", "-1s"); r.code != exitUsage {
		t.Errorf("keep --interval -1s: exit %d", r.code)
	}
	if r := scoutRun(t, "watch", aKey, bPub, "--list", inbox); r.code != exitUsage || !strings.Contains(r.stderr, "--list") {
		t.Errorf("watch --list: exit %d, stderr %q", r.code, r.stderr)
	}
}

// lastHash returns the hash of the "next" line after the first message.
func lastHash(t *testing.T, lines []string) string {
	t.Helper()
	if len(lines) < 2 {
		return ""
	}
	return strings.TrimPrefix(lines[1], "next ")
}
