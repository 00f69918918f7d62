package scout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scout-dht/scout/internal/dht"
)

// maxSyncAttempts bounds how often Synchronize writes while concurrent
// writers keep getting in first.
const maxSyncAttempts = 10

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

	mu      sync.Mutex
	state   sessionState
	node    *dht.Host       // one node per family (dht.Host)
	ctx     context.Context // cancelled by Stop
	cancel  context.CancelFunc
	ops     sync.WaitGroup // operations and background work in flight
	active  atomic.Int64   // operations in flight
	pm      portMapState   // the port mapping on the router (portmap.go)
	keep    keepState      // what Keep and KeepList keep alive (keep.go)
	opStats opCounters     // operations by outcome (stats.go)
}

// NewSession checks opts and returns a session that is not yet started. A
// nil opts.Bootstrap takes the nodes $SCOUT_BOOTSTRAP lists, if any
// (BootstrapEnv), else DefaultBootstrap.
func NewSession(opts Options) (*Session, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout", ErrInvalidArgument)
	}
	if err := opts.PortMap.check(); err != nil {
		return nil, err
	}
	if _, err := opts.listenPlan(); err != nil {
		return nil, err
	}
	if l := opts.Limits; l.QueryRate < 0 || l.QueryBurst < 0 || l.Block < 0 || l.SendRate < 0 || math.IsNaN(l.QueryRate) || math.IsInf(l.QueryRate, 0) {
		return nil, fmt.Errorf("%w: negative or non-finite limits %+v", ErrInvalidArgument, l)
	}
	from := "bootstrap node"
	if opts.Bootstrap == nil {
		if env := BootstrapFromEnv(); env != nil {
			opts.Bootstrap, from = env, BootstrapEnv+" node"
		} else {
			opts.Bootstrap = DefaultBootstrap
		}
	} else {
		// A copy that stays non-nil when empty: "no node", not the default.
		opts.Bootstrap = append(make([]string, 0, len(opts.Bootstrap)), opts.Bootstrap...)
	}
	for _, b := range opts.Bootstrap {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return nil, fmt.Errorf("%w: %s %q: %v", ErrInvalidArgument, from, b, err)
		}
	}
	s := &Session{opts: opts, timeout: opts.Timeout}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
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
	conns, err := s.listen()
	if err != nil {
		s.mu.Unlock()
		if errors.Is(err, ErrInvalidArgument) {
			return err
		}
		return fmt.Errorf("%w: binding the socket: %v", ErrNetwork, err)
	}
	ids, known := s.loadState()
	store := dht.NewStore(dht.StoreLimits(s.opts.Store), nil)
	limits := dht.Limits{
		QueryRate: s.opts.Limits.QueryRate, QueryBurst: float64(s.opts.Limits.QueryBurst),
		Block: s.opts.Limits.Block, SendRate: float64(s.opts.Limits.SendRate),
	}
	if s.opts.Limits.LimitLoopback {
		limits.Exempt = dht.NoExemption
	}
	nodes := make([]*dht.Node, len(conns))
	for i, conn := range conns {
		var sock dht.Conn = conn
		if s.opts.Socket != nil {
			sock = s.opts.Socket(conn)
		}
		id := ids[0]
		if conn.LocalAddr().(*net.UDPAddr).IP.To4() == nil {
			id = ids[1] // the IPv6 node's
		}
		nodes[i] = dht.New(dht.Config{
			Conn:        sock,
			ID:          id,
			ReadOnly:    s.opts.ReadOnly,
			SharedStore: store,
			Limits:      limits,
			Logger:      s.opts.Logger,
		})
	}
	s.node, _ = dht.NewHost(nodes...) // the sockets are one of each family
	s.node.SetSeeds(append(known, s.resolveSeeds()...))
	s.state = stateRunning
	s.mu.Unlock()

	s.startPortMap()
	s.bootstrap(ctx)
	return nil
}

// bootstrap joins the DHT, within the session's timeout.
func (s *Session) bootstrap(ctx context.Context) {
	ctx, cancel := mergeCancel(ctx, s.ctx)
	defer cancel()
	ctx, cancel2 := context.WithTimeout(ctx, s.timeout)
	defer cancel2()
	s.node.Bootstrap(ctx)
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
	s.stopPortMap()
	s.ops.Wait()
	err := s.saveState(s.node)
	s.node.Close()
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
	return s.node.Addr()
}

// Addrs returns the addresses the session's node listens on, the IPv4 one
// first: two for a dual-stack session (BEP 32), none before Start.
func (s *Session) Addrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.node == nil {
		return nil
	}
	var out []netip.AddrPort
	for _, n := range s.node.Nodes() {
		out = append(out, n.Addr())
	}
	return out
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
	return n.NodeCount()
}

// Refresh looks up the session's own id and a random one again, as on
// start: it fills the routing table with nodes that joined since.
func (s *Session) Refresh(ctx context.Context) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	s.node.Bootstrap(ctx)
	return s.opErr(ctx, ctx.Err())
}

// AddNode pings the node at addr ("host:port") and, when it answers, adds
// it to the routing table: for nodes learned out of band, such as the other
// members of a private swarm.
func (s *Session) AddNode(ctx context.Context, addr string) (err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	ap, err := s.resolveNode(addr)
	if err != nil {
		return err
	}
	if err := s.node.Ping(ctx, ap); err != nil {
		return s.opErr(ctx, fmt.Errorf("%w: %s does not answer: %v", ErrNetwork, addr, err))
	}
	return nil
}

// begin registers an operation: it fails when the session is not running,
// and returns a context that ends with the caller's, with Stop, or after the
// session's timeout.
func (s *Session) begin(ctx context.Context) (context.Context, func(), error) {
	return s.beginOp(ctx, true)
}

// beginLong registers an operation that runs until its context ends or
// Stop (Keep, Watch): no timeout of the session's.
func (s *Session) beginLong(ctx context.Context) (context.Context, func(), error) {
	return s.beginOp(ctx, false)
}

func (s *Session) beginOp(ctx context.Context, timeout bool) (context.Context, func(), error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s.mu.Lock()
	if s.state != stateRunning {
		s.mu.Unlock()
		return nil, nil, ErrWrongState
	}
	s.ops.Add(1)
	s.active.Add(1)
	s.mu.Unlock()
	ctx, cancel := mergeCancel(ctx, s.ctx)
	cancelT := func() {}
	if _, ok := ctx.Deadline(); !ok && timeout {
		ctx, cancelT = context.WithTimeout(ctx, s.timeout)
	}
	return ctx, func() { cancelT(); cancel(); s.active.Add(-1); s.ops.Done() }, nil
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
