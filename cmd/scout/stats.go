package main

import (
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// counters are the figures of scout.Stats that add up over nodes, as
// --stats prints them: snake_case keys, queries by method.
type counters struct {
	Nodes              int               `json:"nodes"`
	GoodNodes          int               `json:"good_nodes"`
	QuestionableNodes  int               `json:"questionable_nodes"`
	Nodes6             int               `json:"nodes6"`
	GoodNodes6         int               `json:"good_nodes6"`
	QuestionableNodes6 int               `json:"questionable_nodes6"`
	StoredItems        int               `json:"stored_items"`
	StoredBytes        int               `json:"stored_bytes"`
	QueriesIn          map[string]uint64 `json:"queries_in"`
	QueriesOut         map[string]uint64 `json:"queries_out"`
	Replies            uint64            `json:"replies"`
	Errors             uint64            `json:"errors"`
	Timeouts           uint64            `json:"timeouts"`
	Resent             uint64            `json:"resent"`
	DatagramsIn        uint64            `json:"datagrams_in"`
	DatagramsOut       uint64            `json:"datagrams_out"`
	BytesIn            uint64            `json:"bytes_in"`
	BytesOut           uint64            `json:"bytes_out"`
	Malformed          uint64            `json:"malformed"`
	RateLimited        uint64            `json:"rate_limited"`
	SendDropped        uint64            `json:"send_dropped"`
	Operations         operations        `json:"operations"`
}

type operations struct {
	OK        uint64 `json:"ok"`
	NotFound  uint64 `json:"not_found"`
	Timeout   uint64 `json:"timeout"`
	Cancelled uint64 `json:"cancelled"`
	Conflict  uint64 `json:"conflict"`
	Failed    uint64 `json:"failed"`
}

// sessionStats is one session's --stats object: the counters and what is
// the node's own (its external addresses, null while unknown, and whether
// its id is a BEP 42 id for them).
type sessionStats struct {
	counters
	ExternalAddr  *string `json:"external_addr"`
	ExternalAddr6 *string `json:"external_addr6"`
	IDSecure      bool    `json:"id_secure"`
	IDSecure6     bool    `json:"id_secure6"`
}

// swarmStats is `scout swarm --stats`: the sum over the swarm's sessions.
type swarmStats struct {
	Sessions int `json:"sessions"`
	counters
}

// countersOf is st's figures as --stats prints them (queries by method
// as objects, {} for none).
func countersOf(st scout.Stats) counters {
	if st.QueriesIn == nil {
		st.QueriesIn, st.QueriesOut = map[string]uint64{}, map[string]uint64{}
	}
	o := st.Operations
	return counters{
		Nodes: st.Nodes, GoodNodes: st.GoodNodes, QuestionableNodes: st.QuestionableNodes,
		Nodes6: st.Nodes6, GoodNodes6: st.GoodNodes6, QuestionableNodes6: st.QuestionableNodes6,
		StoredItems: st.StoredItems, StoredBytes: st.StoredBytes,
		QueriesIn: st.QueriesIn, QueriesOut: st.QueriesOut,
		Replies: st.Replies, Errors: st.Errors, Timeouts: st.Timeouts, Resent: st.Resent,
		DatagramsIn: st.DatagramsIn, DatagramsOut: st.DatagramsOut, BytesIn: st.BytesIn, BytesOut: st.BytesOut,
		Malformed: st.Malformed, RateLimited: st.RateLimited, SendDropped: st.SendDropped,
		Operations: operations{OK: o.OK, NotFound: o.NotFound, Timeout: o.Timeout,
			Cancelled: o.Cancelled, Conflict: o.Conflict, Failed: o.Failed},
	}
}

func addrJSON(a netip.Addr) *string {
	if !a.IsValid() {
		return nil
	}
	s := a.String()
	return &s
}

func newSessionStats(st scout.Stats) sessionStats {
	return sessionStats{counters: countersOf(st),
		ExternalAddr: addrJSON(st.ExternalAddr), ExternalAddr6: addrJSON(st.ExternalAddr6),
		IDSecure: st.IDSecure, IDSecure6: st.IDSecure6}
}

func newSwarmStats(sw *swarm.Swarm) swarmStats {
	sessions := sw.Sessions()
	sum := scout.Stats{QueriesIn: map[string]uint64{}, QueriesOut: map[string]uint64{}}
	for _, s := range sessions {
		sum.Add(s.Stats())
	}
	return swarmStats{Sessions: len(sessions), counters: countersOf(sum)}
}

// noteStats keeps s's statistics for --stats, to print once the command
// has said everything else (run calls printStats).
func (c *cli) noteStats(s *scout.Session) {
	if c.stats {
		c.statsOut = newSessionStats(s.Stats())
	}
}

// printStats writes what noteStats kept, if anything, as one line of JSON
// on stderr.
func (c *cli) printStats() {
	if c.statsOut == nil {
		return
	}
	enc := json.NewEncoder(c.stderr)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c.statsOut)
}

// families are the values --families takes, as scout.Families names them.
var families = []scout.Families{scout.FamiliesAuto, scout.IPv4Only, scout.IPv6Only, scout.DualStack}

// parseFamilies reads --families.
func parseFamilies(s string) (scout.Families, error) {
	names := make([]string, len(families))
	for i, f := range families {
		if s == f.String() {
			return f, nil
		}
		names[i] = f.String()
	}
	return 0, usagef("--families must be %s, got %q", strings.Join(names, ", "), s)
}
