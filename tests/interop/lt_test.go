//go:build interop

// Package interop tests Scout against a DHT implementation nobody here
// wrote: libtorrent (Debian's python3-libtorrent, driven by lt_node.py
// under /usr/bin/python3), on loopback swarms mixed with Scout nodes, made
// only of libtorrent nodes, or made only of Scout nodes. The libtorrent
// side reads and writes Scout's formats through scout_format.py, a Python
// implementation independent of the Go core.
//
// Run alone: go test -tags interop ./tests/interop/ (or ctest -L interop).
package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// ltSwarm is a running lt_node.py: N libtorrent DHT nodes on 127.0.0.1.
type ltSwarm struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	Nodes []string

	mu      sync.Mutex
	nextID  int
	pending map[int]chan map[string]any
	exited  chan struct{}
}

// startLT starts n libtorrent nodes that join through bootstrap (none: they
// only know each other) with extra settings "key=value". It stops them when
// the test ends (libtorrent waits 15 s on a node that left its table, so
// the Scout nodes must outlive them: register this after the Go swarm).
func startLT(t *testing.T, n int, bootstrap []string, settings ...string) *ltSwarm {
	t.Helper()
	args := []string{"lt_node.py", "--nodes", fmt.Sprint(n)}
	if len(bootstrap) > 0 {
		args = append(args, "--bootstrap", strings.Join(bootstrap, ","))
	}
	for _, s := range settings {
		args = append(args, "--set", s)
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting libtorrent nodes: %v", err)
	}
	l := &ltSwarm{t: t, cmd: cmd, stdin: stdin, pending: map[int]chan map[string]any{}, exited: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	if !lines.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lt_node.py exited before it was ready")
	}
	var ready struct {
		Ready bool     `json:"ready"`
		Nodes []string `json:"nodes"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal(lines.Bytes(), &ready); err != nil || !ready.Ready {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lt_node.py not ready: %s %v", lines.Text(), err)
	}
	l.Nodes = ready.Nodes
	go func() {
		defer close(l.exited)
		for lines.Scan() {
			var r map[string]any
			if json.Unmarshal(lines.Bytes(), &r) != nil {
				continue
			}
			id, ok := r["id"].(float64)
			if !ok {
				continue
			}
			l.mu.Lock()
			ch := l.pending[int(id)]
			delete(l.pending, int(id))
			l.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		}
	}()
	t.Cleanup(l.stop)
	return l
}

func (l *ltSwarm) stop() {
	l.send(map[string]any{"op": "quit"})
	l.stdin.Close()
	select {
	case <-l.exited:
	case <-time.After(30 * time.Second):
		l.cmd.Process.Kill()
	}
	l.cmd.Wait()
}

func (l *ltSwarm) send(req map[string]any) int {
	l.mu.Lock()
	l.nextID++
	id := l.nextID
	req["id"] = id
	b, _ := json.Marshal(req)
	l.stdin.Write(append(b, '\n'))
	l.mu.Unlock()
	return id
}

// call sends one request and returns its reply; a reply with ok false or
// no reply within a minute fails the test.
func (l *ltSwarm) call(req map[string]any) map[string]any {
	l.t.Helper()
	ch := make(chan map[string]any, 1)
	l.mu.Lock()
	l.nextID++
	id := l.nextID
	l.pending[id] = ch
	req["id"] = id
	b, _ := json.Marshal(req)
	_, err := l.stdin.Write(append(b, '\n'))
	l.mu.Unlock()
	if err != nil {
		l.t.Fatalf("writing to lt_node.py: %v", err)
	}
	select {
	case r := <-ch:
		if ok, _ := r["ok"].(bool); !ok {
			l.t.Fatalf("libtorrent %v: %v", req["op"], r["error"])
		}
		return r
	case <-l.exited:
		l.t.Fatalf("lt_node.py exited during %v", req["op"])
	case <-time.After(time.Minute):
		l.t.Fatalf("libtorrent %v: no reply in a minute", req["op"])
	}
	return nil
}
