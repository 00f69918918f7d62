//! `scout-dht-sys`: raw declarations of `include/scout.h`, libscout's C
//! interface, written by hand, in the header's order and with its names; and
//! the linking of libscout itself (`links = "scout"`).
//!
//! Everything here mirrors the C header one to one: the `#define`s as
//! constants, `enum scout_status` as an integer type with one constant per
//! value (a C enum received from C may hold a value this file does not
//! know, which a Rust `enum` must never do), the opaque handles as
//! zero-sized `#[repr(C)]` structs that are only ever used behind pointers,
//! the callback typedefs as `Option<unsafe extern "C" fn>` (a NULL callback
//! is `None`), and every function. Array parameters such as
//! `uint8_t key[SCOUT_KEY_SIZE]` decay to pointers in C and are pointers
//! here; the size constants say how many bytes they must point to.
//!
//! The header's documentation is the reference for every item: ownership,
//! threads and errors are described there, not repeated here. The safe
//! crate, `scout-dht` (imported as `scout`), is built on these declarations
//! and re-exports them as `scout::ffi`.
//!
//! # Which library is linked
//!
//! The build script (see its header) links, first match wins:
//!
//! 1. the `libscout.so` in `$SCOUT_LIB_DIR`, when set (e.g. a CMake build
//!    directory);
//! 2. with the `bundled` feature (the default): libscout built from the Go
//!    sources by the build script, as a static archive (`go build
//!    -buildmode=c-archive`), linked into the program: nothing to install,
//!    no `LD_LIBRARY_PATH`, no rpath. It needs Go (1.26 or newer) and a C
//!    compiler;
//! 3. without it: an installed libscout, found through `pkg-config scout`
//!    (the `pkg-config` crate; set `PKG_CONFIG_PATH` for a private prefix).
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::marker::{PhantomData, PhantomPinned};

// ---------------------------------------------------------------------------
// Versions and sizes
// ---------------------------------------------------------------------------

/// The binary interface this file describes: `libscout.so.1`.
pub const SCOUT_ABI_VERSION: c_uint = 1;
/// The library release the header comes with (NUL-terminated, as in C).
pub const SCOUT_VERSION: &[u8] = b"0.2.0\0";

/// X25519 secret, public or shared key.
pub const SCOUT_KEY_SIZE: usize = 32;
/// SHA-1: a DHT target, list head or token.
pub const SCOUT_HASH_SIZE: usize = 20;
/// XSalsa20 nonce in front of a sealed value.
pub const SCOUT_NONCE_SIZE: usize = 24;
/// Nonce + Poly1305 MAC.
pub const SCOUT_SEAL_OVERHEAD: usize = 40;
/// Ed25519 signature.
pub const SCOUT_SIGNATURE_SIZE: usize = 64;
/// Bytes in one entry's value.
pub const SCOUT_MAX_VALUE_SIZE: usize = 255;
/// Entries in one list.
pub const SCOUT_MAX_ENTRIES: usize = 255;
/// List header: u8 count, u8 offset.
pub const SCOUT_ENTRIES_HEADER_SIZE: usize = 2;
/// Entry header: i64 seq, u32 id, 2 reserved, u8 length, u8 offset.
pub const SCOUT_ENTRY_HEADER_SIZE: usize = 16;
/// The largest serialized entry list (255 entries of 255 bytes).
pub const SCOUT_MAX_ENTRIES_SIZE: usize = SCOUT_ENTRIES_HEADER_SIZE
    + SCOUT_MAX_ENTRIES * (SCOUT_ENTRY_HEADER_SIZE + SCOUT_MAX_VALUE_SIZE);
/// Largest sealable plaintext: 956 + 40 = 996.
pub const SCOUT_MAX_PLAINTEXT: usize = 956;
/// `"996:"` + 996 bytes = BEP 44's 1000.
pub const SCOUT_MAX_SEALED_SIZE: usize = 996;
/// Shorter sealed values never open.
pub const SCOUT_MIN_SEALED_SIZE: usize = 41;
/// Message blob header: next hash (20), u16 length, u8 offset.
pub const SCOUT_MESSAGE_HEADER_SIZE: usize = 23;
/// Largest offline message.
pub const SCOUT_MAX_MESSAGE_SIZE: usize = 973;
/// Largest message blob: 23 + 973.
pub const SCOUT_MAX_BLOB_SIZE: usize = 996;
/// A buffer this large holds any address string the library returns, NUL
/// included.
pub const SCOUT_ADDR_STRLEN: usize = 64;
/// A buffer this large holds any text [`scout_last_error`] writes, NUL
/// included.
pub const SCOUT_ERROR_STRLEN: usize = 512;

