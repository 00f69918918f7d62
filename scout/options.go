package scout

import (
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultBootstrap lists the public mainline DHT routers a session joins
// through when Options.Bootstrap is nil and $SCOUT_BOOTSTRAP lists no node.
var DefaultBootstrap = []string{
	"router.utorrent.com:6881",
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"dht.libtorrent.org:25401",
}

// DefaultTimeout bounds an operation when Options.Timeout is zero: the one
// home of this default for the Go API, the C ABI, the command and the
// bindings.
const DefaultTimeout = 30 * time.Second

// Options configure a Session. The zero value means "default" for every field.
type Options struct {
	// ListenAddr is the UDP address to bind, "host:port". Empty: all
	// interfaces on a random port in 49152–65535, retried when busy.
	// A port of 0 lets the system choose. Its host says the family (see
	// Families): "127.0.0.1:0" is IPv4, "[::1]:0" IPv6, ":6881" or empty
	// both where the machine has IPv6.
	ListenAddr string
	// ListenAddr6 is the IPv6 address of a dual-stack session, when
	// ListenAddr is an IPv4 one: "[::1]:0". Empty: all IPv6 interfaces on
	// ListenAddr's port. Setting it makes FamiliesAuto dual-stack.
	ListenAddr6 string
	// Families chooses the DHTs the node joins: IPv4, IPv6 (BEP 32) or
	// both, a node and a routing table each, sharing one store. Zero:
	// FamiliesAuto.
	Families Families
	// Limits bound what any one source may ask of the node, and
	// optionally the bytes it sends. The zero value means the defaults,
	// which a public node can live with (see Limits).
	Limits Limits
	// Bootstrap lists "host:port" nodes to join through. Nil means the
	// nodes $SCOUT_BOOTSTRAP lists (BootstrapEnv), else DefaultBootstrap;
	// an empty non-nil slice means none (state file only).
	Bootstrap []string
	// StateFile keeps the node id and good nodes between runs. Empty: none.
	StateFile string
	// Timeout bounds each operation that has no earlier context deadline.
	// Zero: DefaultTimeout.
	Timeout time.Duration
	// ReadOnly announces the node as read-only (BEP 43): it asks but never
	// answers, so the swarm does not route through a short-lived node.
	ReadOnly bool
	// Logger receives diagnostics. Nil: nothing is logged.
	Logger *slog.Logger
	// Store bounds what the node keeps for others.
	Store StoreLimits
	// PortMap says whether to map the node's UDP port on the home router
	// (PCP, NAT-PMP or UPnP IGD; see PortMapAuto for the default rule).
	PortMap PortMap
	// Socket, when set, is given the bound UDP socket and returns the one
	// the node is to use instead: for emulating a network (scout/swarm's
	// WAN model) and for tests. Nil: the socket itself.
	Socket func(*net.UDPConn) PacketConn
	// ShowRemoved makes the session report removals: SyncHandler's and
	// WatchHandler's EntryUpdated are also called for tombstones (an entry
	// whose Removed is set and whose value is empty). By default they are
	// hidden, as the lists hide them (Entries.Removed lists them).
	ShowRemoved bool
	// TombstoneTTL is how long a removed entry's tombstone stays in the
	// list: Synchronize leaves out of what it writes the tombstones removed
	// longer ago. A peer that has not synchronized for longer may bring
	// the entry back. Zero: DefaultTombstoneTTL; negative: forever.
	TombstoneTTL time.Duration
	// RefreshOnRead makes readers keep alive what they read: Get and
	// GetList re-put each message they read, Read and Watch the entry list
	// (Watch at most once per KeepOptions' default interval), byte for
	// byte, to the closest nodes that answered, in the background.
	RefreshOnRead bool
}

// Families is which DHTs a session joins (BEP 32: the IPv4 and the IPv6
// DHT are two DHTs, with their own nodes).
type Families int

const (
	// FamiliesAuto: both when ListenAddr's host is empty (":6881", or
	// ListenAddr empty) and an IPv6 socket can be bound on the port,
	// both when ListenAddr6 is set; otherwise the family of ListenAddr's
	// host.
	FamiliesAuto Families = iota
	// IPv4Only: the IPv4 DHT alone.
	IPv4Only
	// IPv6Only: the IPv6 DHT alone.
	IPv6Only
	// DualStack: both, an IPv4 and an IPv6 socket on one port (or
	// ListenAddr6's); every put is written to both DHTs' closest nodes and
	// every get asks both.
	DualStack
)

func (f Families) String() string {
	switch f {
	case FamiliesAuto:
		return "auto"
	case IPv4Only:
		return "ipv4"
	case IPv6Only:
		return "ipv6"
	case DualStack:
		return "dual-stack"
	}
	return "Families(" + strconv.Itoa(int(f)) + ")"
}

// Limits bound what any one source may ask of a node. The zero value
// means the defaults.
type Limits struct {
	// QueryRate and QueryBurst are each source's token bucket of queries
	// (a source is an IPv4 address or an IPv6 /64). Zero: 20 a second,
	// bursts of 100.
	QueryRate  float64
	QueryBurst int
	// Block is how long a source over its rate is ignored. Zero: a minute.
	Block time.Duration
	// SendRate bounds the bytes the node sends a second (the original
	// libscout ran at 8,000). Zero: no bound.
	SendRate int
	// LimitLoopback applies the limits to loopback sources too, which
	// are exempt by default (a test swarm is all on 127.0.0.1).
	LimitLoopback bool
}

// DefaultTombstoneTTL is how long a tombstone stays in the list when
// Options.TombstoneTTL is zero: 30 days.
const DefaultTombstoneTTL = 30 * 24 * time.Hour

// PacketConn is what a session's node needs of its UDP socket, as
// *net.UDPConn provides it (Options.Socket).
type PacketConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	LocalAddr() net.Addr
	SetReadBuffer(bytes int) error
	Close() error
}

// StoreLimits bound what a node keeps for others. The zero value means the
// defaults.
type StoreLimits struct {
	MaxItems int           // zero: 10000
	MaxBytes int           // zero: 16 MiB, counting each item's whole footprint
	TTL      time.Duration // zero: 2 hours (BEP 44's suggestion)
	// PerSource bounds the items one source (an IP address; on loopback,
	// an address and port) may have stored at once: a source over it
	// replaces its own oldest, so that a flood never evicts what others
	// stored. Zero: a 64th of MaxItems, at least 32. Loopback sources are
	// exempt.
	PerSource int
}

// BootstrapEnv names the environment variable that replaces DefaultBootstrap:
// "host:port[,host:port...]". A session whose Options.Bootstrap is nil joins
// through the nodes it lists, when it lists any. The front ends (the C ABI,
// the bindings, the command) leave Bootstrap nil when their user sets none,
// so the variable reaches a program that cannot choose its bootstrap, such
// as one written against the original libscout, which had no such option.
const BootstrapEnv = "SCOUT_BOOTSTRAP"

// SplitNodes splits a comma-separated "host:port" list, trimming spaces and
// dropping empty items; a list of no node gives an empty, non-nil slice.
// It does not check the items (NewSession does).
func SplitNodes(list string) []string {
	nodes := []string{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// BootstrapFromEnv returns the nodes $SCOUT_BOOTSTRAP lists, or nil when it
// is unset or lists none.
func BootstrapFromEnv() []string {
	nodes := SplitNodes(os.Getenv(BootstrapEnv))
	if len(nodes) == 0 {
		return nil
	}
	return nodes
}
