package scout_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// swarmIPv6 starts a swarm on ::1, or skips where the machine has no IPv6.
func swarmIPv6(t *testing.T, nodes int) *swarm.Swarm {
	t.Helper()
	if testing.Short() {
		t.Skip("swarm tests are not short")
	}
	sw, err := swarm.Start(context.Background(), swarm.Options{Nodes: nodes, IPv6: true})
	if err != nil && !hasIPv6() {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { sw.Close() })
	return sw
}

func hasIPv6() bool {
	s, err := scout.NewSession(scout.Options{ListenAddr: "[::1]:0", Bootstrap: []string{}})
	if err != nil {
		return false
	}
	defer s.Stop()
	return s.Start(context.Background()) == nil
}

// TestIPv6Session: sessions on an IPv6 swarm put, get and synchronize as
// on IPv4 (BEP 32); the bootstrap is "[::1]:PORT"; the stats show an
// IPv6 table only.
func TestIPv6Session(t *testing.T) {
	sw := swarmIPv6(t, 32)
	boot := sw.Bootstrap()
	require.Regexp(t, `^\[::1\]:\d+$`, boot)
	a := newPeer(t, sw, scout.Options{ListenAddr: "[::1]:0"})
	b := newPeer(t, sw, scout.Options{ListenAddr: "[::1]:0"})
	assert.True(t, a.Addr().Addr().Is6())
	ctx := context.Background()
	put, err := a.Put(ctx, scout.Hash{}, []byte("over IPv6"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, put.Stored, 5)
	m, err := b.Get(ctx, put.Hash)
	require.NoError(t, err)
	assert.Equal(t, "over IPv6", string(m.Contents))

	ask, _, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	_, bpk, err := scout.GenerateKeyPair()
	require.NoError(t, err)
	shared, err := scout.KeyExchange(ask, bpk)
	require.NoError(t, err)
	l := scout.NewEntries()
	err = l.Set(scout.Entry{ID: 7, Seq: 1, Value: []byte("v6")})
	require.NoError(t, err)
	_, err = a.Synchronize(ctx, shared, l, scout.SyncHandler{})
	require.NoError(t, err)
	r, err := b.Read(ctx, shared)
	require.NoError(t, err)
	e, ok := r.Entries.Get(7)
	require.True(t, ok)
	assert.Equal(t, "v6", string(e.Value))

	st := a.Stats()
	assert.Zero(t, st.Nodes, "no IPv4 table")
	assert.GreaterOrEqual(t, st.GoodNodes6, 8)
	assert.Equal(t, st.Nodes6, st.GoodNodes6+st.QuestionableNodes6)

	// An IPv4 node address means nothing to an IPv6 session.
	assert.ErrorIs(t, a.AddNode(ctx, "127.0.0.1:1"), scout.ErrInvalidArgument)
	assert.NoError(t, a.AddNode(ctx, sw.Addrs()[3].String()))
}

// TestDualStackSession: a dual-stack session on 127.0.0.1 and ::1, joined
// to an IPv4 and an IPv6 swarm, writes to both DHTs, so that a reader on
// either finds what it wrote; its state file keeps an id per family and
// the nodes of both.
func TestDualStackSession(t *testing.T) {
	sw6 := swarmIPv6(t, 24)
	sw4 := swarm64(t)
	state := filepath.Join(t.TempDir(), "state.json")
	d := newPeer(t, sw4, scout.Options{
		ListenAddr: "127.0.0.1:0", ListenAddr6: "[::1]:0",
		Bootstrap: []string{sw4.Bootstrap(), sw6.Bootstrap()}, StateFile: state,
	})
	st := d.Stats()
	assert.GreaterOrEqual(t, st.GoodNodes, 8)
	assert.GreaterOrEqual(t, st.GoodNodes6, 8)
	ctx := context.Background()
	put, err := d.Put(ctx, scout.Hash{}, []byte("both"))
	require.NoError(t, err)
	for _, r := range []*scout.Session{sw4.Sessions()[5], sw6.Sessions()[5]} {
		m, err := r.Get(ctx, put.Hash)
		require.NoError(t, err, "read from %v", r.Addr())
		assert.Equal(t, "both", string(m.Contents))
	}
	require.NoError(t, d.Stop())
	var file struct {
		ID, ID6 string
		Nodes   []struct{ Addr string }
	}
	b, err := os.ReadFile(state)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &file))
	assert.Len(t, file.ID, 40)
	assert.Len(t, file.ID6, 40)
	fams := map[bool]int{}
	for _, n := range file.Nodes {
		fams[netip.MustParseAddrPort(n.Addr).Addr().Is6()]++
	}
	assert.Positive(t, fams[true])
	assert.Positive(t, fams[false])
}

// TestFamiliesOptions: the families follow the listen address unless
// chosen; what cannot be is refused.
func TestFamiliesOptions(t *testing.T) {
	bad := []scout.Options{
		{ListenAddr: "[::1]:0", Families: scout.IPv4Only},
		{ListenAddr: "127.0.0.1:0", Families: scout.IPv6Only},
		{ListenAddr: "[::1]:0", Families: scout.DualStack},
		{ListenAddr: "[::1]:0", ListenAddr6: "[::1]:0"},
		{ListenAddr6: "127.0.0.1:0"},
		{ListenAddr6: "::1"},
		{Families: scout.Families(9)},
		{ListenAddr: "127.0.0.1:99999"},
		{Limits: scout.Limits{QueryRate: -1}},
		{Limits: scout.Limits{SendRate: -1}},
	}
	for _, o := range bad {
		_, err := scout.NewSession(o)
		assert.ErrorIs(t, err, scout.ErrInvalidArgument, "%+v", o)
	}
	for _, c := range []struct {
		opts   scout.Options
		v4, v6 bool
	}{
		{scout.Options{ListenAddr: "127.0.0.1:0"}, true, false},
		{scout.Options{ListenAddr: "[::1]:0"}, false, true},
		{scout.Options{ListenAddr: "127.0.0.1:0", ListenAddr6: "[::1]:0"}, true, true},
		{scout.Options{ListenAddr: ":0", Families: scout.IPv4Only}, true, false},
		{scout.Options{ListenAddr: ":0", Families: scout.IPv6Only}, false, true},
		{scout.Options{ListenAddr: ":0"}, true, hasIPv6()},
		{scout.Options{Families: scout.DualStack}, true, true},
	} {
		c.opts.Bootstrap = []string{}
		c.opts.Timeout = time.Second
		s, err := scout.NewSession(c.opts)
		require.NoError(t, err)
		if c.v6 && !hasIPv6() {
			continue
		}
		require.NoError(t, s.Start(context.Background()), "%+v", c.opts)
		addr := s.Addr()
		assert.Equal(t, !c.v4, addr.Addr().Is6(), "%+v: the first socket is the IPv4 one when there is one", c.opts)
		assert.Equal(t, c.v4 && c.v6, len(s.Addrs()) == 2, "%+v", c.opts)
		if as := s.Addrs(); len(as) == 2 && c.opts.ListenAddr6 == "" {
			assert.Equal(t, as[0].Port(), as[1].Port(), "one port for both families")
		}
		require.NoError(t, s.Stop())
	}
}