// ---------------------------------------------------------------------------
// Status codes
// ---------------------------------------------------------------------------

/// `enum scout_status`: what a function or an operation ended with. Values
/// are frozen and only appended; treat unknown ones like
/// [`SCOUT_INTERNAL`].
pub type scout_status = c_int;
/// Success.
pub const SCOUT_OK: scout_status = 0;
/// A NULL pointer, a wrong size, malformed bytes, a low-order public key,
/// or a NULL, freed, stale or wrong-kind handle.
pub const SCOUT_INVALID_ARGUMENT: scout_status = 1;
/// A value, list or message exceeds a wire-format limit.
pub const SCOUT_TOO_LARGE: scout_status = 2;
/// An output buffer is too small; `*len` holds the size needed.
pub const SCOUT_BUFFER_TOO_SMALL: scout_status = 3;
/// No such entry, index, or DHT item.
pub const SCOUT_NOT_FOUND: scout_status = 4;
/// The operation's deadline passed.
pub const SCOUT_TIMEOUT: scout_status = 5;
/// The operation was cancelled by `scout_session_stop` or `_free`.
pub const SCOUT_CANCELLED: scout_status = 6;
/// A sealed value or a signature failed to authenticate.
pub const SCOUT_DECRYPT_FAILED: scout_status = 7;
/// The session is not running, or was already started.
pub const SCOUT_WRONG_STATE: scout_status = 8;
/// The network refused the operation.
pub const SCOUT_NETWORK: scout_status = 9;
/// A bug inside the library (including a recovered Go panic).
pub const SCOUT_INTERNAL: scout_status = 10;
/// Concurrent writers kept replacing each other's write.
pub const SCOUT_CONFLICT: scout_status = 11;

// ---------------------------------------------------------------------------
// Handles and callback types
// ---------------------------------------------------------------------------

