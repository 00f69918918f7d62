// Package krpctest holds what the tests and fuzzers of the DHT share: the
// datagrams that crashed or bloated nodes built on other decoders.
package krpctest

import (
	"fmt"
	"strings"

	"github.com/scout-dht/scout/internal/krpc"
)

// Seeds are datagrams that crashed or bloated nodes built on other
// decoders (see the "Own the wire" issue), plus a valid message of every
// kind and method: the fuzzers start from them.
func Seeds() [][]byte {
	id := "2:id20:" + strings.Repeat("a", 20)
	target := "6:target20:" + strings.Repeat("b", 20)
	var out [][]byte
	add := func(s string) { out = append(out, []byte(s)) }
	// A 0- or 1-byte "ip" or "values" element, in a message, a query, a reply.
	add("d2:ip0:e")
	add("d2:ip1:xe")
	add("d1:rd6:valuesl0:eee")
	add("d1:rd6:valuesl1:xeee")
	add("d2:ip0:1:ad" + id + "e1:q4:ping1:t2:aa1:y1:qe")
	add("d2:ip1:x1:rd" + id + "6:valuesl0:ee1:t2:aa1:y1:re")
	// Queries with no "a", for every method.
	for _, q := range []string{"ping", "find_node", "get_peers", "announce_peer", "get", "put", "x"} {
		add(fmt.Sprintf("d1:q%d:%s1:t2:aa1:y1:qe", len(q), q))
	}
	// A huge string prefix, a huge integer, deep nesting.
	add("d1:t134217727:")
	add("d1:ti99999999999999999999e")
	add(strings.Repeat("l", 1400) + strings.Repeat("e", 1400))
	add("d1:x" + strings.Repeat("d1:x", 300) + "i1e" + strings.Repeat("e", 301))
	// Ids, keys and signatures of the wrong size.
	add("d1:ad2:id21:" + strings.Repeat("a", 21) + "e1:q4:ping1:t2:aa1:y1:qe")
	add("d1:ad" + id + "1:k33:" + strings.Repeat("k", 33) + "3:sig65:" + strings.Repeat("s", 65) + "e1:q3:put1:t2:aa1:y1:qe")
	// Valid messages.
	for _, m := range []struct {
		q krpc.Method
		a krpc.Args
	}{
		{krpc.MethodPing, krpc.Args{}},
		{krpc.MethodFindNode, krpc.Args{HasTarget: true, Want: krpc.WantN4}},
		{krpc.MethodGetPeers, krpc.Args{HasInfoHash: true}},
		{krpc.MethodAnnouncePeer, krpc.Args{HasInfoHash: true, Token: []byte("tk"), HasPort: true, Port: 1}},
		{krpc.MethodGet, krpc.Args{HasTarget: true, HasSeq: true, Seq: 3}},
		{krpc.MethodPut, krpc.Args{Token: []byte("tk"), V: []byte("l5:helloi1ee")}},
		{krpc.MethodPut, krpc.Args{Token: []byte("tk"), V: []byte("3:abc"), HasK: true, HasSig: true, HasSeq: true, Seq: 9, HasCas: true, Cas: 8, Salt: []byte("s")}},
	} {
		out = append(out, krpc.AppendQuery(nil, []byte("tx"), m.q, &m.a, false))
	}
	add("d1:rd" + id + "5:nodes26:" + strings.Repeat("n", 26) + "5:token2:tk1:v3:abce1:t2:aa1:y1:re")
	add("d1:rd" + id + "1:k32:" + strings.Repeat("k", 32) + "3:seqi1e3:sig64:" + strings.Repeat("s", 64) + "1:v1:xe1:t2:aa1:y1:re")
	add("d1:eli201e5:oops!e1:t2:aa1:y1:ee")
	add("d1:ad" + id + target + "e1:q3:get1:t2:aa1:y1:qe")
	return out
}
