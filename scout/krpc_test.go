package scout_test

// Raw KRPC against our nodes: malformed packets and bad queries get a clear
// error or nothing, and never break the node.

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/jackpal/bencode-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
)

// rawClient sends raw packets to one node and reads its answers.
type rawClient struct {
	t    *testing.T
	conn net.PacketConn
	to   net.Addr
}

func newRawClient(t *testing.T, to string) *rawClient {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	addr, err := net.ResolveUDPAddr("udp4", to)
	require.NoError(t, err)
	return &rawClient{t: t, conn: conn, to: addr}
}

func (c *rawClient) send(b []byte) {
	_, err := c.conn.WriteTo(b, c.to)
	require.NoError(c.t, err)
}

func (c *rawClient) query(msg map[string]any) {
	var buf bytes.Buffer
	require.NoError(c.t, bencode.Marshal(&buf, msg))
	c.send(buf.Bytes())
}

// answer waits up to d for the answer to transaction t (the node's own
// queries, such as the ping with which it checks a new contact, and answers
// to other transactions are skipped); nil when none came.
func (c *rawClient) answer(t string, d time.Duration) map[string]any {
	c.conn.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		n, _, err := c.conn.ReadFrom(buf)
		if err != nil {
			return nil
		}
		v, err := bencode.Decode(bytes.NewReader(buf[:n]))
		require.NoError(c.t, err)
		m, ok := v.(map[string]any)
		require.True(c.t, ok)
		if m["y"] != "q" && m["t"] == t {
			return m
		}
	}
}

func errorCode(t *testing.T, m map[string]any) int64 {
	t.Helper()
	require.NotNil(t, m, "no answer")
	require.Equal(t, "e", m["y"], "%v", m)
	e := m["e"].([]any)
	return e[0].(int64)
}

var id20 = string(bytes.Repeat([]byte{7}, 20))

func TestMalformedPacketsAreSurvived(t *testing.T) {
	sw := swarm64(t)
	target := sw.Sessions()[9]
	c := newRawClient(t, target.Addr().String())

	for _, junk := range [][]byte{
		{}, {0}, []byte("x"), []byte("d"), []byte("de"), []byte("d1:t"), []byte("d1:ti99999999999e"),
		[]byte("d1:y1:q1:q4:ping1:t2:aa1:ad2:id3:abcee"), // short id
		[]byte("l1:ae"), []byte("i42e"), []byte("99999999999:x"),
		bytes.Repeat([]byte("l"), 5000),
		append([]byte("d1:ad2:id20:"), bytes.Repeat([]byte{1}, 30)...),
	} {
		c.send(junk)
	}

	// A query without arguments, a get without a target, a put with a bad
	// token, an unknown method: each gets a KRPC error.
	c.query(map[string]any{"t": "a1", "y": "q", "q": "find_node"})
	assert.Equal(t, int64(203), errorCode(t, c.answer("a1", time.Second)))

	c.query(map[string]any{"t": "a2", "y": "q", "q": "put", "a": map[string]any{"id": id20, "token": "forged", "v": "hello"}})
	assert.Equal(t, int64(203), errorCode(t, c.answer("a2", time.Second)))

	c.query(map[string]any{"t": "a3", "y": "q", "q": "frobnicate", "a": map[string]any{"id": id20}})
	assert.Equal(t, int64(204), errorCode(t, c.answer("a3", time.Second)))

	// A get hands out a token that a put may then use; a put of a value
	// over 1000 bytes is refused with 205.
	c.query(map[string]any{"t": "a4", "y": "q", "q": "get", "a": map[string]any{"id": id20, "target": id20}})
	r := c.answer("a4", time.Second)
	require.NotNil(t, r)
	require.Equal(t, "r", r["y"])
	token := r["r"].(map[string]any)["token"].(string)
	nodes := r["r"].(map[string]any)["nodes"].(string)
	assert.Equal(t, 0, len(nodes)%26)
	assert.NotEmpty(t, nodes)
	c.query(map[string]any{"t": "a5", "y": "q", "q": "put", "a": map[string]any{"id": id20, "token": token, "v": string(make([]byte, 1001))}})
	assert.Equal(t, int64(205), errorCode(t, c.answer("a5", time.Second)))
	c.query(map[string]any{"t": "a6", "y": "q", "q": "put", "a": map[string]any{"id": id20, "token": token, "v": "fine"}})
	ok := c.answer("a6", time.Second)
	require.NotNil(t, ok)
	assert.Equal(t, "r", ok["y"], "%v", ok)

	// The node still works.
	ctx := context.Background()
	put, err := target.Put(ctx, scout.Hash{}, []byte("still alive"))
	require.NoError(t, err)
	got, err := sw.Sessions()[10].Get(ctx, put.Hash)
	require.NoError(t, err)
	assert.Equal(t, "still alive", string(got.Contents))
}

// TestReadOnlyNodeAnswersNothing: a read-only session (BEP 43) does not
// answer queries, and its own queries carry "ro".
func TestReadOnlyNodeAnswersNothing(t *testing.T) {
	sw := swarm64(t)
	ro := newPeer(t, sw, scout.Options{ReadOnly: true})
	c := newRawClient(t, ro.Addr().String())
	c.query(map[string]any{"t": "p1", "y": "q", "q": "ping", "a": map[string]any{"id": id20}})
	assert.Nil(t, c.answer("p1", 300*time.Millisecond))

	// It still reads and writes through the swarm.
	put, err := ro.Put(context.Background(), scout.Hash{}, []byte("from a read-only node"))
	require.NoError(t, err)
	_, err = sw.Sessions()[1].Get(context.Background(), put.Hash)
	require.NoError(t, err)

	full := newPeer(t, sw, scout.Options{})
	c2 := newRawClient(t, full.Addr().String())
	c2.query(map[string]any{"t": "p2", "y": "q", "q": "ping", "a": map[string]any{"id": id20}})
	r := c2.answer("p2", time.Second)
	require.NotNil(t, r)
	assert.Equal(t, "r", r["y"])
}