/// `scout_entries`: an entry list. Opaque: only used behind pointers.
#[repr(C)]
pub struct scout_entries {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `scout_session`: a DHT node. Opaque: only used behind pointers.
#[repr(C)]
pub struct scout_session {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `scout_swarm`: a loopback swarm. Opaque: only used behind pointers.
#[repr(C)]
pub struct scout_swarm {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `scout_op`: one operation started through a `scout_*_op` function, for
/// cancelling it. Opaque: only used behind pointers.
#[repr(C)]
pub struct scout_op {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `scout_op_options`. Initialize with [`scout_op_options_init`]; zero
/// means "default".
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_op_options {
    /// `sizeof(scout_op_options)`, as set by the `_init` function.
    pub size: usize,
    /// This operation's deadline in milliseconds. 0: the session's.
    pub timeout_ms: u32,
}

/// `SCOUT_LOG_DEBUG`, the numbers of Go's log/slog.
pub const SCOUT_LOG_DEBUG: c_int = -4;
/// `SCOUT_LOG_INFO`.
pub const SCOUT_LOG_INFO: c_int = 0;
/// `SCOUT_LOG_WARN`.
pub const SCOUT_LOG_WARN: c_int = 4;
/// `SCOUT_LOG_ERROR`.
pub const SCOUT_LOG_ERROR: c_int = 8;

/// `scout_log_fn`: one diagnostic line, NUL-terminated, valid during the
/// call.
pub type scout_log_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, level: c_int, message: *const c_char)>;

/// An operation's deadline when `timeout_ms` is 0: 30 s.
pub const SCOUT_DEFAULT_TIMEOUT_MS: u32 = 30000;

/// `enum scout_port_map`: whether a session maps its UDP port on the home
/// router (`scout_session_options.port_map`, an `int`).
pub type scout_port_map = c_int;
/// Map when the session is a full node of the public DHT behind a router
/// (never on loopback or for a test swarm): the default.
pub const SCOUT_PORT_MAP_AUTO: scout_port_map = 0;
/// Map whatever the address and bootstrap list.
pub const SCOUT_PORT_MAP_ON: scout_port_map = 1;
/// Never map.
pub const SCOUT_PORT_MAP_OFF: scout_port_map = 2;

/// `enum scout_families`: which DHTs a session joins
/// (`scout_session_options.families`, an `int`). Values are frozen.
pub type scout_families = c_int;
/// Both when the listen address's host is empty and IPv6 can be bound,
/// both with `listen_addr6`; otherwise the listen address's family.
pub const SCOUT_FAMILIES_AUTO: scout_families = 0;
/// The IPv4 DHT alone.
pub const SCOUT_FAMILIES_IPV4: scout_families = 1;
/// The IPv6 DHT alone (BEP 32).
pub const SCOUT_FAMILIES_IPV6: scout_families = 2;
/// Both, on one port.
pub const SCOUT_FAMILIES_DUAL_STACK: scout_families = 3;

/// `scout_session_options`. Initialize with [`scout_session_options_init`];
/// zero or NULL means "default" in every field.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_session_options {
    /// `sizeof(scout_session_options)`, as set by the `_init` function.
    pub size: usize,
    /// UDP address to bind, `"host:port"`.
    pub listen_addr: *const c_char,
    /// Comma-separated `"host:port"` nodes to join through. NULL: the
    /// public routers; `""`: none.
    pub bootstrap: *const c_char,
    /// File keeping the node id and good nodes between runs.
    pub state_file: *const c_char,
    /// Deadline of each operation, in milliseconds. 0: [`SCOUT_DEFAULT_TIMEOUT_MS`].
    pub timeout_ms: u32,
    /// Nonzero: announce the node as read-only (BEP 43).
    pub read_only: c_int,
    /// Receives diagnostics.
    pub log: scout_log_fn,
    /// Passed to `log` as its first argument.
    pub log_user: *mut c_void,
    /// The least severe level passed to `log`.
    pub log_level: c_int,
    // Appended after release 0.2.0.
    /// Always 0: 0.2.0's tail padding, where no field can go.
    pub reserved: c_int,
    /// A [`scout_port_map`]; 0 is [`SCOUT_PORT_MAP_AUTO`].
    pub port_map: c_int,
    /// How long a removed entry's tombstone stays in the list, in
    /// milliseconds. 0: 30 days; negative: forever.
    pub tombstone_ttl_ms: i64,
    /// Nonzero: `entry_updated` is also called for removed entries.
    pub show_removed: c_int,
    /// Nonzero: readers put again, byte for byte, what they read.
    pub refresh_on_read: c_int,
    // Appended with scout_session_stats.
    /// A dual-stack session's IPv6 address, `"[host]:port"`.
    pub listen_addr6: *const c_char,
    /// A [`scout_families`]; 0 is [`SCOUT_FAMILIES_AUTO`].
    pub families: c_int,
    /// The bursts of each source's token bucket of queries. 0: 100.
    pub query_burst: u32,
    /// The queries a second each source's bucket refills with. 0: 20.
    pub query_rate: f64,
    /// How long a source over its rate is ignored, in milliseconds. 0: a
    /// minute.
    pub block_ms: u32,
    /// The bytes the node may send a second. 0: no bound.
    pub send_rate: u32,
    /// Nonzero: the limits apply to loopback sources too.
    pub limit_loopback: c_int,
}

/// `scout_entry_updated_fn`: one entry read from the DHT that is new or
/// newer than the local one.
pub type scout_entry_updated_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, id: u32, seq: i64, value: *const u8, len: usize),
>;

/// `scout_finalize_fn`: the merged list just before it is sealed; the
/// handle is valid only during the call and must not be freed.
pub type scout_finalize_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, entries: *mut scout_entries)>;

/// `scout_sync_finished_fn`: completion of [`scout_synchronize`].
pub type scout_sync_finished_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        status: scout_status,
        seq: i64,
        stored: u32,
        failed: u32,
    ),
>;

/// `scout_put_finished_fn`: completion of [`scout_put`]; `hash` points to
/// [`SCOUT_HASH_SIZE`] bytes.
pub type scout_put_finished_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, status: scout_status, hash: *const u8, stored: u32),
>;

/// `scout_get_received_fn`: completion of [`scout_get`]; `next` points to
/// [`SCOUT_HASH_SIZE`] bytes.
pub type scout_get_received_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        status: scout_status,
        msg: *const u8,
        len: usize,
        next: *const u8,
    ),
>;

