package scout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
)

// DefaultBootstrap lists the public mainline DHT routers a session joins
// through when Options.Bootstrap is nil.
var DefaultBootstrap = []string{
	"router.utorrent.com:6881",
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"dht.libtorrent.org:25401",
}

// The range a session picks its port from when none is given (the dynamic
// ports, 49152–65535), and how often it retries a busy one.
const (
	minRandomPort   = 49152
	maxRandomPort   = 65535
	portTries       = 32
	maxSyncAttempts = 10
)

// DefaultTimeout bounds an operation when Options.Timeout is zero: the one
// home of this default for the Go API, the C ABI, the command and the
// bindings.
const DefaultTimeout = 30 * time.Second

// Options configure a Session. The zero value means "default" for every field.
type Options struct {
	// ListenAddr is the UDP address to bind, "host:port". Empty: all IPv4
	// interfaces on a random port in 49152–65535, retried when busy.
	// A port of 0 lets the system choose.
	ListenAddr string
	// Bootstrap lists "host:port" nodes to join through. Nil means
	// DefaultBootstrap; an empty non-nil slice means none (state file only).
	Bootstrap []string
	// StateFile keeps the node id and good nodes between runs. Empty: none.
	StateFile string
	// Timeout bounds each operation that has no earlier context deadline.
	// Zero: 30 s.
	Timeout time.Duration
	// ReadOnly announces the node as read-only (BEP 43): it asks but never
	// answers, so the swarm does not route through a short-lived node.
	ReadOnly bool
	// Logger receives diagnostics. Nil: nothing is logged.
	Logger *slog.Logger
	// Store bounds what the node keeps for others.
	Store StoreLimits
}

// SyncHandler receives Synchronize's events. Both fields may be nil.
type SyncHandler struct {
	// EntryUpdated is called for each entry that is new, or newer than the
	// local one, as the copies found on the DHT are merged, before Finalize.
	EntryUpdated func(Entry)
	// Finalize is called once with the merged list, which it may change,
	// before the list is sealed and written.
	Finalize func(*Entries)
}

// SyncResult reports a completed Synchronize.
type SyncResult struct {
	Entries *Entries // the list as written
	Seq     int64    // the mutable item's seq as written
	Stored  int      // how many nodes acknowledged the write
	Failed  int      // copies found that failed to open (tampered or foreign)
	Retries int      // writes repeated after a concurrent writer got in first
}

// PutResult reports a completed Put.
type PutResult struct {
	Hash   Hash // the stored item's target: the list's new head
	Stored int  // how many nodes acknowledged the write
}

// Message is one offline message read back from the DHT.
type Message struct {
	Hash     Hash   // the item's target
	Contents []byte // the message
	Next     Hash   // the next (older) message's hash; zero ends the list
}

type sessionState int

const (
	stateNew sessionState = iota
	stateRunning
	stateStopped
)

// Session is a DHT node running in the background. Its methods are safe to
// call from many goroutines.
type Session struct {
	opts    Options
	timeout time.Duration

	mu     sync.Mutex
	state  sessionState
	node   *node
	seeds  []contact
	ctx    context.Context // cancelled by Stop
	cancel context.CancelFunc
	ops    sync.WaitGroup // operations and background work in flight
}

// NewSession checks opts and returns a session that is not yet started.
func NewSession(opts Options) (*Session, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout", ErrInvalidArgument)
	}
	if opts.ListenAddr != "" {
		if _, _, err := net.SplitHostPort(opts.ListenAddr); err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %v", ErrInvalidArgument, opts.ListenAddr, err)
		}
	}
	for _, b := range opts.Bootstrap {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return nil, fmt.Errorf("%w: bootstrap node %q: %v", ErrInvalidArgument, b, err)
		}
	}
	opts.Bootstrap = append([]string(nil), opts.Bootstrap...)
	if opts.Bootstrap == nil {
		opts.Bootstrap = DefaultBootstrap
	}
	s := &Session{opts: opts, timeout: opts.Timeout}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// stateFile is what a session keeps between runs.
type stateFile struct {
	ID    string      `json:"id"`
	Nodes []stateNode `json:"nodes"`
}

