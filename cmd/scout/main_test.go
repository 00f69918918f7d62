package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// bootstrap is the loopback swarm every network test joins through: no
// test ever contacts the public DHT.
var bootstrap string

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: 16})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test swarm:", err)
		os.Exit(1)
	}
	bootstrap = sw.Bootstrap()
	code := m.Run()
	sw.Close()
	os.Exit(code)
}

// result is one run of the command.
type result struct {
	stdout, stderr string
	code           int
}

// scoutRun runs the command in-process with exactly args.
func scoutRun(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// scoutNet runs a command against the test swarm, with a state file in dir:
// the common flags go after the positional arguments.
func scoutNet(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return scoutRun(t, append(args, "--bootstrap", bootstrap, "--state", filepath.Join(dir, "state.json"), "--timeout", "10s")...)
}

// ok fails the test unless r exited 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr: %s", r.code, r.stderr)
	}
	return r
}

func (r result) lines() []string { return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") }

func TestGenKeyDumpKey(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "alice.key")

	pub := strings.TrimSpace(scoutRun(t, "gen-key", key).ok(t).stdout)
	if _, err := scout.ParsePublicKey(pub); err != nil {
		t.Fatalf("gen-key printed %q: %v", pub, err)
	}
	st, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != scout.KeySize || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %d bytes, mode %v; want %d bytes, 0600", st.Size(), st.Mode().Perm(), scout.KeySize)
	}
	if got := strings.TrimSpace(scoutRun(t, "dump-key", key).ok(t).stdout); got != pub {
		t.Errorf("dump-key = %s, gen-key said %s", got, pub)
	}
	var j struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(scoutRun(t, "--json", "dump-key", key).ok(t).stdout), &j); err != nil || j.PublicKey != pub {
		t.Errorf("dump-key --json: %+v, %v; want %s", j, err, pub)
	}

	// No overwrite: the key stays as it was.
	before, _ := os.ReadFile(key)
	r := scoutRun(t, "gen-key", key)
	after, _ := os.ReadFile(key)
	if r.code != exitUsage || !strings.Contains(r.stderr, "already exists") || !bytes.Equal(before, after) {
		t.Errorf("gen-key over an existing file: exit %d, stderr %q, key changed: %v", r.code, r.stderr, !bytes.Equal(before, after))
	}

	r = scoutRun(t, "gen-key", filepath.Join(dir, "bob.key"), "--json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || len(j.PublicKey) != 64 {
		t.Errorf("gen-key --json printed %q", r.stdout)
	}

	short := filepath.Join(dir, "short.key")
	os.WriteFile(short, []byte("0123456789abcdef"), 0o600)
	for _, name := range []string{short, filepath.Join(dir, "missing.key")} {
		if r := scoutRun(t, "dump-key", name); r.code != exitUsage || r.stderr == "" {
			t.Errorf("dump-key %s: exit %d, stderr %q; want 1 and a message", filepath.Base(name), r.code, r.stderr)
		}
	}
}

type jsonEntries struct {
	Entries []struct {
		ID       uint32  `json:"id"`
		Seq      int64   `json:"seq"`
		Value    *string `json:"value"`
		ValueHex string  `json:"value_hex"`
	} `json:"entries"`
}