/// `scout_list_message_fn`: one message of a list walked by
/// [`scout_get_list`].
pub type scout_list_message_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        hash: *const u8,
        msg: *const u8,
        len: usize,
        next: *const u8,
    ),
>;

/// `scout_list_finished_fn`: completion of [`scout_get_list`].
pub type scout_list_finished_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, status: scout_status, count: usize)>;

/// `enum scout_port_protocol`: the protocol that made a port mapping.
/// Values are frozen and only appended.
pub type scout_port_protocol = c_int;
/// No mapping.
pub const SCOUT_PORT_PROTOCOL_NONE: scout_port_protocol = 0;
/// PCP, RFC 6887.
pub const SCOUT_PORT_PROTOCOL_PCP: scout_port_protocol = 1;
/// NAT-PMP, RFC 6886.
pub const SCOUT_PORT_PROTOCOL_NATPMP: scout_port_protocol = 2;
/// UPnP IGD.
pub const SCOUT_PORT_PROTOCOL_UPNP: scout_port_protocol = 3;

/// `scout_swarm_options`. Initialize with [`scout_swarm_options_init`];
/// zero means "default".
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_swarm_options {
    /// `sizeof(scout_swarm_options)`, as set by the `_init` function.
    pub size: usize,
    /// How many nodes. 0: 32.
    pub nodes: u32,
    /// The first node's UDP port. 0: the system chooses every port.
    pub port: u16,
    /// Nonzero: the emulated WAN the fields below describe.
    pub wan: c_int,
    /// Median round trip between two nodes, in milliseconds.
    pub rtt_ms: u32,
    /// Longest round trip, in milliseconds. 0: 500 or 8 × `rtt_ms`.
    pub max_rtt_ms: u32,
    /// Up to this fraction of a datagram's delay is added at random.
    pub jitter: f64,
    /// Probability that a datagram is lost, each way.
    pub loss: f64,
    /// Seeds the delays and the choice of victims.
    pub seed: u64,
    /// How long the nodes keep an item after it was last put, in
    /// milliseconds. 0: 2 hours.
    pub item_ttl_ms: u32,
    // Appended with scout_session_stats.
    /// Always 0: `item_ttl_ms`'s tail padding, where no field can go.
    pub reserved: u32,
    /// Nonzero: the swarm runs on ::1 (an IPv6 DHT).
    pub ipv6: c_int,
}

/// `scout_keep_options`. Initialize with [`scout_keep_options_init`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_keep_options {
    /// `sizeof(scout_keep_options)`, as set by the `_init` function.
    pub size: usize,
    /// The time between two puts, in milliseconds. 0: 30 minutes.
    pub interval_ms: u32,
}

/// `scout_keep_round_fn`: one round of [`scout_keep`] or [`scout_keep_list`].
pub type scout_keep_round_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        status: scout_status,
        seq: i64,
        items: u32,
        stored: u32,
    ),
>;

/// `scout_run_finished_fn`: completion of [`scout_keep`], [`scout_keep_list`]
/// and [`scout_watch`]; `SCOUT_CANCELLED` once stopped.
pub type scout_run_finished_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, status: scout_status)>;

/// `scout_watch_options`. Initialize with [`scout_watch_options_init`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_watch_options {
    /// `sizeof(scout_watch_options)`, as set by the `_init` function.
    pub size: usize,
    /// The time between two looks, in milliseconds. 0: one minute.
    pub interval_ms: u32,
}

/// `scout_entry_removed_fn`: an entry a peer removed, seen by [`scout_watch`].
pub type scout_entry_removed_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, id: u32, seq: i64)>;

/// `scout_watch_changed_fn`: a new version of the watched list.
pub type scout_watch_changed_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, seq: i64, updated: usize, removed: usize)>;

/// `enum scout_query_method`: the KRPC methods [`scout_stats`] counts
/// queries of, the indices of its `queries_in` and `queries_out`. Values
/// are frozen; new ones are appended.
pub type scout_query_method = c_int;
/// `ping`.
pub const SCOUT_QUERY_PING: scout_query_method = 0;
/// `find_node`.
pub const SCOUT_QUERY_FIND_NODE: scout_query_method = 1;
/// `get_peers`.
pub const SCOUT_QUERY_GET_PEERS: scout_query_method = 2;
/// `announce_peer`.
pub const SCOUT_QUERY_ANNOUNCE_PEER: scout_query_method = 3;
/// `get` (BEP 44).
pub const SCOUT_QUERY_GET: scout_query_method = 4;
/// `put` (BEP 44).
pub const SCOUT_QUERY_PUT: scout_query_method = 5;
/// Any other method.
pub const SCOUT_QUERY_UNKNOWN: scout_query_method = 6;
/// The length of `queries_in` and `queries_out`.
pub const SCOUT_QUERY_METHODS: usize = 8;

