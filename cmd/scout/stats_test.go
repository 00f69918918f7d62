package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// statsLine is the --stats object, as a command prints it on stderr.
type statsLine struct {
	Sessions           *int              `json:"sessions"`
	Nodes              int               `json:"nodes"`
	GoodNodes          int               `json:"good_nodes"`
	Nodes6             int               `json:"nodes6"`
	StoredItems        int               `json:"stored_items"`
	QueriesIn          map[string]uint64 `json:"queries_in"`
	QueriesOut         map[string]uint64 `json:"queries_out"`
	Replies            uint64            `json:"replies"`
	DatagramsIn        uint64            `json:"datagrams_in"`
	DatagramsOut       uint64            `json:"datagrams_out"`
	BytesOut           uint64            `json:"bytes_out"`
	ExternalAddr       *string           `json:"external_addr"`
	IDSecure           *bool             `json:"id_secure"`
	Operations         map[string]uint64 `json:"operations"`
	QuestionableNodes6 *int              `json:"questionable_nodes6"`
}

// lastStats parses the last line of stderr as the --stats object, checking
// that it holds every key of the Go Stats, in snake_case.
func lastStats(t *testing.T, stderr string) statsLine {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(last), &raw); err != nil {
		t.Fatalf("the last line of stderr is not a JSON object: %q (%v); stderr:\n%s", last, err, stderr)
	}
	for _, k := range []string{"nodes", "good_nodes", "questionable_nodes", "nodes6", "good_nodes6",
		"questionable_nodes6", "stored_items", "stored_bytes", "queries_in", "queries_out", "replies", "errors",
		"timeouts", "resent", "datagrams_in", "datagrams_out", "bytes_in", "bytes_out", "malformed",
		"rate_limited", "send_dropped", "operations"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--stats has no %q: %s", k, last)
		}
	}
	var st statsLine
	if err := json.Unmarshal([]byte(last), &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok", "not_found", "timeout", "cancelled", "conflict", "failed"} {
		if _, ok := st.Operations[k]; !ok {
			t.Errorf("--stats operations have no %q: %s", k, last)
		}
	}
	return st
}

func TestStatsAfterPutAndGet(t *testing.T) {
	dir := t.TempDir()
	r := scoutNet(t, dir, "put", "counted", "--stats").ok(t)
	h := strings.TrimSpace(r.stdout)
	if len(h) != 40 {
		t.Fatalf("put --stats printed %q on stdout", r.stdout)
	}
	st := lastStats(t, r.stderr)
	if st.Nodes == 0 || st.Nodes6 != 0 || st.QueriesOut["put"] == 0 || st.Operations["ok"] != 1 ||
		st.DatagramsOut == 0 || st.BytesOut <= st.DatagramsOut || st.Replies == 0 || st.Replies > st.DatagramsIn {
		t.Errorf("put --stats: %+v", st)
	}
	if st.ExternalAddr != nil || st.IDSecure == nil || *st.IDSecure || st.Sessions != nil {
		t.Errorf("put --stats: external_addr %v, id_secure %v, sessions %v", st.ExternalAddr, st.IDSecure, st.Sessions)
	}
	// A read-only node answers nothing and keeps nothing.
	if st.StoredItems != 0 || st.QueriesIn["put"] != 0 {
		t.Errorf("the command's read-only node stored %d items, answered %d puts", st.StoredItems, st.QueriesIn["put"])
	}

	r = scoutNet(t, dir, "get", h, "--stats").ok(t)
	if got := r.lines(); got[0] != "counted" {
		t.Errorf("get --stats printed %q on stdout", got)
	}
	st = lastStats(t, r.stderr)
	if st.QueriesOut["get"] == 0 || st.QueriesOut["put"] != 0 || st.Operations["ok"] != 1 {
		t.Errorf("get --stats: %+v", st)
	}

	// With --json, stdout holds the command's object alone.
	r = scoutNet(t, dir, "get", h, "--json", "--stats").ok(t)
	var m jsonMsg
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Message == nil || *m.Message != "counted" {
		t.Errorf("get --json --stats printed %q (%v)", r.stdout, err)
	}
	lastStats(t, r.stderr)

	// Without --stats, none.
	if r := scoutNet(t, dir, "get", h).ok(t); r.stderr != "" {
		t.Errorf("get without --stats wrote %q on stderr", r.stderr)
	}
}