func TestSyncTwoPeers(t *testing.T) {
	dir := t.TempDir()
	aKey, bKey := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	aPub := strings.TrimSpace(scoutRun(t, "gen-key", aKey).ok(t).stdout)
	bPub := strings.TrimSpace(scoutRun(t, "gen-key", bKey).ok(t).stdout)

	r := scoutNet(t, dir, "sync", aKey, bPub, "1", "laptop 10.0.0.5:4000").ok(t)
	if got := r.lines(); !slices.Equal(got, []string{"1 1 laptop 10.0.0.5:4000"}) {
		t.Errorf("alice's first sync printed %q", got)
	}
	// Bob sees Alice's entry next to his own; flags before the arguments.
	r = scoutRun(t, "--bootstrap", bootstrap, "--state", filepath.Join(dir, "b-state.json"),
		"sync", bKey, aPub, "11", "desktop 10.0.1.7:4000").ok(t)
	got := r.lines()
	slices.Sort(got)
	if want := []string{"1 1 laptop 10.0.0.5:4000", "11 1 desktop 10.0.1.7:4000"}; !slices.Equal(got, want) {
		t.Errorf("bob's sync printed %q, want %q", got, want)
	}

	// Alice again, in JSON, with a value that is not text: she sees Bob's.
	r = scoutNet(t, dir, "sync", "--json", aKey, bPub, "2", "\xff\x00").ok(t)
	var j jsonEntries
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		t.Fatalf("sync --json printed %q: %v", r.stdout, err)
	}
	seen := make(map[uint32]string)
	for _, e := range j.Entries {
		v := "<null>"
		if e.Value != nil {
			v = *e.Value
		}
		seen[e.ID] = v + "|" + e.ValueHex
	}
	want := map[uint32]string{
		1:  "laptop 10.0.0.5:4000|" + hex.EncodeToString([]byte("laptop 10.0.0.5:4000")),
		2:  "<null>|ff00",
		11: "desktop 10.0.1.7:4000|" + hex.EncodeToString([]byte("desktop 10.0.1.7:4000")),
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("alice's JSON sync saw %v, want %v", seen, want)
	}

	// Bob changes his entry: his new value wins, with a higher seq; the
	// binary value prints as hex.
	r = scoutNet(t, dir, "sync", bKey, aPub, "11", "desktop 10.0.1.9:4000").ok(t)
	got = r.lines()
	slices.Sort(got)
	if want := []string{"1 1 laptop 10.0.0.5:4000", "11 2 desktop 10.0.1.9:4000", "2 1 0xff00"}; !slices.Equal(got, want) {
		t.Errorf("bob's second sync printed %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
		t.Errorf("no state file after sync: %v", err)
	}
}

type jsonMsg struct {
	Hash       string  `json:"hash"`
	Message    *string `json:"message"`
	MessageHex string  `json:"message_hex"`
	Next       string  `json:"next"`
}

func TestPutListGetAll(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "inbox")
	zero := strings.Repeat("0", 40)
	msgs := []string{"first", "second", "third"}
	var hashes []string
	for _, m := range msgs {
		h := strings.TrimSpace(scoutNet(t, dir, "put", m, "--list", list).ok(t).stdout)
		head, err := os.ReadFile(list)
		if err != nil || strings.TrimSpace(string(head)) != h {
			t.Fatalf("after put %q: list file holds %q (%v), put printed %s", m, head, err, h)
		}
		hashes = append(hashes, h)
	}

	r := scoutNet(t, dir, "get", "--all", hashes[2]).ok(t)
	want := []string{"third", "next " + hashes[1], "second", "next " + hashes[0], "first", "next " + zero}
	if got := r.lines(); !slices.Equal(got, want) {
		t.Errorf("get --all printed %q, want %q", got, want)
	}
	r = scoutNet(t, dir, "get", hashes[1]).ok(t)
	if got := r.lines(); !slices.Equal(got, want[2:4]) {
		t.Errorf("get printed %q, want %q", got, want[2:4])
	}

	var all []jsonMsg
	r = scoutNet(t, dir, "get", hashes[2], "--all", "--json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || len(all) != 3 {
		t.Fatalf("get --all --json printed %q: %v", r.stdout, err)
	}
	for i, m := range all {
		if m.Message == nil || *m.Message != msgs[2-i] || m.Hash != hashes[2-i] || m.MessageHex != hex.EncodeToString([]byte(msgs[2-i])) {
			t.Errorf("get --all --json [%d] = %+v, want %q", i, m, msgs[2-i])
		}
	}
	var one jsonMsg
	r = scoutNet(t, dir, "get", hashes[0], "--json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &one); err != nil || one.Next != zero || one.Message == nil || *one.Message != "first" {
		t.Errorf("get --json printed %q (%v)", r.stdout, err)
	}

	// Without --list the token is the zero hash.
	var p struct{ Hash, Token string }
	r = scoutNet(t, dir, "put", "--json", "on its own").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Token != zero || len(p.Hash) != 40 {
		t.Errorf("put --json printed %q (%v)", r.stdout, err)
	}
}

