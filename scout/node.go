package scout

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	alog "github.com/anacrolix/log"
	"github.com/jackpal/bencode-go"
	"golang.org/x/time/rate"
)

// node is one DHT node: anacrolix/dht's Server sends our queries and matches
// their replies; we answer every query ourselves (OnQuery), from our own
// routing table and our own BEP 44 store.
type node struct {
	id       nodeID
	conn     net.PacketConn
	srv      *dht.Server
	table    *table
	store    *store
	tokens   *tokenServer
	readOnly bool
	log      *slog.Logger

	slots     chan struct{} // one per query in flight
	verifyMu  sync.Mutex
	verifying map[netip.AddrPort]bool
	stopped   chan struct{}
}

// quietDependency silences anacrolix/dht's package-level logger once: it
// prints every malformed packet from the network to stderr, which is no
// place for a library's noise. Our own diagnostics go to Options.Logger.
var quietDependency sync.Once

func newNode(conn net.PacketConn, id nodeID, readOnly bool, st *store, logger *slog.Logger) (*node, error) {
	n := &node{
		id:        id,
		conn:      conn,
		table:     newTable(id),
		store:     st,
		tokens:    newTokenServer(),
		readOnly:  readOnly,
		log:       logger,
		verifying: make(map[netip.AddrPort]bool),
		slots:     make(chan struct{}, maxOutstanding),
		stopped:   make(chan struct{}),
	}
	cfg := dht.NewDefaultServerConfig()
	cfg.Conn = conn
	cfg.NodeId = krpc.ID(id)
	cfg.NoSecurity = true
	cfg.Passive = readOnly // BEP 43: "ro":1 on our queries
	cfg.StartingNodes = func() ([]dht.Addr, error) { return nil, errors.New("scout: no starting nodes") }
	cfg.OnQuery = n.onQuery
	// Our own timeouts (adaptive, per node) end each query through its
	// context; the server's fixed resend delay must never come first.
	cfg.QueryResendDelay = func() time.Duration { return maxHardTimeout + time.Second }
	// The library's default limiter is one global 25 packets/s bucket shared
	// by every server in the process; it silently drops replies.
	cfg.SendLimiter = rate.NewLimiter(rate.Inf, 1)
	quietDependency.Do(func() { alog.Default.Handlers = []alog.Handler{alog.DiscardHandler} })
	cfg.Logger = alog.Default
	srv, err := dht.NewServer(cfg)
	if err != nil {
		return nil, err
	}
	n.srv = srv
	return n, nil
}

func (n *node) close() {
	select {
	case <-n.stopped:
		return
	default:
	}
	close(n.stopped)
	n.srv.Close()
	// The server closes its socket on a goroutine of its own; close it now,
	// so that the port is free when Stop returns.
	n.conn.Close()
}

func (n *node) addr() netip.AddrPort {
	if ua, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		return normAddr(ua.AddrPort())
	}
	return netip.AddrPort{}
}

// errQueryTimeout marks a query that got no answer before its hard timeout.
var errQueryTimeout = errors.New("scout: query timed out")

// maxOutstanding bounds the queries a node has in flight at once. More
// wait for a slot before they are sent, and their timeouts start only then:
// a burst of operations queues instead of timing itself out.
const maxOutstanding = 48

// query sends one query to c and waits for the answer, no longer than the
// node's hard timeout. A node that answers is recorded in the table with its
// round trip; one that times out is marked failed.
func (n *node) query(ctx context.Context, c contact, q string, args krpc.MsgArgs) (*krpc.Msg, error) {
	return n.queryNotify(ctx, c, q, args, nil)
}

// queryNotify is query, calling sent (when set) as the query goes out.
func (n *node) queryNotify(ctx context.Context, c contact, q string, args krpc.MsgArgs, sent func()) (*krpc.Msg, error) {
	select {
	case n.slots <- struct{}{}:
		defer func() { <-n.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if sent != nil {
		sent()
	}
	hard := hardTimeout(n.table.softTimeout(c.Addr))
	qctx, cancel := context.WithTimeout(ctx, hard)
	defer cancel()
	start := time.Now()
	res := n.srv.Query(qctx, dht.NewAddr(net.UDPAddrFromAddrPort(c.Addr)), q, dht.QueryInput{MsgArgs: args, NumTries: 1})
	if res.Err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if qctx.Err() != nil || errors.Is(res.Err, dht.TransactionTimeout) {
			n.table.failed(c.Addr)
			return nil, errQueryTimeout
		}
		return nil, res.Err
	}
	m := res.Reply
	if e := m.Error(); e != nil {
		return &m, *e
	}
	if m.R == nil {
		return nil, errors.New("scout: reply without a response")
	}
	if !m.ReadOnly {
		n.table.responded(nodeID(m.R.ID), c.Addr, time.Since(start))
	}
	return &m, nil
}

// ping asks addr for its id.
func (n *node) ping(ctx context.Context, addr netip.AddrPort) error {
	_, err := n.query(ctx, contact{Addr: addr}, "ping", krpc.MsgArgs{})
	return err
}

// verify pings a node that queried us, once at a time, so that it enters the
// table as a node known to answer.
func (n *node) verify(addr netip.AddrPort) {
	n.verifyMu.Lock()
	if n.verifying[addr] {
		n.verifyMu.Unlock()
		return
	}
	n.verifying[addr] = true
	n.verifyMu.Unlock()
	go func() {
		defer func() {
			n.verifyMu.Lock()
			delete(n.verifying, addr)
			n.verifyMu.Unlock()
		}()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-n.stopped:
				cancel()
			case <-ctx.Done():
			}
		}()
		_ = n.ping(ctx, addr)
	}()
}

