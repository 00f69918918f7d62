package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serve on loopback: prints its listening line, maps nothing (the default
// rule: not on loopback), ends after --for and saves its state file.
func TestServeCommand(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--bootstrap=", "--state", state, "--for", "300ms"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 5*time.Second {
		t.Errorf("ran %v for --for 300ms", d)
	}
	if !regexp.MustCompile(`^listening 127\.0\.0\.1:\d+\n$`).MatchString(stdout.String()) {
		t.Errorf("stdout %q", stdout.String())
	}
	if strings.Contains(stderr.String(), "port mapping") && !strings.Contains(stderr.String(), "off") {
		t.Errorf("stderr mentions a mapping: %s", stderr.String())
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state file: %v", err)
	}

	stdout.Reset()
	code = run(context.Background(), []string{"serve", "--json", "--no-portmap", "--listen", "127.0.0.1:0", "--bootstrap=", "--no-state", "--for", "50ms"}, &stdout, &stderr)
	if code != exitOK || !regexp.MustCompile(`^\{"addr":"127\.0\.0\.1:\d+","event":"listening"\}\n$`).MatchString(stdout.String()) {
		t.Errorf("--json: exit %d, %q", code, stdout.String())
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--portmap", "--no-portmap", "--no-state"},
		{"serve", "--for", "-1s", "--no-state"},
		{"serve", "extra", "--no-state"},
		{"sync", "a", "b", "c", "d", "--portmap"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d; %s", args, code, exitUsage, stderr.String())
		}
	}
}
