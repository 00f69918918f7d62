package dht

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scout-dht/scout/internal/krpc"
)

// Conn is what a node needs of its UDP socket: *net.UDPConn, or a wrapper
// that emulates a network (internal/netsim).
type Conn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	LocalAddr() net.Addr
	SetReadBuffer(bytes int) error
	Close() error
}

// Config configures a Node.
type Config struct {
	// Conn is the node's socket; the node owns it from New on.
	Conn Conn
	// ID is the node id.
	ID ID
	// ReadOnly makes the node read-only (BEP 43): its queries carry "ro"
	// and it answers nothing.
	ReadOnly bool
	// Store bounds what the node keeps for others.
	Store StoreLimits
	// Logger receives diagnostics. Nil: none.
	Logger *slog.Logger
	// Now is the clock of the store, the tokens and the routing table.
	// Nil: time.Now.
	Now func() time.Time
	// Timing sets the intervals of the table's upkeep (zero: BEP 5's).
	Timing Timing
	// Limits bound what any one source may ask of the node.
	Limits Limits
	// SharedStore, when set, is the store to keep items in instead of one
	// of the node's own (Store is then ignored): a dual-stack host's two
	// nodes share one.
	SharedStore *Store
}

// Node is one DHT node. Its methods are safe to call from many goroutines.
type Node struct {
	self     atomic.Pointer[ID] // changes when BEP 42 asks for an id for our address
	conn     Conn
	table    *table
	store    *Store
	tokens   *tokens
	limits   Limits
	external externalVote
	rejoin   atomic.Bool // a rejoin under a new id is under way
	queries  *queryLimiter
	sends    *sendLimiter // nil: no bound
	readOnly bool
	v6       bool                 // the socket's family: IPv6 (BEP 32), else IPv4
	sibling  atomic.Pointer[Node] // the node of the other family, when dual-stack
	log      *slog.Logger
	stats    counters

	mu        sync.Mutex
	txns      map[uint32]*txn
	inFlight  int         // own queries holding a slot
	queue     []*txn      // own queries waiting for a slot, oldest first
	outbox    []*txn      // launched, to be written once n.mu is released
	again     []*txn      // to be written again once n.mu is released
	later     []ended     // queries ended, to be told once n.mu is released
	deadlines txnHeap     // queries in flight, by hard timeout
	timer     *time.Timer // set for the earliest of them
	verifying map[netip.AddrPort]struct{}
	seeds     []Contact
	closed    bool

	loopDone chan struct{}
	// life ends with Close; the upkeep with it.
	life       context.Context
	end        context.CancelFunc
	upkeepDone chan struct{}
	// sink, when set (by the fuzzers), receives the datagrams the node
	// would write.
	sink func(b []byte, to netip.AddrPort)
}

// New starts a node on cfg.Conn: from now on it answers queries.
func New(cfg Config) *Node {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	n := &Node{
		conn:       cfg.Conn,
		table:      newTableTiming(cfg.ID, cfg.Timing, now),
		store:      cfg.SharedStore,
		tokens:     newTokens(now),
		limits:     cfg.Limits.withDefaults(),
		readOnly:   cfg.ReadOnly,
		log:        cfg.Logger,
		txns:       make(map[uint32]*txn),
		verifying:  make(map[netip.AddrPort]struct{}),
		loopDone:   make(chan struct{}),
		upkeepDone: make(chan struct{}),
	}
	if n.store == nil {
		n.store = NewStore(cfg.Store, now)
	}
	id := cfg.ID
	n.self.Store(&id)
	n.v6 = n.Addr().Addr().Is6()
	n.life, n.end = context.WithCancel(context.Background())
	n.queries = newQueryLimiter(n.limits, now)
	if n.limits.SendRate > 0 {
		n.sends = &sendLimiter{rate: n.limits.SendRate, now: now, tokens: n.limits.SendRate, last: now()}
	}
	// A burst (a flood, or the answers to many queries of our own) must
	// not overflow the kernel's default of about 200 KiB, a few hundred
	// datagrams: the kernel would drop legitimate queries and the replies
	// our operations wait for. Linux caps this at net.core.rmem_max; the
	// memory is only used while datagrams wait.
	if err := n.conn.SetReadBuffer(socketBuffer); err != nil {
		n.debug("setting the socket's receive buffer: %v", err)
	}
	go n.readLoop()
	go n.upkeep()
	return n
}

// socketBuffer is the receive buffer a node asks the kernel for.
const socketBuffer = 4 << 20