type stateNode struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

func (s *Session) loadState() (id nodeID, nodes []contact) {
	rand.Read(id[:])
	if s.opts.StateFile == "" {
		return id, nil
	}
	b, err := os.ReadFile(s.opts.StateFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logf("reading state file: %v", err)
		}
		return id, nil
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		s.logf("state file %s is malformed, starting afresh: %v", s.opts.StateFile, err)
		return id, nil
	}
	if raw, err := hex.DecodeString(st.ID); err == nil && len(raw) == 20 {
		copy(id[:], raw)
	}
	for _, n := range st.Nodes {
		raw, err := hex.DecodeString(n.ID)
		ap, err2 := netip.ParseAddrPort(n.Addr)
		if err != nil || err2 != nil || len(raw) != 20 {
			continue
		}
		c := contact{HasID: true, Addr: normAddr(ap)}
		copy(c.ID[:], raw)
		nodes = append(nodes, c)
	}
	return id, nodes
}

func (s *Session) saveState(n *node) error {
	if s.opts.StateFile == "" {
		return nil
	}
	st := stateFile{ID: hex.EncodeToString(n.id[:]), Nodes: []stateNode{}}
	for _, c := range n.table.contacts() {
		st.Nodes = append(st.Nodes, stateNode{ID: hex.EncodeToString(c.ID[:]), Addr: c.Addr.String()})
	}
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.opts.StateFile), ".scout-state-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.opts.StateFile)
}

// listen binds the UDP socket: the given address, or a random free port in
// the dynamic range.
func (s *Session) listen() (net.PacketConn, error) {
	if s.opts.ListenAddr != "" {
		host, _, _ := net.SplitHostPort(s.opts.ListenAddr)
		network := "udp"
		if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().Is4() || host == "" {
			network = "udp4"
		}
		return net.ListenPacket(network, s.opts.ListenAddr)
	}
	var err error
	for range portTries {
		p, _ := rand.Int(rand.Reader, big.NewInt(maxRandomPort-minRandomPort+1))
		port := minRandomPort + int(p.Int64())
		var conn net.PacketConn
		conn, err = net.ListenPacket("udp4", fmt.Sprintf("0.0.0.0:%d", port))
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, err
}

// resolveSeeds turns the bootstrap list into contacts; names that do not
// resolve are logged and skipped.
func (s *Session) resolveSeeds() []contact {
	var out []contact
	for _, hp := range s.opts.Bootstrap {
		ua, err := net.ResolveUDPAddr("udp4", hp)
		if err != nil {
			s.logf("bootstrap node %s: %v", hp, err)
			continue
		}
		out = append(out, contact{Addr: normAddr(ua.AddrPort())})
	}
	return out
}

// Start binds the socket, loads the state file and joins the DHT: it
// returns once a first lookup of its own id has ended (or ctx is done).
// Only a socket that cannot be bound is an error: if no bootstrap node
// answers, the session runs anyway and keeps trying every few seconds in
// the background, and operations end with ErrNetwork until a node answers.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateNew {
		s.mu.Unlock()
		return fmt.Errorf("%w: Start called twice", ErrWrongState)
	}
	conn, err := s.listen()
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: binding the socket: %v", ErrNetwork, err)
	}
	id, known := s.loadState()
	n, err := newNode(conn, id, s.opts.ReadOnly, newStore(s.opts.Store), s.opts.Logger)
	if err != nil {
		conn.Close()
		s.mu.Unlock()
		return fmt.Errorf("%w: starting the DHT node: %v", ErrNetwork, err)
	}
	s.node = n
	s.seeds = append(known, s.resolveSeeds()...)
	s.state = stateRunning
	s.ops.Add(1)
	s.mu.Unlock()

	s.bootstrap(ctx)
	go s.maintain()
	return nil
}

// bootstrap looks up our own id, which fills the table with our
// neighbourhood, then a random id, for the far buckets.
func (s *Session) bootstrap(ctx context.Context) {
	ctx, cancel := mergeCancel(ctx, s.ctx)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(ctx, s.timeout)
	defer cancel2()
	s.findNode(ctx, s.node.id)
	if s.node.table.len() == 0 {
		return // nobody answered: maintain tries again
	}
	var r nodeID
	rand.Read(r[:])
	s.findNode(ctx, r)
}

