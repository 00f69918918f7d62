//go:build interop

package interop

// Every front end against every other: a C peer (examples/client_test.c
// over libscout.so), a Python peer (peer.py over bindings/python), a Rust
// peer (bindings/rust's example client) and the `scout` command (Go) on one
// loopback swarm, with one shared secret. Needs the CMake build: ctest
// passes SCOUT_LIBRARY_DIR (the directory holding libscout.so).

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
)

// peerCmd is one front end: how to run its command with arguments.
type peerCmd struct {
	name string
	argv func(boot string, args ...string) []string
	env  []string
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

func run(t *testing.T, dir string, env []string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, err, "%s: %s%s", strings.Join(argv, " "), out.String(), errb.String())
	return out.String()
}

// frontEnds builds what needs building and returns the four peers.
func frontEnds(t *testing.T) []peerCmd {
	t.Helper()
	libDir := os.Getenv("SCOUT_LIBRARY_DIR")
	if libDir == "" {
		t.Skip("needs the CMake build: run through ctest (ctest -L interop), or set SCOUT_LIBRARY_DIR to the directory holding libscout.so")
	}
	root, tmp := repoRoot(t), t.TempDir()

	cli := os.Getenv("SCOUT_CLI")
	if cli == "" {
		cli = filepath.Join(tmp, "scout")
		run(t, root, nil, "go", "build", "-o", cli, "./cmd/scout")
	}
	cClient := filepath.Join(tmp, "client_test")
	run(t, root, nil, "cc", "-std=c99", "-o", cClient, "examples/client_test.c", "-Iinclude",
		"-L"+libDir, "-lscout", "-Wl,-rpath,"+libDir, "-lpthread")
	rustTarget := os.Getenv("CARGO_TARGET_DIR")
	if rustTarget == "" {
		rustTarget = filepath.Join(libDir, "cargo-target")
	}
	rustEnv := []string{"SCOUT_LIB_DIR=" + libDir, "CARGO_TARGET_DIR=" + rustTarget}
	run(t, root, rustEnv, "cargo", "build", "--quiet", "--manifest-path", "bindings/rust/Cargo.toml", "--example", "client")
	rustClient := filepath.Join(rustTarget, "debug", "examples", "client")

	lib := filepath.Join(libDir, "libscout.so")
	flagsFirst := func(bin string) func(string, ...string) []string {
		return func(boot string, args ...string) []string {
			return append([]string{bin, "--bootstrap", boot}, args...)
		}
	}
	return []peerCmd{
		{name: "C", argv: flagsFirst(cClient)},
		{name: "Python", argv: func(boot string, args ...string) []string {
			return append([]string{"python3", filepath.Join(root, "tests/interop/peer.py"), "--bootstrap", boot}, args...)
		}, env: []string{"SCOUT_LIBRARY=" + lib, "PYTHONPATH=" + filepath.Join(root, "bindings/python")}},
		{name: "Rust", argv: flagsFirst(rustClient)},
		{name: "Go command", argv: func(boot string, args ...string) []string {
			return append([]string{cli, "--bootstrap", boot, "--no-state"}, args...)
		}},
	}
}

var hashRE = regexp.MustCompile(`\b[0-9a-f]{40}\b`)

// hasEntry reports whether a sync's output lists entry id with value, as
// "ID VALUE" (C, Rust) or "ID SEQ VALUE" (Go, Python).
func hasEntry(out string, id int, value string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == fmt.Sprint(id) && strings.HasSuffix(line, " "+value) {
			return true
		}
	}
	return false
}

// TestEveryLanguageWithEveryOther: four peers, one per front end, share
// one secret (the same key file and peer key): each adds its own entry,
// then each synchronizes again and sees all four. Each leaves an offline
// message that every other one reads.
func TestEveryLanguageWithEveryOther(t *testing.T) {
	peers := frontEnds(t)
	sw := goSwarm(t, 24, false)
	boot := sw.Bootstrap()
	dir := t.TempDir()

	sk, _, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	_, bobPublic, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "group.key")
	require.NoError(t, os.WriteFile(keyFile, sk[:], 0o600))
	peerHex := bobPublic.String()
	value := func(i int) string {
		return fmt.Sprintf("%s-device-10.0.0.%d:4000", strings.ReplaceAll(peers[i].name, " ", "-"), i+1)
	}

	// Round 1: each adds its entry, one after another (and all at once
	// below); round 2: each reads all four.
	for i, p := range peers {
		run(t, dir, p.env, p.argv(boot, "sync", keyFile, peerHex, fmt.Sprint(i+1), value(i))...)
	}
	var wg sync.WaitGroup
	outs := make([]string, len(peers))
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			argv := p.argv(boot, "sync", keyFile, peerHex, fmt.Sprint(i+1), value(i))
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir, cmd.Env = dir, append(os.Environ(), p.env...)
			b, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s: %s", p.name, b)
			outs[i] = string(b)
		}()
	}
	wg.Wait()
	for i, p := range peers {
		for j := range peers {
			assert.True(t, hasEntry(outs[i], j+1, value(j)), "the %s peer does not list the %s peer's entry:\n%s", p.name, peers[j].name, outs[i])
		}
	}
	shared, err := scout.KeyExchange(sk, bobPublic)
	require.NoError(t, err)
	read, err := sw.Sessions()[3].Read(context.Background(), shared)
	require.NoError(t, err)
	assert.Equal(t, 4, read.Entries.Len(), "the DHT holds all four entries")

	// Offline messages: each puts one, every other one gets it.
	hashes := make([]string, len(peers))
	for i, p := range peers {
		out := run(t, dir, p.env, p.argv(boot, "put", "hello from "+p.name)...)
		h := hashRE.FindString(out)
		require.NotEmpty(t, h, "%s put printed no hash: %s", p.name, out)
		hashes[i] = h
	}
	for i, p := range peers {
		for j, q := range peers {
			if i == j {
				continue
			}
			out := run(t, dir, q.env, q.argv(boot, "get", hashes[i])...)
			assert.Contains(t, out, "hello from "+p.name, "%s reads %s's message", q.name, p.name)
		}
	}
}