// ID returns the node's id.
func (n *Node) ID() ID { return *n.self.Load() }

// Addr returns the socket's address.
func (n *Node) Addr() netip.AddrPort {
	if ua, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		return NormAddr(ua.AddrPort())
	}
	return netip.AddrPort{}
}

// IPv6 reports whether the node's socket is an IPv6 one: its table, its
// lookups and its "nodes" are IPv6 (BEP 32's "nodes6").
func (n *Node) IPv6() bool { return n.v6 }

// sameFamily reports whether a is of the family of the node's socket.
func (n *Node) sameFamily(a netip.AddrPort) bool { return a.Addr().Unmap().Is4() != n.v6 }

// want is the families the node asks other nodes for: its own, and the
// sibling's while the sibling has fewer than k good nodes (a dual-stack
// host bootstrapped through one family finds the other's nodes so).
func (n *Node) want() krpc.Want {
	w := krpc.WantN4
	if n.v6 {
		w = krpc.WantN6
	}
	if sib := n.sibling.Load(); sib != nil && sib.table.goodCount() < bucketSize {
		w = krpc.WantN4 | krpc.WantN6
	}
	return w
}

// maxSeeds bounds the seeds a node keeps.
const maxSeeds = 64

// learn takes nodes of this node's family that its sibling heard of, as
// seeds, while the table has fewer than k good nodes.
func (n *Node) learn(compact []byte, size int) {
	if len(compact) == 0 || n.table.goodCount() >= bucketSize {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	krpc.EachNode(compact, size, func(ni krpc.NodeInfo) {
		c := Contact{ID: ni.ID, HasID: true, Addr: NormAddr(ni.Addr)}
		if len(n.seeds) >= maxSeeds || !n.sameFamily(c.Addr) || !c.Addr.IsValid() || c.Addr.Port() == 0 {
			return
		}
		for _, have := range n.seeds {
			if have.Addr == c.Addr {
				return
			}
		}
		n.seeds = append(n.seeds, c)
	})
}

// Pair makes two nodes of one dual-stack host siblings (BEP 32): each
// answers a query's "want" of the other's family from the other's table.
// A nil or same-family other unpairs n.
func (n *Node) Pair(other *Node) {
	if other == nil || other.v6 == n.v6 {
		n.sibling.Store(nil)
		return
	}
	n.sibling.Store(other)
	other.sibling.Store(n)
}

// ReadOnly reports whether the node is read-only (BEP 43).
func (n *Node) ReadOnly() bool { return n.readOnly }

// Store is the node's BEP 44 store.
func (n *Node) Store() *Store { return n.store }

// SetSeeds sets the nodes lookups start from while the routing table
// holds too few: bootstrap nodes, nodes from a state file.
// Seeds of the other family are left out.
func (n *Node) SetSeeds(seeds []Contact) {
	var mine []Contact
	for _, c := range seeds {
		if n.sameFamily(c.Addr) {
			mine = append(mine, c)
		}
	}
	if len(mine) > maxSeeds {
		mine = mine[:maxSeeds]
	}
	n.mu.Lock()
	n.seeds = mine
	n.mu.Unlock()
}

func (n *Node) getSeeds() []Contact {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.seeds)
}

// Close stops the node: every query in flight ends with ErrClosed, the
// socket closes, and the socket loop has ended when Close returns.
// Calling it again does nothing.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		<-n.loopDone
		return
	}
	n.closed = true
	if n.timer != nil {
		n.timer.Stop()
	}
	n.end()
	n.mu.Unlock()
	n.conn.Close()
	<-n.loopDone
	n.closeTransactions()
	<-n.upkeepDone
}

// NodeCount reports how many nodes the routing table holds and how many of
// them are good.
func (n *Node) NodeCount() (nodes, good int) { return n.table.len(), n.table.goodCount() }

// GoodContacts returns every good node of the routing table.
func (n *Node) GoodContacts() []Contact { return n.table.contacts() }

// readLoop reads datagrams until the socket closes. Nothing a datagram
// holds can stop it: each is handled under a recover.
func (n *Node) readLoop() {
	defer close(n.loopDone)
	buf := make([]byte, krpc.MaxDatagram+1)
	var m krpc.Msg
	for {
		size, from, err := n.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			n.debug("reading the socket: %v", err)
			continue
		}
		n.handle(buf[:size], NormAddr(from), &m)
	}
}