/// `scout_stats`: a snapshot of a session's statistics
/// ([`scout_session_stats`]). Set `size` to its size before the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct scout_stats {
    /// `sizeof(scout_stats)`, set by the caller.
    pub size: usize,
    /// The IPv4 routing table: every node, the good ones, the questionable ones.
    pub nodes: u32,
    pub good_nodes: u32,
    pub questionable_nodes: u32,
    /// The IPv6 routing table, likewise.
    pub nodes6: u32,
    pub good_nodes6: u32,
    pub questionable_nodes6: u32,
    /// The items the node keeps for others, and their bytes.
    pub stored_items: u64,
    pub stored_bytes: u64,
    /// Queries answered and sent, indexed by [`scout_query_method`].
    pub queries_in: [u64; SCOUT_QUERY_METHODS],
    pub queries_out: [u64; SCOUT_QUERY_METHODS],
    /// Replies, KRPC errors, timeouts and resends of the queries sent.
    pub replies: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub resent: u64,
    /// Datagrams and bytes, each way.
    pub datagrams_in: u64,
    pub datagrams_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Datagrams refused: malformed, over a rate limit, over the send bound.
    pub malformed: u64,
    pub rate_limited: u64,
    pub send_dropped: u64,
    /// The external addresses, NUL-terminated; empty while unknown.
    pub external_addr: [c_char; SCOUT_ADDR_STRLEN],
    pub external_addr6: [c_char; SCOUT_ADDR_STRLEN],
    /// 1 when the node id is a BEP 42 id for that address.
    pub id_secure: c_int,
    pub id_secure6: c_int,
    /// The session's operations by outcome.
    pub ops_ok: u64,
    pub ops_not_found: u64,
    pub ops_timeout: u64,
    pub ops_cancelled: u64,
    pub ops_conflict: u64,
    pub ops_failed: u64,
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