func TestGetUnknownHash(t *testing.T) {
	r := scoutNet(t, t.TempDir(), "get", strings.Repeat("ab", 20))
	if r.code != exitNotFound || !strings.Contains(r.stderr, "not found") || r.stdout != "" {
		t.Errorf("get of an unknown hash: exit %d, stdout %q, stderr %q; want 3", r.code, r.stdout, r.stderr)
	}
}

func TestUnreachableBootstrapTimesOut(t *testing.T) {
	// A loopback port nobody answers on.
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := c.LocalAddr().String()
	c.Close()
	r := scoutRun(t, "put", "hello", "--bootstrap", dead, "--no-state", "--timeout", "300ms")
	if r.code != exitNetwork || r.stderr == "" {
		t.Errorf("put through a dead bootstrap: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	pub := strings.TrimSpace(scoutRun(t, "gen-key", key).ok(t).stdout)
	boot := []string{"--bootstrap", bootstrap, "--no-state"}
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no command", []string{"-v"}, "no command"},
		{"unknown command", []string{"frob"}, "unknown command"},
		{"missing args", []string{"sync", key, pub}, "expected 4"},
		{"extra args", []string{"get", "a", "b"}, "expected 1"},
		{"short public key", []string{"sync", key, pub[:62], "1", "x"}, "64 hex digits"},
		{"bad hex public key", []string{"sync", key, "zz" + pub[2:], "1", "x"}, "public key"},
		{"bad id", []string{"sync", key, pub, "x1", "x"}, "ID must be a number"},
		{"id too big", []string{"sync", key, pub, "4294967296", "x"}, "ID"},
		{"value too long", []string{"sync", key, pub, "1", strings.Repeat("v", 256)}, "too large"},
		{"short hash", []string{"get", "abcd"}, "40 hex digits"},
		{"message too long", []string{"put", strings.Repeat("m", scout.MaxMessageSize+1)}, "too large"},
		{"bad list file", []string{"put", "x", "--list", key}, "list file"},
		{"flag of another command", []string{"put", "x", "--all"}, "does not take --all"},
		{"unknown flag", []string{"get", "--frob"}, "unknown flag --frob"},
		{"unknown flag, one dash", []string{"get", "-frob"}, "unknown flag --frob"},
		{"flag without its value", []string{"get", "x", "--list"}, "needs an argument: --list"},
		{"bad duration", []string{"get", "x", "--timeout", "soon"}, `invalid value "soon" for flag --timeout`},
		{"bad timeout", []string{"get", strings.Repeat("0", 40), "--timeout", "-1s"}, "--timeout"},
		{"bad bootstrap", []string{"get", strings.Repeat("0", 40), "--bootstrap", "nowhere"}, "--bootstrap"},
		{"bad swarm size", []string{"swarm", "--nodes", "0"}, "--nodes"},
		{"loss of 1", []string{"swarm", "--loss", "1"}, "--loss must be from 0 to below 1"},
		{"negative loss", []string{"swarm", "--loss", "-0.01"}, "--loss"},
		{"negative rtt", []string{"swarm", "--rtt", "-80ms"}, "--rtt must not be negative"},
		{"NaN jitter", []string{"swarm", "--rtt", "80ms", "--jitter", "NaN"}, "--jitter"},
		{"kill over 1", []string{"swarm", "--kill", "1.5"}, "--kill must be above 0"},
		{"kill of nobody", []string{"swarm", "--kill", "0"}, "--kill must be above 0"},
		{"kill-after alone", []string{"swarm", "--kill-after", "30s"}, "--kill-after needs --kill"},
		{"WAN flag of another command", []string{"get", strings.Repeat("0", 40), "--rtt", "80ms"}, "get does not take --rtt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The test's flags first: a case's own flags come later and win.
			r := scoutRun(t, append(slices.Clone(boot), tc.args...)...)
			if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", r.code, r.stdout, r.stderr, tc.msg)
			}
		})
	}
	if r := scoutRun(t); r.code != exitUsage || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no arguments: exit %d, stderr %q; want 1 and the usage", r.code, r.stderr)
	}
	for _, h := range []string{"-h", "--help"} {
		if r := scoutRun(t, h); r.code != 0 || !strings.Contains(r.stdout, "Usage:") ||
			!strings.Contains(r.stdout, fmt.Sprintf("(default %v)", scout.DefaultTimeout)) {
			t.Errorf("%s: exit %d, stdout %q", h, r.code, r.stdout)
		}
	}
}

