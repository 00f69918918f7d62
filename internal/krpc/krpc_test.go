package krpc

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/jackpal/bencode-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	id1 = ID(bytes.Repeat([]byte{1}, 20))
	id2 = ID(bytes.Repeat([]byte{2}, 20))
)

func decode(t *testing.T, s string) Msg {
	t.Helper()
	var m Msg
	require.NoError(t, Decode([]byte(s), &m), "%q", s)
	return m
}

func refuse(t *testing.T, s string) *DecodeError {
	t.Helper()
	var m Msg
	err := Decode([]byte(s), &m)
	require.Error(t, err, "%q", s)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	return de
}

func TestQueriesRoundTrip(t *testing.T) {
	seq := int64(7)
	for _, tc := range []struct {
		method Method
		args   Args
		ro     bool
	}{
		{MethodPing, Args{ID: id1}, false},
		{MethodFindNode, Args{ID: id1, HasTarget: true, Target: id2, Want: WantN4 | WantN6}, true},
		{MethodGetPeers, Args{ID: id1, HasInfoHash: true, InfoHash: id2}, false},
		{MethodAnnouncePeer, Args{ID: id1, HasInfoHash: true, InfoHash: id2, Token: []byte("tok"), HasPort: true, Port: 6881, Implied: true}, false},
		{MethodGet, Args{ID: id1, HasTarget: true, Target: id2, HasSeq: true, Seq: seq}, false},
		{MethodPut, Args{ID: id1, Token: []byte("tok"), V: []byte("5:hello")}, false},
		{MethodPut, Args{ID: id1, Token: []byte("tok"), V: []byte("l1:ad1:bi-3eee"), HasK: true, K: [32]byte{9},
			HasSig: true, Sig: [64]byte{8}, HasSeq: true, Seq: 1 << 40, HasCas: true, Cas: 0, Salt: []byte("salty")}, true},
	} {
		t.Run(tc.method.String(), func(t *testing.T) {
			b := AppendQuery(nil, []byte("tx"), tc.method, &tc.args, tc.ro)
			m := decode(t, string(b))
			assert.Equal(t, KindQuery, m.Y)
			assert.Equal(t, tc.method, m.Q)
			assert.Equal(t, "tx", string(m.T))
			assert.Equal(t, tc.ro, m.RO)
			want := tc.args
			want.HasID = true
			assert.Equal(t, want, m.A)
			// The encoding is what a reflection-based encoder writes too
			// (sorted keys): jackpal/bencode-go reads it back the same.
			v, err := bencode.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			var again bytes.Buffer
			require.NoError(t, bencode.Marshal(&again, v))
			assert.Equal(t, string(b), again.String())
		})
	}
}

func TestRepliesAndErrorsRoundTrip(t *testing.T) {
	nodes := AppendNodeInfo(nil, NodeInfo{ID: id2, Addr: netip.MustParseAddrPort("10.1.2.3:4567")})
	nodes6 := AppendNodeInfo(nil, NodeInfo{ID: id2, Addr: netip.MustParseAddrPort("[2001:db8::1]:80")})
	r := Return{ID: id1, HasID: true, Nodes: nodes, Nodes6: nodes6, Token: []byte("tk"), V: []byte("i5e"),
		HasK: true, K: [32]byte{1}, HasSig: true, Sig: [64]byte{2}, HasSeq: true, Seq: 3}
	ip := netip.MustParseAddrPort("192.0.2.9:1234")
	b := AppendReply(nil, []byte("ab"), &r, ip)
	m := decode(t, string(b))
	assert.Equal(t, KindReply, m.Y)
	assert.Equal(t, r, m.R)
	assert.Equal(t, ip, m.IP)
	var got []NodeInfo
	EachNode(m.R.Nodes, NodeInfo4Size, func(ni NodeInfo) { got = append(got, ni) })
	EachNode(m.R.Nodes6, NodeInfo6Size, func(ni NodeInfo) { got = append(got, ni) })
	require.Len(t, got, 2)
	assert.Equal(t, "10.1.2.3:4567", got[0].Addr.String())
	assert.Equal(t, "[2001:db8::1]:80", got[1].Addr.String())

	b = AppendError(nil, []byte("ab"), ErrCasMismatch)
	m = decode(t, string(b))
	assert.Equal(t, KindError, m.Y)
	assert.Equal(t, ErrCasMismatch, m.E)
}

