package main

// #include "shim.h"
import "C"

import (
	"net/netip"
	"strings"
	"unsafe"

	"github.com/scout-dht/scout/scout"
)

// The families as scout_families numbers them: scout.Families' values
// (TestFamiliesValues), so that options passes the number through and
// NewSession refuses any other.
const (
	familiesAuto      C.int = C.SCOUT_FAMILIES_AUTO
	familiesIPv4      C.int = C.SCOUT_FAMILIES_IPV4
	familiesIPv6      C.int = C.SCOUT_FAMILIES_IPV6
	familiesDualStack C.int = C.SCOUT_FAMILIES_DUAL_STACK
)

// queryMethods numbers the methods of scout.Stats' QueriesIn and
// QueriesOut as scout_query_method does; a method of no number is counted
// as SCOUT_QUERY_UNKNOWN.
var queryMethods = map[string]int{
	"ping":          C.SCOUT_QUERY_PING,
	"find_node":     C.SCOUT_QUERY_FIND_NODE,
	"get_peers":     C.SCOUT_QUERY_GET_PEERS,
	"announce_peer": C.SCOUT_QUERY_ANNOUNCE_PEER,
	"get":           C.SCOUT_QUERY_GET,
	"put":           C.SCOUT_QUERY_PUT,
	"unknown":       C.SCOUT_QUERY_UNKNOWN,
}

// The sizes of scout_stats: in its first release, the least a caller may
// pass, and as this library knows it.
const (
	statsV1Size    = C.SCOUT_STATS_V1_SIZE
	statsKnownSize = C.sizeof_scout_stats
)

// queryCounts spreads a count by method over scout_query_method's indices.
func queryCounts(by map[string]uint64) (out [C.SCOUT_QUERY_METHODS]C.uint64_t) {
	for m, n := range by {
		i, ok := queryMethods[m]
		if !ok {
			i = C.SCOUT_QUERY_UNKNOWN
		}
		out[i] += C.uint64_t(n)
	}
	return out
}

// cStats is what scout_session_stats writes for st, size left 0.
func cStats(st scout.Stats) C.scout_stats {
	var c C.scout_stats
	c.nodes, c.good_nodes, c.questionable_nodes = C.uint32_t(st.Nodes), C.uint32_t(st.GoodNodes), C.uint32_t(st.QuestionableNodes)
	c.nodes6, c.good_nodes6, c.questionable_nodes6 = C.uint32_t(st.Nodes6), C.uint32_t(st.GoodNodes6), C.uint32_t(st.QuestionableNodes6)
	c.stored_items, c.stored_bytes = C.uint64_t(st.StoredItems), C.uint64_t(st.StoredBytes)
	c.queries_in, c.queries_out = queryCounts(st.QueriesIn), queryCounts(st.QueriesOut)
	c.replies, c.errors, c.timeouts, c.resent = C.uint64_t(st.Replies), C.uint64_t(st.Errors), C.uint64_t(st.Timeouts), C.uint64_t(st.Resent)
	c.datagrams_in, c.datagrams_out = C.uint64_t(st.DatagramsIn), C.uint64_t(st.DatagramsOut)
	c.bytes_in, c.bytes_out = C.uint64_t(st.BytesIn), C.uint64_t(st.BytesOut)
	c.malformed, c.rate_limited, c.send_dropped = C.uint64_t(st.Malformed), C.uint64_t(st.RateLimited), C.uint64_t(st.SendDropped)
	for _, a := range []struct {
		dst  *[C.SCOUT_ADDR_STRLEN]C.char
		addr netip.Addr
	}{{&c.external_addr, st.ExternalAddr}, {&c.external_addr6, st.ExternalAddr6}} {
		text := "" // while unknown
		if a.addr.IsValid() {
			text = a.addr.String()
		}
		b := unsafe.Slice((*byte)(unsafe.Pointer(&a.dst[0])), len(a.dst))
		b[copy(b[:len(b)-1], text)] = 0
	}
	c.id_secure, c.id_secure6 = cBool(st.IDSecure), cBool(st.IDSecure6)
	o := st.Operations
	c.ops_ok, c.ops_not_found, c.ops_timeout = C.uint64_t(o.OK), C.uint64_t(o.NotFound), C.uint64_t(o.Timeout)
	c.ops_cancelled, c.ops_conflict, c.ops_failed = C.uint64_t(o.Cancelled), C.uint64_t(o.Conflict), C.uint64_t(o.Failed)
	return c
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

//export scoutgo_session_stats
func scoutgo_session_stats(h C.uintptr_t, out *C.scout_stats) (st C.int) {
	defer guard(&st)
	s, ok := sessionOf(h)
	if !ok {
		return failf(statusInvalid, causeSession)
	}
	if out == nil {
		return failf(statusInvalid, "out is NULL")
	}
	size := uintptr(out.size)
	if size < statsV1Size || size > maxOptionsSize {
		return failf(statusInvalid, "out->size is %d: set it to sizeof(scout_stats) (this library knows %d bytes)", size, statsKnownSize)
	}
	c := cStats(s.core.Stats())
	c.size = out.size
	dst := unsafe.Slice((*byte)(unsafe.Pointer(out)), size)
	n := copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(&c)), statsKnownSize))
	clear(dst[n:]) // a newer header's fields: zero, as yet unknown
	return statusOK
}

//export scoutgo_session_addrs
func scoutgo_session_addrs(h C.uintptr_t, buf *C.char, n *C.size_t) (st C.int) {
	defer guard(&st)
	return outSessionAddrs(h, buf, n, true)
}

// outSessionAddrs writes the session's address (scout_session_addr), or
// all of them, comma-separated, the IPv4 one first (scout_session_addrs).
func outSessionAddrs(h C.uintptr_t, buf *C.char, n *C.size_t, all bool) C.int {
	s, ok := sessionOf(h)
	if !ok {
		return failf(statusInvalid, causeSession)
	}
	if n == nil {
		return failf(statusInvalid, "len is NULL")
	}
	addrs := s.core.Addrs()
	if len(addrs) == 0 {
		return failf(statusWrongState, "the session has not been started")
	}
	if !all {
		return outString(buf, n, addrs[0].String())
	}
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = a.String()
	}
	text := strings.Join(list, ",")
	if len(text)+1 > 2*C.SCOUT_ADDR_STRLEN {
		return failf(statusInternal, "the addresses %q do not fit 2 * SCOUT_ADDR_STRLEN", text)
	}
	return outString(buf, n, text)
}