// TestCommandHelp: every command has its own --help, which names its
// arguments and shows its flags with two dashes.
func TestCommandHelp(t *testing.T) {
	for _, cmd := range commands {
		for _, h := range []string{"-h", "--help"} {
			r := scoutRun(t, cmd.name, h)
			want := "Usage: scout " + cmd.name
			if r.code != 0 || !strings.HasPrefix(r.stdout, want) || r.stderr != "" {
				t.Errorf("scout %s %s: exit %d, stdout %q, stderr %q", cmd.name, h, r.code, r.stdout, r.stderr)
				continue
			}
			for _, a := range cmd.args {
				if !strings.Contains(r.stdout, a) {
					t.Errorf("scout %s %s does not name %s", cmd.name, h, a)
				}
			}
			for _, f := range append(slices.Clone(cmd.flags), "help") {
				if !strings.Contains(r.stdout, "--"+f) {
					t.Errorf("scout %s %s does not show --%s", cmd.name, h, f)
				}
			}
			for _, line := range strings.Split(r.stdout, "\n") {
				if f := strings.TrimSpace(line); strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "--") &&
					!strings.HasPrefix(f, "-v, --") && !strings.HasPrefix(f, "-h, --") {
					t.Errorf("scout %s %s shows a flag with one dash: %q", cmd.name, h, line)
				}
			}
		}
	}
	// Help wins over everything else on the line, wherever it stands.
	if r := scoutRun(t, "--bootstrap", "nowhere", "sync", "--help"); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: scout sync FILE") {
		t.Errorf("sync --help after a bad flag: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		r := scoutRun(t, args...).ok(t)
		if !strings.HasPrefix(r.stdout, "scout "+version+" (go") {
			t.Errorf("scout %v: %q", args, r.stdout)
		}
	}
	var v struct{ Version, Go, Platform string }
	r := scoutRun(t, "version", "--json").ok(t)
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != version || v.Go == "" {
		t.Errorf("version --json: %q (%v)", r.stdout, err)
	}
}

// TestJSONErrors: with --json an error is a JSON object on stdout, and
// nothing goes to stderr.
func TestJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		kind string
		exit int
		msg  string
	}{
		{[]string{"frob", "--json"}, "usage", exitUsage, "unknown command"},
		{[]string{"--json", "get", "--frob"}, "usage", exitUsage, "unknown flag --frob"},
		{[]string{"get", "abcd", "--json"}, "invalid_argument", exitUsage, "40 hex digits"},
		{[]string{"get", strings.Repeat("ab", 20), "--json", "--bootstrap", bootstrap, "--no-state"}, "not_found", exitNotFound, "not found"},
	} {
		r := scoutRun(t, tc.args...)
		var e struct {
			Error      string `json:"error"`
			Kind       string `json:"kind"`
			ExitStatus int    `json:"exit_status"`
		}
		err := json.Unmarshal([]byte(r.stdout), &e)
		if err != nil || r.code != tc.exit || e.ExitStatus != tc.exit || e.Kind != tc.kind ||
			!strings.Contains(e.Error, tc.msg) || r.stderr != "" {
			t.Errorf("scout %v: exit %d, stdout %q (%v), stderr %q; want kind %s, exit %d, %q",
				tc.args, r.code, r.stdout, err, r.stderr, tc.kind, tc.exit, tc.msg)
		}
	}
}