func (s *Session) findNode(ctx context.Context, target nodeID) {
	_, err := s.node.lookup(ctx, lookupSpec{
		target: target,
		q:      "find_node",
		args:   krpc.MsgArgs{Target: krpc.ID(target), Want: []krpc.Want{krpc.WantNodes}},
	}, s.seeds)
	if err != nil {
		s.logf("lookup of %x: %v", target, err)
	}
}

// maintain keeps the table filled: it rejoins when too few good nodes are
// left and refreshes the neighbourhood now and then.
func (s *Session) maintain() {
	defer s.ops.Done()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		if s.node.table.goodCount() < bucketSize || time.Since(last) > 10*time.Minute {
			s.bootstrap(context.Background())
			last = time.Now()
		}
	}
}

// Stop cancels every operation in flight (each returns ErrCancelled), saves
// the state file and closes the socket. Calling it again does nothing.
func (s *Session) Stop() error {
	s.mu.Lock()
	if s.state != stateRunning {
		s.state = stateStopped
		s.mu.Unlock()
		s.cancel()
		return nil
	}
	s.state = stateStopped
	s.mu.Unlock()
	s.cancel()
	s.ops.Wait()
	err := s.saveState(s.node)
	s.node.close()
	if err != nil {
		// The path the caller gave cannot be written: their argument.
		return fmt.Errorf("%w: saving the state file %s: %v", ErrInvalidArgument, s.opts.StateFile, err)
	}
	return nil
}

// Addr returns the bound UDP address once started.
func (s *Session) Addr() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.node == nil {
		return netip.AddrPort{}
	}
	return s.node.addr()
}

// NodeCount reports how many nodes the routing table holds and how many of
// them are good.
func (s *Session) NodeCount() (nodes, good int) {
	s.mu.Lock()
	n := s.node
	s.mu.Unlock()
	if n == nil {
		return 0, 0
	}
	return n.table.len(), n.table.goodCount()
}

// begin registers an operation: it fails when the session is not running,
// and returns a context that ends with the caller's, with Stop, or after the
// session's timeout.
func (s *Session) begin(ctx context.Context) (context.Context, func(), error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		return nil, nil, ErrWrongState
	}
	s.ops.Add(1)
	s.mu.Unlock()
	ctx, cancel := mergeCancel(ctx, s.ctx)
	cancelT := func() {}
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancelT = context.WithTimeout(ctx, s.timeout)
	}
	return ctx, func() { cancelT(); cancel(); s.ops.Done() }, nil
}

// mergeCancel returns a context that ends when either parent ends.
func mergeCancel(ctx, other context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(other, cancel)
	return ctx, func() { stop(); cancel() }
}

// opErr turns a context's end into the session's error kinds.
func (s *Session) opErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case s.ctx.Err() != nil:
		return fmt.Errorf("%w: session stopped", ErrCancelled)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%w: %v", ErrCancelled, err)
	}
	return err
}

func (s *Session) logf(format string, args ...any) {
	if s.opts.Logger != nil {
		s.opts.Logger.Debug(fmt.Sprintf(format, args...))
	}
}

// Refresh looks up the session's own id and a random one again, as on
// start: it fills the routing table with nodes that joined since.
func (s *Session) Refresh(ctx context.Context) error {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	s.bootstrap(ctx)
	return s.opErr(ctx, ctx.Err())
}

// AddNode pings the node at addr ("host:port") and, when it answers, adds
// it to the routing table: for nodes learned out of band, such as the other
// members of a private swarm.
func (s *Session) AddNode(ctx context.Context, addr string) error {
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return fmt.Errorf("%w: node address %q: %v", ErrInvalidArgument, addr, err)
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := s.node.ping(ctx, normAddr(ua.AddrPort())); err != nil {
		return s.opErr(ctx, fmt.Errorf("%w: %s does not answer: %v", ErrNetwork, addr, err))
	}
	return nil
}
