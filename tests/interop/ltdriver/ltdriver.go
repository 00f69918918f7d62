// Package ltdriver runs libtorrent DHT nodes for Scout's interoperability
// tests and benchmarks: it starts tests/interop/lt_node.py under Debian's
// /usr/bin/python3 (python3-libtorrent) and speaks its line-based JSON
// protocol (see the script's doc string).
package ltdriver

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Script is the path of lt_node.py: $SCOUT_LT_NODE, else beside this
// package's source.
func Script() string {
	if p := os.Getenv("SCOUT_LT_NODE"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "lt_node.py")
}

// Swarm is a running lt_node.py: libtorrent DHT nodes on 127.0.0.1, or
// on ::1.
type Swarm struct {
	Nodes []string // "127.0.0.1:PORT" of each node, or "[::1]:PORT"

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex
	nextID  int
	pending map[int]chan map[string]any
	exited  chan struct{}
	once    sync.Once
}

// Options are StartWith's. The zero value: IPv4 nodes that know only each
// other, with the driver's settings.
type Options struct {
	// Bootstrap lists nodes to join through, of the swarm's family.
	Bootstrap []string
	// Settings are extra libtorrent settings, "key=value".
	Settings []string
	// IPv6 puts the nodes on ::1 (lt_node.py --ipv6): each runs
	// libtorrent's IPv6 DHT node (BEP 32) and nothing of IPv4.
	IPv6 bool
}

// Start starts n libtorrent nodes on 127.0.0.1 that join through
// bootstrap (none: they only know each other), with extra libtorrent
// settings "key=value".
func Start(n int, bootstrap []string, settings ...string) (*Swarm, error) {
	return StartWith(n, Options{Bootstrap: bootstrap, Settings: settings})
}

// StartWith starts n libtorrent nodes as opts say.
func StartWith(n int, opts Options) (*Swarm, error) {
	args := []string{Script(), "--nodes", fmt.Sprint(n)}
	if opts.IPv6 {
		args = append(args, "--ipv6")
	}
	if len(opts.Bootstrap) > 0 {
		args = append(args, "--bootstrap", strings.Join(opts.Bootstrap, ","))
	}
	for _, s := range opts.Settings {
		args = append(args, "--set", s)
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting libtorrent nodes: %w", err)
	}
	s := &Swarm{cmd: cmd, stdin: stdin, pending: map[int]chan map[string]any{}, exited: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	if !lines.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("lt_node.py exited before it was ready (is python3-libtorrent installed?)")
	}
	var ready struct {
		Ready bool     `json:"ready"`
		Nodes []string `json:"nodes"`
	}
	if err := json.Unmarshal(lines.Bytes(), &ready); err != nil || !ready.Ready {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("lt_node.py not ready: %s", lines.Text())
	}
	s.Nodes = ready.Nodes
	go s.read(lines)
	return s, nil
}

func (s *Swarm) read(lines *bufio.Scanner) {
	defer close(s.exited)
	for lines.Scan() {
		var r map[string]any
		if json.Unmarshal(lines.Bytes(), &r) != nil {
			continue
		}
		id, ok := r["id"].(float64)
		if !ok {
			continue
		}
		s.mu.Lock()
		ch := s.pending[int(id)]
		delete(s.pending, int(id))
		s.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// Call sends one request and waits for its reply (at most a minute). A
// reply with "ok": false is returned with an error carrying its message.
func (s *Swarm) Call(req map[string]any) (map[string]any, error) {
	ch := make(chan map[string]any, 1)
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.pending[id] = ch
	msg := make(map[string]any, len(req)+1)
	for k, v := range req {
		msg[k] = v
	}
	msg["id"] = id
	b, _ := json.Marshal(msg)
	_, err := s.stdin.Write(append(b, '\n'))
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("writing to lt_node.py: %w", err)
	}
	select {
	case r := <-ch:
		if ok, _ := r["ok"].(bool); !ok {
			return r, fmt.Errorf("libtorrent %v: %v", req["op"], r["error"])
		}
		return r, nil
	case <-s.exited:
		return nil, fmt.Errorf("lt_node.py exited during %v", req["op"])
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("libtorrent %v: no reply in a minute", req["op"])
	}
}

// Close asks the nodes to quit and waits for the process. Calling it again
// does nothing.
func (s *Swarm) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.stdin.Write([]byte(`{"op":"quit"}` + "\n"))
		s.stdin.Close()
		s.mu.Unlock()
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
		}
		s.cmd.Wait()
	})
	return nil
}