func TestStatsAfterAFailure(t *testing.T) {
	r := scoutNet(t, t.TempDir(), "get", strings.Repeat("cd", 20), "--stats")
	if r.code != exitNotFound || r.stdout != "" {
		t.Fatalf("get of an unknown hash: exit %d, stdout %q", r.code, r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "not found") {
		t.Errorf("stderr %q: want the error, then the statistics", r.stderr)
	}
	st := lastStats(t, r.stderr)
	if st.Operations["not_found"] != 1 || st.Operations["ok"] != 0 || st.QueriesOut["get"] == 0 {
		t.Errorf("get --stats of nothing: %+v", st)
	}
}

func TestStatsOfSync(t *testing.T) {
	dir := t.TempDir()
	aKey, bKey := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	scoutRun(t, "gen-key", aKey).ok(t)
	bPub := strings.TrimSpace(scoutRun(t, "gen-key", bKey).ok(t).stdout)
	r := scoutNet(t, dir, "sync", aKey, bPub, "1", "counted", "--stats").ok(t)
	st := lastStats(t, r.stderr)
	if st.QueriesOut["get"] == 0 || st.QueriesOut["put"] == 0 || st.Operations["ok"] != 1 {
		t.Errorf("sync --stats: %+v", st)
	}
}

func TestStatsOfServe(t *testing.T) {
	r := scoutRun(t, "serve", "--listen", "127.0.0.1:0", "--bootstrap", bootstrap, "--no-state",
		"--no-portmap", "--for", "200ms", "--stats").ok(t)
	st := lastStats(t, r.stderr)
	if st.Nodes == 0 || st.DatagramsOut == 0 || st.Operations["ok"] != 0 {
		t.Errorf("serve --stats: %+v", st)
	}
}

func TestStatsOfASwarm(t *testing.T) {
	out, stop := swarmCommand(t, "swarm", "--nodes", "6", "--stats")
	boot := strings.TrimPrefix(strings.TrimSpace(readLine(t, out, "the first line")), "bootstrap ")
	args := []string{"--bootstrap", boot, "--no-state"}
	scoutRun(t, append([]string{"put", "stored by the swarm"}, args...)...).ok(t)
	code, stderr := stop()
	if code != 0 {
		t.Fatalf("swarm exited %d, stderr %s", code, stderr)
	}
	st := lastStats(t, stderr)
	if st.Sessions == nil || *st.Sessions != 6 || st.Nodes < 6 || st.StoredItems == 0 || st.QueriesIn["put"] == 0 ||
		st.QueriesOut["find_node"] == 0 {
		t.Errorf("swarm --stats: %+v (sessions %v)", st, st.Sessions)
	}
	if st.ExternalAddr != nil || st.IDSecure != nil {
		t.Errorf("swarm --stats has per-node fields: %+v", st)
	}
	// Totals only: the per-family ones are summed too.
	if st.QuestionableNodes6 == nil {
		t.Error("swarm --stats has no questionable_nodes6")
	}
}

func TestFamiliesFlag(t *testing.T) {
	out, stop := swarmCommand(t, "swarm", "--ipv6", "--nodes", "8")
	boot := strings.TrimPrefix(strings.TrimSpace(readLine(t, out, "the first line")), "bootstrap ")
	args := []string{"--bootstrap", boot, "--no-state", "--families", "ipv6", "--stats"}
	r := scoutRun(t, append([]string{"put", "IPv6 only"}, args...)...).ok(t)
	st := lastStats(t, r.stderr)
	if st.Nodes6 == 0 || st.Nodes != 0 || st.QueriesOut["put"] == 0 {
		t.Errorf("put --families ipv6 --stats: %+v", st)
	}
	h := strings.TrimSpace(r.stdout)
	if got := scoutRun(t, append([]string{"get", h}, args...)...).ok(t).lines(); got[0] != "IPv6 only" {
		t.Errorf("get --families ipv6 printed %q", got)
	}
	if code, stderr := stop(); code != 0 {
		t.Errorf("swarm exited %d after cancel, stderr %s", code, stderr)
	}

	// A family the listen address contradicts: refused before any node
	// runs, so there are no statistics to print.
	r = scoutRun(t, "put", "x", "--bootstrap", bootstrap, "--no-state", "--listen", "127.0.0.1:0",
		"--families", "ipv6", "--stats")
	if r.code != exitUsage || !strings.Contains(r.stderr, "IPv6Only") || strings.Contains(r.stderr, "{") {
		t.Errorf("--families ipv6 with an IPv4 --listen: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestStatsAndFamiliesUsage(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"gen-key", key, "--stats"}, "gen-key does not take --stats"},
		{[]string{"demo", "--stats"}, "demo does not take --stats"},
		{[]string{"swarm", "--families", "ipv6"}, "swarm does not take --families"},
		{[]string{"get", strings.Repeat("0", 40), "--families", "both"}, "--families must be auto, ipv4, ipv6, dual-stack, got \"both\""},
	} {
		r := scoutRun(t, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.msg) || strings.Contains(r.stderr, "{") {
			t.Errorf("scout %q: exit %d, stderr %q; want 1 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
	}
}