// TestDeadBootstrapFailsFast: when no bootstrap node answers, the command
// says so within joinWait, not after the whole --timeout.
func TestDeadBootstrapFailsFast(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := c.LocalAddr().String()
	c.Close()
	start := time.Now()
	r := scoutRun(t, "get", strings.Repeat("ab", 20), "--bootstrap", dead, "--no-state", "--timeout", "60s")
	took := time.Since(start)
	if r.code != exitNetwork || !strings.Contains(r.stderr, "no DHT node answered") || !strings.Contains(r.stderr, dead) {
		t.Errorf("get through a dead bootstrap: exit %d, stderr %q", r.code, r.stderr)
	}
	if took > joinWait+3*time.Second {
		t.Errorf("get through a dead bootstrap took %v; the join gets %v", took, joinWait)
	}
}

// TestVerbose: -v logs what the node does to stderr, and nothing else
// changes on stdout.
func TestVerbose(t *testing.T) {
	dir := t.TempDir()
	quiet := scoutNet(t, dir, "put", "verbose test").ok(t)
	loud := scoutNet(t, dir, "put", "verbose test", "-v").ok(t)
	if loud.stdout != quiet.stdout || quiet.stderr != "" {
		t.Errorf("-v changed stdout (%q, %q), or the quiet run wrote %q", quiet.stdout, loud.stdout, quiet.stderr)
	}
	for _, want := range []string{`msg="joining the DHT"`, "msg=joined", "good=", "msg=done"} {
		if !strings.Contains(loud.stderr, want) {
			t.Errorf("-v: stderr lacks %q: %s", want, loud.stderr)
		}
	}
}

// TestBootstrapEnv: without --bootstrap, the command joins through the
// nodes $SCOUT_BOOTSTRAP lists; --bootstrap wins over it.
func TestBootstrapEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(scout.BootstrapEnv, bootstrap)
	hash := strings.TrimSpace(scoutRun(t, "put", "through the variable", "--no-state").ok(t).stdout)
	r := scoutRun(t, "get", hash, "--state", filepath.Join(dir, "s.json")).ok(t)
	if !strings.HasPrefix(r.stdout, "through the variable\n") {
		t.Errorf("get through %s: %q", scout.BootstrapEnv, r.stdout)
	}
	t.Setenv(scout.BootstrapEnv, "nowhere")
	if r := scoutRun(t, "get", hash, "--no-state"); r.code != exitUsage || !strings.Contains(r.stderr, "$SCOUT_BOOTSTRAP") {
		t.Errorf("a malformed %s: exit %d, stderr %q", scout.BootstrapEnv, r.code, r.stderr)
	}
	scoutRun(t, "get", hash, "--no-state", "--bootstrap", bootstrap).ok(t)
}

// swarmCommand runs `scout args...` (a swarm) in the background. It
// returns its output, to read line by line, and stop, which cancels it as
// SIGINT does and returns its exit status and its stderr.
func swarmCommand(t *testing.T, args ...string) (out *bufio.Reader, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, args, pw, &stderr)
		pw.Close()
		done <- code
	}()
	t.Cleanup(cancel)
	return bufio.NewReader(pr), func() (int, string) {
		t.Helper()
		cancel()
		go io.Copy(io.Discard, pr)
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatal("swarm did not stop within 10 s of cancel")
			return 0, ""
		}
	}
}

// readLine reads one line of a command's output, or fails the test.
func readLine(t *testing.T, out *bufio.Reader, what string) string {
	t.Helper()
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading %s: %v", what, err)
	}
	return line
}