extern "C" {
    // Versions and status codes.
    /// The library's version string, e.g. `"0.2.0"`; static, never NULL.
    pub fn scout_version() -> *const c_char;
    /// The binary interface the library was built with (`SCOUT_ABI_VERSION`).
    pub fn scout_abi_version() -> c_uint;
    /// A static, one-line description of a status; never NULL.
    pub fn scout_strerror(status: scout_status) -> *const c_char;
    /// How many handles (entry lists, sessions, swarms) are alive.
    pub fn scout_handle_count(count: *mut usize) -> scout_status;

    // Keys.
    /// A new X25519 key pair from the system's random source.
    pub fn scout_generate_keypair(secret_key: *mut u8, public_key: *mut u8) -> scout_status;
    /// X25519(secret_key, 9); the secret key is clamped internally.
    pub fn scout_public_key(secret_key: *const u8, public_key: *mut u8) -> scout_status;
    /// The raw X25519 shared secret; a low-order public key is `SCOUT_INVALID_ARGUMENT`.
    pub fn scout_key_exchange(
        secret_key: *const u8,
        peer_public_key: *const u8,
        shared_secret: *mut u8,
    ) -> scout_status;
    /// SHA1 of the ed25519 public key seeded by the shared secret: the pair's BEP 44 target.
    pub fn scout_shared_target(shared_secret: *const u8, target: *mut u8) -> scout_status;
    /// The ed25519 public key seeded by the shared secret (BEP 44's `k`).
    pub fn scout_shared_signing_key(shared_secret: *const u8, public_key: *mut u8) -> scout_status;
    /// Signs `"3:seqi<seq>e1:v"` followed by `bencoded_v` with the key seeded by the shared secret.
    pub fn scout_mutable_sign(
        shared_secret: *const u8,
        seq: i64,
        bencoded_v: *const u8,
        len: usize,
        signature: *mut u8,
    ) -> scout_status;
    /// Verifies a signature made as `scout_mutable_sign` makes it: `SCOUT_OK` or `SCOUT_DECRYPT_FAILED`.
    pub fn scout_mutable_verify(
        public_key: *const u8,
        seq: i64,
        bencoded_v: *const u8,
        len: usize,
        signature: *const u8,
    ) -> scout_status;

    // Entry lists.
    /// Creates an empty entry list.
    pub fn scout_entries_new(out: *mut *mut scout_entries) -> scout_status;
    /// Creates a copy of a list, sharing nothing with it.
    pub fn scout_entries_clone(
        entries: *const scout_entries,
        out: *mut *mut scout_entries,
    ) -> scout_status;
    /// Frees an entry list; NULL and freed handles are ignored.
    pub fn scout_entries_free(entries: *mut scout_entries);
    /// How many entries the list holds.
    pub fn scout_entries_count(entries: *const scout_entries, count: *mut usize) -> scout_status;
    /// Adds or updates an entry, increments its seq and marks it changed.
    pub fn scout_entries_assign(
        entries: *mut scout_entries,
        id: u32,
        value: *const u8,
        len: usize,
        seq: *mut i64,
    ) -> scout_status;
    /// Adds or replaces an entry with exactly this seq and value.
    pub fn scout_entries_set(
        entries: *mut scout_entries,
        id: u32,
        seq: i64,
        value: *const u8,
        len: usize,
    ) -> scout_status;
    /// Looks up the entry with this id.
    pub fn scout_entries_get(
        entries: *const scout_entries,
        id: u32,
        seq: *mut i64,
        value: *mut u8,
        len: *mut usize,
    ) -> scout_status;
    /// Reads the entry at a position, to iterate.
    pub fn scout_entries_at(
        entries: *const scout_entries,
        index: usize,
        id: *mut u32,
        seq: *mut i64,
        value: *mut u8,
        len: *mut usize,
    ) -> scout_status;
    /// Removes the entry with this id.
    pub fn scout_entries_remove(entries: *mut scout_entries, id: u32) -> scout_status;
    /// Serializes the list in the wire format.
    pub fn scout_entries_serialize(
        entries: *const scout_entries,
        buf: *mut u8,
        len: *mut usize,
    ) -> scout_status;
    /// Parses a list in the wire format.
    pub fn scout_entries_parse(
        buf: *const u8,
        len: usize,
        out: *mut *mut scout_entries,
        consumed: *mut usize,
    ) -> scout_status;

    // Sealing.
    /// Seals plaintext under a random nonce: nonce || MAC || ciphertext.
    pub fn scout_seal(
        key: *const u8,
        plaintext: *const u8,
        len: usize,
        sealed: *mut u8,
        sealed_len: *mut usize,
    ) -> scout_status;
    /// Seals with a nonce the caller chooses, for tests and vectors.
    pub fn scout_seal_with_nonce(
        key: *const u8,
        nonce: *const u8,
        plaintext: *const u8,
        len: usize,
        sealed: *mut u8,
        sealed_len: *mut usize,
    ) -> scout_status;
    /// Checks and decrypts a sealed value.
    pub fn scout_open(
        key: *const u8,
        sealed: *const u8,
        len: usize,
        plaintext: *mut u8,
        plaintext_len: *mut usize,
    ) -> scout_status;

    // Offline message lists.
    /// Makes msg the newest message of a list: writes the token, moves the head.
    pub fn scout_list_push_front(
        head: *mut u8,
        msg: *const u8,
        len: usize,
        token: *mut u8,
    ) -> scout_status;
    /// Encodes a message blob: next || u16 length || u8 offset (0) || msg.
    pub fn scout_message_encode(
        next: *const u8,
        msg: *const u8,
        len: usize,
        blob: *mut u8,
        blob_len: *mut usize,
    ) -> scout_status;
    /// Parses a message blob into its message and next hash.
    pub fn scout_message_parse(
        blob: *const u8,
        len: usize,
        msg: *mut u8,
        msg_len: *mut usize,
        next: *mut u8,
    ) -> scout_status;
    /// A blob's DHT target: `SHA1("<len>:" || blob)`.
    pub fn scout_message_hash(blob: *const u8, len: usize, hash: *mut u8) -> scout_status;

    // Sessions.
    /// Sets `opts->size` and every other field to zero (all defaults).
    pub fn scout_session_options_init(opts: *mut scout_session_options) -> scout_status;
    /// Creates a session, not yet started.
    pub fn scout_session_new(
        opts: *const scout_session_options,
        out: *mut *mut scout_session,
    ) -> scout_status;
    /// Binds the socket and joins the DHT; blocks until the node runs.
    pub fn scout_session_start(session: *mut scout_session) -> scout_status;
    /// Stops the node; operations in flight end with `SCOUT_CANCELLED`.
    pub fn scout_session_stop(session: *mut scout_session) -> scout_status;
    /// Stops the session if it runs and frees it; no callback runs after it returns.
    pub fn scout_session_free(session: *mut scout_session);
    /// The address the socket is bound to, NUL-terminated.
    pub fn scout_session_addr(
        session: *const scout_session,
        buf: *mut c_char,
        len: *mut usize,
    ) -> scout_status;
    /// The UDP port the socket is bound to.
    pub fn scout_session_port(session: *const scout_session, port: *mut u16) -> scout_status;

    // Synchronizing an entry list.
    /// Reads, merges, finalizes and writes the entry list two peers share.
    pub fn scout_synchronize(
        session: *mut scout_session,
        shared_secret: *const u8,
        entries: *mut scout_entries,
        entry_updated: scout_entry_updated_fn,
        finalize: scout_finalize_fn,
        finished: scout_sync_finished_fn,
        user: *mut c_void,
    ) -> scout_status;

    // Offline messages.
    /// Stores a message as an immutable item whose next hash is `token`.
    pub fn scout_put(
        session: *mut scout_session,
        token: *const u8,
        msg: *const u8,
        len: usize,
        finished: scout_put_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// Fetches the message stored under a hash.
    pub fn scout_get(
        session: *mut scout_session,
        hash: *const u8,
        received: scout_get_received_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// Walks a message list from its head, newest first.
    pub fn scout_get_list(
        session: *mut scout_session,
        head: *const u8,
        max: usize,
        message: scout_list_message_fn,
        finished: scout_list_finished_fn,
        user: *mut c_void,
    ) -> scout_status;

    // Loopback swarm.
    /// Starts a loopback swarm of DHT nodes on 127.0.0.1.
    pub fn scout_swarm_start(nodes: u32, port: u16, out: *mut *mut scout_swarm) -> scout_status;
    /// The swarm's bootstrap address, NUL-terminated `"127.0.0.1:PORT"`.
    pub fn scout_swarm_bootstrap(
        swarm: *const scout_swarm,
        buf: *mut c_char,
        len: *mut usize,
    ) -> scout_status;
    /// Stops every node of the swarm and frees it.
    pub fn scout_swarm_free(swarm: *mut scout_swarm);

    // Error text and per-operation control.
    /// The cause of the calling thread's last failure, NUL-terminated
    /// (`""` after a success); inside a completion, the completion's.
    pub fn scout_last_error(buf: *mut c_char, len: *mut usize) -> scout_status;
    /// Sets `opts->size` and every other field to zero (all defaults).
    pub fn scout_op_options_init(opts: *mut scout_op_options) -> scout_status;
    /// [`scout_synchronize`] with options and an operation handle.
    pub fn scout_synchronize_op(
        session: *mut scout_session,
        shared_secret: *const u8,
        entries: *mut scout_entries,
        opts: *const scout_op_options,
        op: *mut *mut scout_op,
        entry_updated: scout_entry_updated_fn,
        finalize: scout_finalize_fn,
        finished: scout_sync_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// [`scout_put`] with options and an operation handle.
    pub fn scout_put_op(
        session: *mut scout_session,
        token: *const u8,
        msg: *const u8,
        len: usize,
        opts: *const scout_op_options,
        op: *mut *mut scout_op,
        finished: scout_put_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// [`scout_get`] with options and an operation handle.
    pub fn scout_get_op(
        session: *mut scout_session,
        hash: *const u8,
        opts: *const scout_op_options,
        op: *mut *mut scout_op,
        received: scout_get_received_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// [`scout_get_list`] with options and an operation handle.
    pub fn scout_get_list_op(
        session: *mut scout_session,
        head: *const u8,
        max: usize,
        opts: *const scout_op_options,
        op: *mut *mut scout_op,
        message: scout_list_message_fn,
        finished: scout_list_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// Cancels one operation: its completion comes once, `SCOUT_CANCELLED`.
    pub fn scout_op_cancel(op: *mut scout_op) -> scout_status;
    /// Frees an operation handle; the operation goes on.
    pub fn scout_op_free(op: *mut scout_op);

    // Port mapping and the emulated WAN.
    /// The port mapping the session holds on the router; `SCOUT_NOT_FOUND`
    /// while none. `external`, `internal` and `gateway` point to
    /// [`SCOUT_ADDR_STRLEN`] bytes each; any output may be NULL.
    pub fn scout_session_port_mapping(
        session: *const scout_session,
        protocol: *mut scout_port_protocol,
        external: *mut c_char,
        internal: *mut c_char,
        gateway: *mut c_char,
        lease_s: *mut u32,
    ) -> scout_status;
    /// Sets `opts->size` and every other field to zero (all defaults).
    pub fn scout_swarm_options_init(opts: *mut scout_swarm_options) -> scout_status;
    /// Starts a loopback swarm with options, on the emulated WAN if `wan` is set.
    pub fn scout_swarm_start_opts(
        opts: *const scout_swarm_options,
        out: *mut *mut scout_swarm,
    ) -> scout_status;
    /// Starts a session that is one more node of the swarm (on its WAN).
    pub fn scout_swarm_join(
        swarm: *mut scout_swarm,
        opts: *const scout_session_options,
        out: *mut *mut scout_session,
        index: *mut u32,
    ) -> scout_status;
    /// Kills a fraction of the swarm's nodes; their indices into `indices`.
    pub fn scout_swarm_kill(
        swarm: *mut scout_swarm,
        fraction: f64,
        indices: *mut u32,
        count: *mut usize,
    ) -> scout_status;
    /// Kills one node or brings it back.
    pub fn scout_swarm_set_dead(swarm: *mut scout_swarm, index: u32, dead: c_int) -> scout_status;

    // Keeping, watching, removing.
    /// Sets `opts->size` and every other field to zero (all defaults).
    pub fn scout_keep_options_init(opts: *mut scout_keep_options) -> scout_status;
    /// Keeps the entry list under `shared_secret` alive until cancelled.
    pub fn scout_keep(
        session: *mut scout_session,
        shared_secret: *const u8,
        opts: *const scout_keep_options,
        op: *mut *mut scout_op,
        round: scout_keep_round_fn,
        finished: scout_run_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// Keeps the message list from `head` alive until cancelled.
    pub fn scout_keep_list(
        session: *mut scout_session,
        head: *const u8,
        opts: *const scout_keep_options,
        op: *mut *mut scout_op,
        round: scout_keep_round_fn,
        finished: scout_run_finished_fn,
        user: *mut c_void,
    ) -> scout_status;
    /// The `index`-th thing the session keeps alive; `SCOUT_NOT_FOUND` past
    /// the last. `target` points to [`SCOUT_HASH_SIZE`] bytes; any output
    /// may be NULL.
    pub fn scout_session_kept(
        session: *const scout_session,
        index: usize,
        is_list: *mut c_int,
        target: *mut u8,
        seq: *mut i64,
        rounds: *mut u32,
        last: *mut scout_status,
    ) -> scout_status;
    /// Sets `opts->size` and every other field to zero (all defaults).
    pub fn scout_watch_options_init(opts: *mut scout_watch_options) -> scout_status;
    /// Watches the entry list under `shared_secret` until cancelled.
    pub fn scout_watch(
        session: *mut scout_session,
        shared_secret: *const u8,
        entries: *mut scout_entries,
        opts: *const scout_watch_options,
        op: *mut *mut scout_op,
        entry_updated: scout_entry_updated_fn,
        entry_removed: scout_entry_removed_fn,
        changed: scout_watch_changed_fn,
        finished: scout_run_finished_fn,
        user: *mut c_void,
    ) -> scout_status;

    // Statistics and address families.
    /// Copies the session's statistics to `*out`, whose `size` the caller
    /// sets first.
    pub fn scout_session_stats(
        session: *const scout_session,
        out: *mut scout_stats,
    ) -> scout_status;
    /// The addresses the session listens on, comma-separated, IPv4 first;
    /// `2 * SCOUT_ADDR_STRLEN` bytes always suffice.
    pub fn scout_session_addrs(
        session: *const scout_session,
        buf: *mut c_char,
        len: *mut usize,
    ) -> scout_status;
}
