package scout

import (
	"context"
	"log/slog"
	"time"
)

// DefaultBootstrap lists the public mainline DHT routers a session joins
// through when Options.Bootstrap is nil.
var DefaultBootstrap = []string{
	"router.utorrent.com:6881",
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"dht.libtorrent.org:25401",
}

// Options configure a Session. The zero value means "default" for every field.
type Options struct {
	// ListenAddr is the UDP address to bind, "host:port". Empty: all IPv4
	// interfaces on a random port in the original's range, retried when busy.
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
}

// SyncHandler receives Synchronize's events. Both fields may be nil.
type SyncHandler struct {
	// EntryUpdated is called once for each entry that is new or newer than
	// the local one, after merging, before Finalize.
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

// Session is a DHT node running in the background. Its methods are safe to
// call from many goroutines.
type Session struct {
	// fields in the implementation
}

// NewSession checks opts and returns a session that is not yet started.
func NewSession(opts Options) (*Session, error) { return nil, ErrWrongState }

// Start binds the socket, loads the state file and joins the DHT.
func (s *Session) Start(ctx context.Context) error { return ErrWrongState }

// Stop cancels every operation in flight (each returns ErrCancelled), saves
// the state file and closes the socket. Calling it again does nothing.
func (s *Session) Stop() error { return nil }

// Synchronize reads, merges, finalizes and writes the entry list stored
// under shared.
func (s *Session) Synchronize(ctx context.Context, shared SharedSecret, local *Entries, h SyncHandler) (SyncResult, error) {
	return SyncResult{}, ErrWrongState
}

// Put stores contents as an immutable message whose next hash is token.
func (s *Session) Put(ctx context.Context, token Hash, contents []byte) (PutResult, error) {
	return PutResult{}, ErrWrongState
}

// Get fetches the message stored under hash.
func (s *Session) Get(ctx context.Context, hash Hash) (Message, error) {
	return Message{}, ErrWrongState
}

// GetList walks the list from head, newest first, for at most max messages
// (max <= 0: no limit beyond the list's end).
func (s *Session) GetList(ctx context.Context, head Hash, max int) ([]Message, error) {
	return nil, ErrWrongState
}