func TestSwarmCommand(t *testing.T) {
	out, stop := swarmCommand(t, "swarm", "--nodes", "8", "--json")
	line := readLine(t, out, "the first line")
	var first struct{ Bootstrap string }
	if err := json.Unmarshal([]byte(line), &first); err != nil || !strings.HasPrefix(first.Bootstrap, "127.0.0.1:") {
		t.Fatalf("first line %q (%v)", line, err)
	}

	// The swarm it runs stores and serves messages.
	args := []string{"--bootstrap", first.Bootstrap, "--no-state"}
	h := strings.TrimSpace(scoutRun(t, append([]string{"put", "via the swarm command"}, args...)...).ok(t).stdout)
	if got := scoutRun(t, append([]string{"get", h}, args...)...).ok(t).lines(); got[0] != "via the swarm command" {
		t.Errorf("get through the swarm command printed %q", got)
	}
	if code, stderr := stop(); code != 0 {
		t.Errorf("swarm exited %d after cancel, stderr %s", code, stderr)
	}

	// --for ends it by itself; text output.
	r := scoutRun(t, "swarm", "--nodes", "2", "--for", "50ms").ok(t)
	if !strings.HasPrefix(r.stdout, "bootstrap 127.0.0.1:") {
		t.Errorf("swarm --for printed %q", r.stdout)
	}
}

// TestSwarmCommandIPv6: scout swarm --ipv6 runs an IPv6 swarm on ::1,
// whose "bootstrap [::1]:PORT" the other commands take: put, get, sync.
func TestSwarmCommandIPv6(t *testing.T) {
	out, stop := swarmCommand(t, "swarm", "--ipv6", "--nodes", "12")
	line := strings.TrimSpace(readLine(t, out, "the first line"))
	boot, ok := strings.CutPrefix(line, "bootstrap [::1]:")
	if !ok || boot == "" {
		t.Fatalf("first line %q", line)
	}
	args := []string{"--bootstrap", strings.TrimPrefix(line, "bootstrap "), "--no-state", "--listen", "[::1]:0"}
	h := strings.TrimSpace(scoutRun(t, append([]string{"put", "over IPv6"}, args...)...).ok(t).stdout)
	if got := scoutRun(t, append([]string{"get", h}, args...)...).ok(t).lines(); got[0] != "over IPv6" {
		t.Errorf("get through the IPv6 swarm printed %q", got)
	}
	dir := t.TempDir()
	aKey, bKey := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	aPub := strings.TrimSpace(scoutRun(t, "gen-key", aKey).ok(t).stdout)
	bPub := strings.TrimSpace(scoutRun(t, "gen-key", bKey).ok(t).stdout)
	scoutRun(t, append([]string{"sync", aKey, bPub, "1", "v6"}, args...)...).ok(t)
	if got := scoutRun(t, append([]string{"sync", bKey, aPub, "2", "too"}, args...)...).ok(t).lines(); !slices.Equal(got, []string{"2 1 too", "1 1 v6"}) {
		t.Errorf("bob's sync over IPv6 printed %q", got)
	}
	if code, stderr := stop(); code != 0 {
		t.Errorf("swarm exited %d after cancel, stderr %s", code, stderr)
	}
}