// onQuery answers every query. It runs on the server's read loop with the
// server's lock held: it must not call the server, and it must not block.
func (n *node) onQuery(m *krpc.Msg, source net.Addr) bool {
	if n.readOnly {
		return false // BEP 43: a read-only node answers nothing
	}
	ua, ok := source.(*net.UDPAddr)
	if !ok || m.A == nil {
		return true // let the server send its protocol error
	}
	src := normAddr(ua.AddrPort())
	if m.ReadOnly {
		n.table.remove(src)
	} else if n.table.knows(src) {
		n.table.responded(nodeID(m.A.ID), src, 0)
	} else if n.table.hasRoomFor(nodeID(m.A.ID)) {
		n.verify(src)
	}
	args := m.A
	switch m.Q {
	case "ping", "announce_peer":
		n.reply(ua, m.T, map[string]any{})
	case "find_node":
		n.reply(ua, m.T, map[string]any{"nodes": n.compactNodes(nodeID(args.Target))})
	case "get_peers":
		n.reply(ua, m.T, map[string]any{
			"nodes": n.compactNodes(nodeID(args.InfoHash)),
			"token": n.tokens.create(src),
		})
	case "get":
		n.reply(ua, m.T, n.answerGet(args, src))
	case "put":
		if !n.tokens.valid(args.Token, src) {
			n.replyError(ua, m.T, krpc.ErrorCodeProtocolError, "bad token")
			return false
		}
		if err := n.store.putArgs(args); err != nil {
			var ke krpc.Error
			if !errors.As(err, &ke) {
				ke = krpc.Error{Code: krpc.ErrorCodeServerError, Msg: err.Error()}
			}
			n.replyError(ua, m.T, ke.Code, ke.Msg)
			return false
		}
		n.reply(ua, m.T, map[string]any{})
	default:
		return true // the server answers "method unknown"
	}
	return false
}

func (n *node) answerGet(args *krpc.MsgArgs, src netip.AddrPort) map[string]any {
	target := nodeID(args.Target)
	r := map[string]any{
		"nodes": n.compactNodes(target),
		"token": n.tokens.create(src),
	}
	it, ok := n.store.get(target)
	if !ok {
		return r
	}
	if it.mutable {
		r["k"] = string(it.k[:])
		r["seq"] = it.seq
		r["sig"] = string(it.sig[:])
		if args.Seq != nil && it.seq <= *args.Seq {
			return r // the asker has this seq already
		}
	}
	r["v"] = it.value
	return r
}

// compactNodes encodes the 8 good IPv4 nodes closest to target (BEP 5).
func (n *node) compactNodes(target nodeID) string {
	var b []byte
	for _, c := range n.table.closest(target, bucketSize) {
		if !c.Addr.Addr().Is4() {
			continue
		}
		b = append(b, c.ID[:]...)
		ip := c.Addr.Addr().As4()
		b = append(b, ip[:]...)
		b = binary.BigEndian.AppendUint16(b, c.Addr.Port())
	}
	return string(b)
}

func (n *node) reply(to *net.UDPAddr, t string, r map[string]any) {
	r["id"] = string(n.id[:])
	n.send(to, map[string]any{"t": t, "y": "r", "r": r})
}

func (n *node) replyError(to *net.UDPAddr, t string, code int, msg string) {
	n.send(to, map[string]any{"t": t, "y": "e", "e": []any{code, msg}})
}

func (n *node) send(to *net.UDPAddr, msg map[string]any) {
	var buf bytes.Buffer
	if err := bencode.Marshal(&buf, msg); err != nil {
		n.logf("encoding a reply: %v", err)
		return
	}
	if _, err := n.conn.WriteTo(buf.Bytes(), to); err != nil {
		n.logf("replying to %v: %v", to, err)
	}
}

func (n *node) logf(format string, args ...any) {
	if n.log != nil {
		n.log.Debug(fmt.Sprintf(format, args...))
	}
}