func TestStrict(t *testing.T) {
	id := "2:id20:" + strings.Repeat("a", 20)
	for _, tc := range []struct{ name, msg, reason string }{
		{"empty", "", "expected a dictionary"},
		{"not a dict", "l1:ae", "expected a dictionary"},
		{"huge string prefix", "d1:t134217727:", "string longer than"},
		{"length overflow", "d1:t99999999999999999999999:", "string longer than"},
		{"leading zero length", "d1:t01:a", "leading zero"},
		{"leading zero int", "d1:ti01ee", "leading zero"},
		{"negative zero", "d1:xi-0ee", "negative zero"},
		{"int overflow", "d1:xi9223372036854775808ee", "out of range"},
		{"unterminated", "d1:t2:aa", "unterminated"},
		{"trailing", "d1:t2:aa1:y1:r1:rd" + id + "eee", "bytes after"},
		{"deep nesting", "d1:x" + strings.Repeat("l", 20) + strings.Repeat("e", 20) + "e", "too deep"},
		{"duplicate key", "d1:t2:aa1:t2:bbe", "twice"},
		{"empty ip", "d2:ip0:e", "ip of 0 bytes"},
		{"one-byte values", "d1:rd" + id + "6:valuesl0:ee1:t2:aa1:y1:re", "peer address of 0 bytes"},
		{"query without a", "d1:q13:announce_peer1:t2:aa1:y1:qe", "without a"},
		{"put without a", "d1:q3:put1:t2:aa1:y1:qe", "without a"},
		{"long id", "d1:ad2:id21:" + strings.Repeat("a", 21) + "e1:q4:ping1:t2:aa1:y1:qe", "id of 21 bytes"},
		{"short id", "d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe", "id of 3 bytes"},
		{"long target", "d1:ad" + id + "6:target21:" + strings.Repeat("b", 21) + "e1:q3:get1:t2:aa1:y1:qe", "target of 21"},
		{"long k", "d1:ad" + id + "1:k33:" + strings.Repeat("k", 33) + "e1:q3:put1:t2:aa1:y1:qe", "k of 33"},
		{"long sig", "d1:ad" + id + "3:sig65:" + strings.Repeat("s", 65) + "e1:q3:put1:t2:aa1:y1:qe", "sig of 65"},
		{"k without sig", "d1:ad" + id + "1:k32:" + strings.Repeat("k", 32) + "3:seqi1e5:token1:x1:v1:xe1:q3:put1:t2:aa1:y1:qe", "together"},
		{"nodes not a multiple", "d1:rd" + id + "5:nodes25:" + strings.Repeat("n", 25) + "e1:t2:aa1:y1:re", "multiple of 26"},
		{"long t", "d1:t33:" + strings.Repeat("t", 33) + "1:y1:re", "t of 33"},
		{"y unknown", "d1:t2:aa1:y1:xe", "y is not"},
		{"reply without id", "d1:rde1:t2:aa1:y1:re", "without an id"},
		{"error not a list", "d1:ei201e1:t2:aa1:y1:ee", "e is not a list"},
		{"error code not int", "d1:el3:abc3:defe1:t2:aa1:y1:ee", "not an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			de := refuse(t, tc.msg)
			assert.Contains(t, de.Reason, tc.reason)
		})
	}
	// Over 1,500 bytes: refused unread.
	de := refuse(t, "d1:x1500:"+strings.Repeat("x", 1500)+"e")
	assert.Contains(t, de.Reason, "more than 1500")
}

// A query that is well formed but wrong keeps t, y and q, so that the node
// can answer it with a protocol error.
func TestFaultyQueryKeepsItsTransaction(t *testing.T) {
	var m Msg
	err := Decode([]byte("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe"), &m)
	require.Error(t, err)
	assert.Equal(t, "aa", string(m.T))
	assert.Equal(t, KindQuery, m.Y)
	assert.Equal(t, MethodPing, m.Q)
}

func TestUnknownKeysAndMethodsAreSkipped(t *testing.T) {
	id := "2:id20:" + strings.Repeat("a", 20)
	m := decode(t, "d1:ad"+id+"5:extrald1:xi1eeee1:q10:frobnicate1:t2:aa1:v4:LT011:y1:qe")
	assert.Equal(t, MethodUnknown, m.Q)
	assert.True(t, m.A.HasID)
}

func TestValid(t *testing.T) {
	for _, ok := range []string{"i0e", "0:", "le", "de", "d1:ali1eee", "5:hello"} {
		assert.True(t, Valid([]byte(ok)), ok)
	}
	for _, bad := range []string{"", "i01e", "l", "d1:a", "5:hell", "i1ei2e", strings.Repeat("l", 17) + strings.Repeat("e", 17)} {
		assert.False(t, Valid([]byte(bad)), bad)
	}
}