// TestSwarmCommandWAN: scout swarm on the emulated WAN, killing a quarter
// of its nodes while it runs. (The model sits between the swarm's nodes;
// the commands here, in effect other processes, reach the nodes directly:
// this tests the command, the WAN's own tests are in scout/ and the
// bindings'.)
func TestSwarmCommandWAN(t *testing.T) {
	out, stop := swarmCommand(t, "swarm", "--nodes", "8", "--rtt", "20ms", "--loss", "0.01", "--jitter", "0.1",
		"--seed", "3", "--kill", "0.25", "--kill-after", "500ms", "--json")
	line := readLine(t, out, "the first line")
	var first struct{ Bootstrap string }
	if err := json.Unmarshal([]byte(line), &first); err != nil || !strings.HasPrefix(first.Bootstrap, "127.0.0.1:") {
		t.Fatalf("first line %q (%v)", line, err)
	}
	args := []string{"--bootstrap", first.Bootstrap, "--no-state"}
	h := strings.TrimSpace(scoutRun(t, append([]string{"put", "on the WAN"}, args...)...).ok(t).stdout)

	// Then the kill, on its own line.
	line = readLine(t, out, "the kill line")
	var killed struct {
		Killed []int
		Nodes  int
	}
	if err := json.Unmarshal([]byte(line), &killed); err != nil || killed.Nodes != 8 || len(killed.Killed) != 2 ||
		!slices.IsSorted(killed.Killed) || killed.Killed[0] < 1 || killed.Killed[1] > 7 {
		t.Fatalf("kill line %q (%v): want 2 of the 8 nodes, never the first", line, err)
	}
	if got := scoutRun(t, append([]string{"get", h}, args...)...).ok(t).lines(); got[0] != "on the WAN" {
		t.Errorf("get after the kill printed %q", got)
	}
	code, stderr := stop()
	if code != 0 {
		t.Errorf("swarm exited %d after cancel, stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "swarm of 8 nodes on an emulated internet (round trips 20ms median, 1 % loss, jitter 0.1, seed 3)") {
		t.Errorf("stderr %q", stderr)
	}

	// --kill alone: a perfect network whose nodes die; text output; --for
	// ends it.
	r := scoutRun(t, "swarm", "--nodes", "4", "--kill", "0.5", "--for", "300ms").ok(t)
	if got := r.lines(); len(got) != 2 || !strings.HasPrefix(got[0], "bootstrap 127.0.0.1:") ||
		!strings.HasPrefix(got[1], "killed 2 of 4 nodes: ") {
		t.Errorf("swarm --kill printed %q", got)
	}
	// --for before --kill-after: nobody dies.
	r = scoutRun(t, "swarm", "--nodes", "2", "--kill", "0.5", "--kill-after", "1m", "--for", "100ms").ok(t)
	if got := r.lines(); len(got) != 1 {
		t.Errorf("swarm --for 100ms --kill-after 1m printed %q", got)
	}
}

func TestDemo(t *testing.T) {
	start := time.Now()
	r := scoutRun(t, "demo", "--timeout", "20s").ok(t)
	for _, want := range []string{
		"swarm of 32 nodes ready",
		"bob <- entry 1 seq 1 \"laptop 10.0.0.5:4000\"",
		"alice <- entry 11 seq 1",
		"1. \"Call me when you're back. Alice\"",
		"all steps verified",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("demo took %v", time.Since(start))

	// A step that fails (here: no time to start the swarm) ends with exit 2.
	if r := scoutRun(t, "demo", "--timeout", "1ms"); r.code != exitNetwork || !strings.Contains(r.stderr, "demo failed") {
		t.Errorf("demo out of time: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{usagef("x"), 1},
		{fmt.Errorf("wrapped: %w", scout.ErrInvalidArgument), 1},
		{&scout.LimitError{What: "message"}, 1},
		{os.ErrNotExist, 1},
		{fmt.Errorf("x: %w", scout.ErrNetwork), 2},
		{scout.ErrTimeout, 2},
		{scout.ErrCancelled, 2},
		{scout.ErrConflict, 2},
		{context.DeadlineExceeded, 2},
		{fmt.Errorf("%w: %w", errDemo, scout.ErrNotFound), 2},
		{fmt.Errorf("x: %w", scout.ErrNotFound), 3},
	} {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
	if !errors.Is(usagef("x"), errUsage) {
		t.Error("usagef does not match errUsage")
	}
}

func TestDisplay(t *testing.T) {
	for in, want := range map[string]string{
		"laptop 10.0.0.5:4000": "laptop 10.0.0.5:4000",
		"héllo wörld":          "héllo wörld",
		"":                     "",
		"two\nlines":           "0x74776f0a6c696e6573",
		"\xff":                 "0xff",
		"0x41":                 "0x30783431", // text that would read as hex
	} {
		if got := display([]byte(in)); got != want {
			t.Errorf("display(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultStateFile(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	pub := defaultStateFile(nil)
	if pub != defaultStateFile(scout.DefaultBootstrap) || !strings.HasPrefix(pub, cache) {
		t.Errorf("default state file %q: not under %s or not the public list's", pub, cache)
	}
	a, b := defaultStateFile([]string{"127.0.0.1:1"}), defaultStateFile([]string{"127.0.0.1:2"})
	if a == b || a == pub {
		t.Errorf("state files do not differ by bootstrap list: %s %s %s", pub, a, b)
	}
	if a != defaultStateFile([]string{"127.0.0.1:1"}) {
		t.Error("state file not stable for one list")
	}
}
