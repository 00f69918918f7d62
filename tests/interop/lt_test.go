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
	"testing"

	"github.com/scout-dht/scout/tests/interop/ltdriver"
)

// ltSwarm wraps a libtorrent swarm for a test: failures end the test.
type ltSwarm struct {
	t *testing.T
	*ltdriver.Swarm
}

// startLT starts n libtorrent nodes (see ltdriver.StartWith), stopped when
// the test ends.
func startLT(t *testing.T, n int, opts ltdriver.Options) *ltSwarm {
	t.Helper()
	s, err := ltdriver.StartWith(n, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &ltSwarm{t: t, Swarm: s}
}

// call sends one request and returns its reply; an error ends the test.
func (l *ltSwarm) call(req map[string]any) map[string]any {
	l.t.Helper()
	r, err := l.Call(req)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}