// handle takes one datagram: a query is answered, a reply or an error
// completes its transaction, anything else is dropped.
func (n *Node) handle(b []byte, from netip.AddrPort, m *krpc.Msg) {
	defer n.recoverPanic("a datagram")
	n.stats.datagramsIn.Add(1)
	n.stats.bytesIn.Add(uint64(len(b)))
	err := krpc.Decode(b, m)
	if m.Y == krpc.KindQuery && !n.queries.allow(from) {
		n.stats.rateLimited.Add(1)
		return // over its rate: ignored for a while
	}
	if err != nil {
		n.stats.malformed.Add(1)
		if m.Y == krpc.KindQuery && len(m.T) > 0 && !n.readOnly {
			n.answerMalformed(m, from, err)
		}
		return
	}
	switch m.Y {
	case krpc.KindQuery:
		n.answer(m, from)
	default:
		if !n.complete(m, from) {
			n.stats.unexpected.Add(1)
		}
	}
}

// recoverPanic is deferred by every goroutine and callback the node runs:
// a panic is a bug, logged with its stack, and never takes the host
// process down. The fuzzers show none is reached.
func (n *Node) recoverPanic(what string) {
	if r := recover(); r != nil {
		n.stats.panics.Add(1)
		if n.log != nil {
			n.log.Error(fmt.Sprintf("dht: recovered a panic handling %s: %v\n%s", what, r, debug.Stack()))
		}
	}
}

func (n *Node) debug(format string, args ...any) {
	if n.log != nil {
		n.log.Debug(fmt.Sprintf(format, args...))
	}
}

// counters are the node's statistics: atomic, bounded (one per method, not
// per name a stranger chooses).
type counters struct {
	datagramsIn, bytesIn, bytesOut    atomic.Uint64
	malformed, unexpected, sendErrors atomic.Uint64
	timeouts, verifyShed, panics      atomic.Uint64
	resent, rateLimited, sendDropped  atomic.Uint64
	replies, errors, datagramsOut     atomic.Uint64
	queriesIn, queriesOut             [krpc.MethodPut + 1]atomic.Uint64
}

func (c *counters) sent(m krpc.Method) {
	if int(m) < len(c.queriesOut) {
		c.queriesOut[m].Add(1)
	}
}

func (c *counters) received(m krpc.Method) {
	if int(m) < len(c.queriesIn) {
		c.queriesIn[m].Add(1)
	}
}

// Stats is a snapshot of a node's counters.
type Stats struct {
	DatagramsIn, BytesIn, BytesOut    uint64
	Malformed, Unexpected, SendErrors uint64
	Timeouts, VerifyShed, Panics      uint64
	Resent                            uint64 // queries sent again at their retransmission timeout
	RateLimited                       uint64 // queries ignored: their source was over its rate
	SendDropped                       uint64 // datagrams not sent: over Limits.SendRate
	Replies, Errors                   uint64 // replies and KRPC errors to our queries
	DatagramsOut                      uint64
	// The routing table: nodes in it, good ones, questionable ones (not
	// heard from lately, or failed once); the store: items and bytes.
	Nodes, Good, Questionable int
	StoredItems, StoredBytes  int
	// The external address other nodes report (BEP 42; invalid until
	// three agree), and whether our id is a BEP 42 id for it.
	External              netip.Addr
	ExternalSecure        bool
	QueriesIn, QueriesOut map[string]uint64
}

// Stats returns a snapshot of the node's counters.
func (n *Node) Stats() Stats {
	c := &n.stats
	s := Stats{
		DatagramsIn: c.datagramsIn.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		Malformed: c.malformed.Load(), Unexpected: c.unexpected.Load(), SendErrors: c.sendErrors.Load(),
		Timeouts: c.timeouts.Load(), VerifyShed: c.verifyShed.Load(), Panics: c.panics.Load(),
		Resent: c.resent.Load(), RateLimited: c.rateLimited.Load(), SendDropped: c.sendDropped.Load(),
		Replies: c.replies.Load(), Errors: c.errors.Load(), DatagramsOut: c.datagramsOut.Load(),
		QueriesIn: map[string]uint64{}, QueriesOut: map[string]uint64{},
	}
	for m := range c.queriesIn {
		s.QueriesIn[krpc.Method(m).String()] = c.queriesIn[m].Load()
		s.QueriesOut[krpc.Method(m).String()] = c.queriesOut[m].Load()
	}
	s.Nodes, s.Good, s.Questionable = n.table.counts()
	s.StoredItems, s.StoredBytes = n.store.Stats()
	s.External, s.ExternalSecure = n.External()
	return s
}
