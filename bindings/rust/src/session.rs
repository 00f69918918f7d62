//! Sessions: a DHT node, its options, and the network operations with
//! their callback trampolines.
//!
//! Every operation is started with a `user` pointer that is an
//! `Arc::into_raw` of the operation's state. The library calls the
//! operation's completion exactly once (never if the operation fails to
//! start, in which case the starter takes the reference back), so the
//! completion trampoline owns that reference and releases it. The other
//! callbacks of an operation (entry updates, finalize, list messages) run
//! before its completion, but one of them may free the session, which
//! delivers the completion nested inside it: so they take a reference of
//! their own for the length of the call. The same holds for the log
//! state, whose reference the session holds until `scout_session_free`
//! returns.
//!
//! Every trampoline runs its body inside `catch_unwind`: no panic, the
//! user's or ours, unwinds into C. User closures are taken out of their
//! mutex before they run, so that a nested callback never waits for a
//! lock its caller holds.
use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::entries::{Entries, EntriesMut, Entry};
use crate::stats::{Families, Limits, Stats};
use crate::{check, check_abi, ffi, Error, ErrorCode, Hash, Key, Result, HASH_SIZE};

/// How long a blocking call waits beyond the session's operation timeout
/// before it gives up on the completion (which the library delivers at the
/// deadline anyway).
const WAIT_GRACE: Duration = Duration::from_secs(10);

/// The library's default operation timeout (`timeout_ms` 0).
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(ffi::SCOUT_DEFAULT_TIMEOUT_MS as u64);

/// A caught panic's payload.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

// ---------------------------------------------------------------------------
// Results of operations
// ---------------------------------------------------------------------------

/// What a synchronize wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    /// The mutable item's sequence number as written.
    pub seq: i64,
    /// How many DHT nodes acknowledged the write.
    pub stored: u32,
    /// How many copies found on the DHT did not open (tampered, or written
    /// by someone else).
    pub failed: u32,
    /// The entries read from the DHT that were new or newer than the local
    /// ones, in the order the library reported them.
    pub updated: Vec<Entry>,
}

/// What a put stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The stored item's target: the list's new head.
    pub hash: Hash,
    /// How many DHT nodes acknowledged it.
    pub stored: u32,
}

/// An offline message read from the DHT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where it is stored (its DHT target).
    pub hash: Hash,
    /// The message.
    pub body: Vec<u8>,
    /// The hash of the next (older) message; 20 zero bytes at the list's
    /// end.
    pub next: Hash,
}

impl Message {
    /// Whether this is the oldest message of its list.
    pub fn is_last(&self) -> bool {
        self.next == [0u8; HASH_SIZE]
    }
}

// ---------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------

/// Severity of a diagnostic line (the numbers of Go's log/slog).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `SCOUT_LOG_DEBUG`.
    Debug,
    /// `SCOUT_LOG_INFO`.
    Info,
    /// `SCOUT_LOG_WARN`.
    Warn,
    /// `SCOUT_LOG_ERROR`.
    Error,
}

impl LogLevel {
    /// The library's number for the level.
    pub fn to_raw(self) -> c_int {
        match self {
            LogLevel::Debug => ffi::SCOUT_LOG_DEBUG,
            LogLevel::Info => ffi::SCOUT_LOG_INFO,
            LogLevel::Warn => ffi::SCOUT_LOG_WARN,
            LogLevel::Error => ffi::SCOUT_LOG_ERROR,
        }
    }

    /// The level of a library number; numbers between levels round down.
    pub fn from_raw(level: c_int) -> LogLevel {
        match level {
            l if l < ffi::SCOUT_LOG_INFO => LogLevel::Debug,
            l if l < ffi::SCOUT_LOG_WARN => LogLevel::Info,
            l if l < ffi::SCOUT_LOG_ERROR => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }
}

type LogFn = Box<dyn FnMut(LogLevel, &str) + Send + 'static>;

/// What the log trampoline's `user` points to.
struct LogState {
    session: AtomicUsize,
    log: Mutex<LogFn>,
}

// ---------------------------------------------------------------------------
// Port mapping
// ---------------------------------------------------------------------------

/// Whether a session maps its UDP port on the home router
/// ([`SessionBuilder::port_map`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PortMap {
    /// Map when the session is a full node of the public DHT behind a
    /// router: not read-only, joining through the public routers (no
    /// bootstrap set and `$SCOUT_BOOTSTRAP` unset), listening on all IPv4
    /// interfaces or on a LAN or public IPv4 address. Never on loopback,
    /// for test swarms and private networks, nor for read-only sessions.
    #[default]
    Auto,
    /// Map whatever the address and bootstrap list.
    On,
    /// Never map.
    Off,
}

impl PortMap {
    /// The library's number for the mode (`SCOUT_PORT_MAP_*`).
    pub fn to_raw(self) -> c_int {
        match self {
            PortMap::Auto => ffi::SCOUT_PORT_MAP_AUTO,
            PortMap::On => ffi::SCOUT_PORT_MAP_ON,
            PortMap::Off => ffi::SCOUT_PORT_MAP_OFF,
        }
    }
}

/// The protocol that made a port mapping.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortProtocol {
    /// PCP, RFC 6887.
    Pcp,
    /// NAT-PMP, RFC 6886.
    NatPmp,
    /// UPnP IGD.
    Upnp,
}

/// The port mapping a session holds on the router
/// ([`Session::port_mapping`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortMapping {
    /// The protocol that made it.
    pub protocol: PortProtocol,
    /// Where other DHT nodes reach the session: the router's external
    /// address and the port it forwards.
    pub external: SocketAddrV4,
    /// Where the router forwards to: this host's address towards the
    /// router and the session's port.
    pub internal: SocketAddrV4,
    /// The router.
    pub gateway: Ipv4Addr,
    /// The lease the router granted; zero for a router that grants only
    /// permanent mappings (removed on stop all the same).
    pub lease: Duration,
}

impl PortMapping {
    /// The mapping as `scout_session_port_mapping` wrote it.
    fn from_raw(
        protocol: ffi::scout_port_protocol,
        addrs: &[[u8; ffi::SCOUT_ADDR_STRLEN]; 3],
        lease: u32,
    ) -> Result<PortMapping> {
        let bad = |what: &str| {
            Error::new(
                ErrorCode::Internal,
                format!("scout: the library reported a port mapping with {what}"),
            )
        };
        let protocol = match protocol {
            ffi::SCOUT_PORT_PROTOCOL_PCP => PortProtocol::Pcp,
            ffi::SCOUT_PORT_PROTOCOL_NATPMP => PortProtocol::NatPmp,
            ffi::SCOUT_PORT_PROTOCOL_UPNP => PortProtocol::Upnp,
            other => return Err(bad(&format!("protocol {other}"))),
        };
        let text = |b: &[u8]| {
            CStr::from_bytes_until_nul(b)
                .ok()
                .and_then(|c| c.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        let [external, internal, gateway] = addrs.each_ref().map(|a| text(a));
        let addr = |s: &str| {
            s.parse::<SocketAddrV4>()
                .map_err(|_| bad(&format!("the address {s:?}")))
        };
        Ok(PortMapping {
            protocol,
            external: addr(&external)?,
            internal: addr(&internal)?,
            gateway: gateway
                .parse()
                .map_err(|_| bad(&format!("the gateway {gateway:?}")))?,
            lease: Duration::from_secs(lease.into()),
        })
    }
}

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

/// Options of a new [`Session`], from [`Session::builder`]. Everything
/// left unset takes the library's default.
///
/// **The default bootstrap is the public mainline DHT** (or the nodes
/// `$SCOUT_BOOTSTRAP` lists, when it is set). Tests and local swarms set
/// [`SessionBuilder::bootstrap`] to a [`Swarm`](crate::Swarm)'s address.
#[must_use]
pub struct SessionBuilder {
    listen: Option<String>,
    bootstrap: Option<String>,
    state_file: Option<CString>,
    bad_path: bool,
    timeout: Duration,
    read_only: bool,
    port_map: PortMap,
    show_removed: bool,
    refresh_on_read: bool,
    tombstone_ttl: Option<Duration>,
    forever: bool,
    listen6: Option<String>,
    families: Families,
    limits: Limits,
    log: Option<(LogLevel, LogFn)>,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("listen", &self.listen)
            .field("bootstrap", &self.bootstrap)
            .field("state_file", &self.state_file)
            .field("timeout", &self.timeout)
            .field("read_only", &self.read_only)
            .field("port_map", &self.port_map)
            .field("show_removed", &self.show_removed)
            .field("refresh_on_read", &self.refresh_on_read)
            .field("tombstone_ttl", &self.tombstone_ttl)
            .field("listen_addr6", &self.listen6)
            .field("families", &self.families)
            .field("limits", &self.limits)
            .field("log", &self.log.as_ref().map(|(level, _)| level))
            .finish()
    }
}

impl SessionBuilder {
    /// The UDP address to bind, `"host:port"` (`"[host]:port"` for IPv6);
    /// port 0 lets the system choose. Its host says the family (see
    /// [`SessionBuilder::families`]): `"127.0.0.1:0"` is IPv4 only,
    /// `"[::1]:0"` IPv6 only. Default: all interfaces on a random port in
    /// 49152-65535, IPv4 and, where the machine has it, IPv6.
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = Some(addr.into());
        self
    }

    /// The IPv6 address, `"[host]:port"`, of a dual-stack session whose
    /// [`listen`](SessionBuilder::listen) address is an IPv4 one, e.g.
    /// `"[::1]:0"`. Default: all IPv6 interfaces on the same port (when
    /// the session runs IPv6 at all). Setting it makes [`Families::Auto`]
    /// dual-stack.
    pub fn listen_addr6(mut self, addr: impl Into<String>) -> Self {
        self.listen6 = Some(addr.into());
        self
    }

    /// Which DHTs the node joins; default [`Families::Auto`]. A choice
    /// that contradicts the listen address (an IPv6 one with
    /// [`Families::Ipv4`], say) is [`ErrorCode::InvalidArgument`].
    pub fn families(mut self, families: Families) -> Self {
        self.families = families;
        self
    }

    /// What any one source may ask of the node, and the bytes it sends;
    /// default [`Limits::default()`], which a public node can live with.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Comma-separated `"host:port"` nodes to join the DHT through, e.g.
    /// [`Swarm::bootstrap`](crate::Swarm::bootstrap). `""`: none (only the
    /// state file's nodes). Default: the nodes `$SCOUT_BOOTSTRAP` lists
    /// (`host:port[,...]`) when it is set, else the public mainline routers.
    pub fn bootstrap(mut self, nodes: impl Into<String>) -> Self {
        self.bootstrap = Some(nodes.into());
        self
    }

    /// A file keeping the node id and good nodes between runs. Default:
    /// none.
    pub fn state_file(mut self, path: impl AsRef<Path>) -> Self {
        match path_cstring(path.as_ref()) {
            Some(p) => self.state_file = Some(p),
            None => self.bad_path = true,
        }
        self
    }

    /// The deadline of each operation; zero means the default, 30 s.
    /// Blocking calls wait this long plus a few seconds of grace.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Announce the node as read-only (BEP 43): it asks but never answers,
    /// so a short-lived node is not routed through.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Whether to map the node's UDP port on the home router (PCP,
    /// NAT-PMP or UPnP IGD); default [`PortMap::Auto`]: only for a full
    /// node of the public DHT on a LAN or public address, never on
    /// loopback or for a test swarm. The mapping is made in the background
    /// once the session has started ([`Session::port_mapping`]) and removed
    /// when it stops.
    pub fn port_map(mut self, port_map: PortMap) -> Self {
        self.port_map = port_map;
        self
    }

    /// Report removals: the entries a synchronize reports as updated
    /// ([`Synced::updated`]) then include removed ones, as an entry with an
    /// empty value and its tombstone's seq. Default: hidden, as lists hide
    /// them ([`Entries::remove`] leaves a tombstone that synchronize
    /// publishes).
    pub fn show_removed(mut self, show: bool) -> Self {
        self.show_removed = show;
        self
    }

    /// Keep alive what the session reads: get and get_list put each
    /// message they read again, a watch its list (at most every half
    /// hour), byte for byte, to the closest nodes that answered.
    pub fn refresh_on_read(mut self, refresh: bool) -> Self {
        self.refresh_on_read = refresh;
        self
    }

    /// How long a removed entry's tombstone stays in the list (synchronize
    /// then leaves it out of what it writes); `None`: forever. Default: 30
    /// days.
    pub fn tombstone_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.forever = ttl.is_none();
        self.tombstone_ttl = ttl;
        self
    }

    /// Receive diagnostic lines of `level` and more severe. The closure
    /// runs on the session's dispatcher thread, like every callback; lines
    /// produced faster than it consumes them may be dropped, and so are
    /// lines that arrive while it is still running (a re-entrant call).
    pub fn log(
        mut self,
        level: LogLevel,
        log: impl FnMut(LogLevel, &str) + Send + 'static,
    ) -> Self {
        self.log = Some((level, Box::new(log)));
        self
    }

    /// Creates the session without starting it: call [`Session::start`].
    /// A string with a NUL byte, a timeout over `u32::MAX` milliseconds or
    /// options the library refuses (a malformed address) are
    /// [`ErrorCode::InvalidArgument`].
    pub fn build(self) -> Result<Session> {
        self.raw()?.create(None, |opts, out, _| {
            // SAFETY: opts and its strings are valid for the call (the
            // library copies them); out is a valid place for the handle.
            unsafe { ffi::scout_session_new(opts, out) }
        })
    }

    /// The options struct for the library, with the strings and the log
    /// state it points to.
    pub(crate) fn raw(self) -> Result<RawOptions> {
        check_abi()?;
        let invalid =
            |what: String| Error::new(ErrorCode::InvalidArgument, format!("scout: {what}"));
        if self.bad_path {
            return Err(invalid("the state file's path has a NUL byte".into()));
        }
        let cstr = |name: &str, s: &Option<String>| -> Result<Option<CString>> {
            s.as_deref()
                .map(|s| {
                    CString::new(s).map_err(|_| invalid(format!("{name} {s:?} has a NUL byte")))
                })
                .transpose()
        };
        let listen = cstr("the listen address", &self.listen)?;
        let listen6 = cstr("the IPv6 listen address", &self.listen6)?;
        let bootstrap = cstr("the bootstrap list", &self.bootstrap)?;
        let block_ms = match u32::try_from(self.limits.block.as_millis()) {
            Ok(0) if !self.limits.block.is_zero() => Err(invalid(format!(
                "the limits' block {:?} is under 1 ms",
                self.limits.block
            ))),
            Ok(ms) => Ok(ms),
            Err(_) => Err(invalid(format!(
                "the limits' block {:?} is over u32::MAX milliseconds",
                self.limits.block
            ))),
        }?;
        let timeout_ms = u32::try_from(self.timeout.as_millis()).map_err(|_| {
            invalid(format!(
                "the timeout {:?} is over u32::MAX milliseconds",
                self.timeout
            ))
        })?;
        let timeout = if timeout_ms == 0 {
            DEFAULT_TIMEOUT
        } else {
            self.timeout
        };

        let mut opts = ffi::scout_session_options {
            size: 0,
            listen_addr: ptr::null(),
            bootstrap: ptr::null(),
            state_file: ptr::null(),
            timeout_ms: 0,
            read_only: 0,
            log: None,
            log_user: ptr::null_mut(),
            log_level: 0,
            reserved: 0,
            port_map: 0,
            tombstone_ttl_ms: 0,
            show_removed: 0,
            refresh_on_read: 0,
            listen_addr6: ptr::null(),
            families: 0,
            query_burst: 0,
            query_rate: 0.0,
            block_ms: 0,
            send_rate: 0,
            limit_loopback: 0,
        };
        // SAFETY: opts is a valid, writable options struct.
        check(unsafe { ffi::scout_session_options_init(&mut opts) })?;
        let as_ptr = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        opts.listen_addr = as_ptr(&listen);
        opts.bootstrap = as_ptr(&bootstrap);
        opts.state_file = as_ptr(&self.state_file);
        opts.timeout_ms = timeout_ms;
        opts.read_only = c_int::from(self.read_only);
        opts.port_map = self.port_map.to_raw();
        opts.show_removed = c_int::from(self.show_removed);
        opts.refresh_on_read = c_int::from(self.refresh_on_read);
        opts.tombstone_ttl_ms = match self.tombstone_ttl {
            _ if self.forever => -1,
            None => 0,
            Some(ttl) => i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1),
        };
        opts.listen_addr6 = as_ptr(&listen6);
        opts.families = self.families.to_raw();
        opts.query_rate = self.limits.query_rate;
        opts.query_burst = self.limits.query_burst;
        opts.block_ms = block_ms;
        opts.send_rate = self.limits.send_rate;
        opts.limit_loopback = c_int::from(self.limits.limit_loopback);

        let mut log_user: *const LogState = ptr::null();
        if let Some((level, log)) = self.log {
            let state = Arc::new(LogState {
                session: AtomicUsize::new(0),
                log: Mutex::new(log),
            });
            log_user = Arc::into_raw(state);
            opts.log = Some(log_trampoline);
            opts.log_user = log_user as *mut c_void;
            opts.log_level = level.to_raw();
        }
        Ok(RawOptions {
            opts,
            _strings: [listen, listen6, bootstrap, self.state_file],
            log_user,
            timeout,
        })
    }

    /// Creates the session and starts it ([`SessionBuilder::build`] then
    /// [`Session::start`]).
    pub fn start(self) -> Result<Session> {
        let session = self.build()?;
        session.start()?;
        Ok(session)
    }
}

/// A session's options as the library takes them: the struct, the
/// strings it points to (kept alive with it: a `CString`'s bytes do not
/// move with it), and the log state it names, whose reference goes to the
/// session made, or is released if none is.
pub(crate) struct RawOptions {
    opts: ffi::scout_session_options,
    _strings: [Option<CString>; 4],
    log_user: *const LogState,
    timeout: Duration,
}

impl RawOptions {
    /// Makes the session with `call(opts, out, index)`, a function of the
    /// library that creates one into `out` (and, for a session joined to
    /// a swarm, writes its node index), and wraps it.
    pub(crate) fn create(
        self,
        swarm_index: Option<u32>,
        call: impl FnOnce(
            &ffi::scout_session_options,
            &mut *mut ffi::scout_session,
            &mut u32,
        ) -> ffi::scout_status,
    ) -> Result<Session> {
        let mut raw = ptr::null_mut();
        let mut index = swarm_index.unwrap_or(0);
        // The log state stays valid until the session is freed, since
        // Session::drop releases it only after scout_session_free.
        let status = call(&self.opts, &mut raw, &mut index);
        let raw = match (check(status), NonNull::new(raw)) {
            (Ok(()), Some(raw)) => raw,
            (result, _) => {
                if !self.log_user.is_null() {
                    // SAFETY: the session was not created, so the library
                    // keeps no copy of log_user: take our reference back.
                    drop(unsafe { Arc::from_raw(self.log_user) });
                }
                return Err(result.err().unwrap_or_else(|| ErrorCode::Internal.into()));
            }
        };
        if !self.log_user.is_null() {
            // SAFETY: log_user is our live Arc reference.
            unsafe { &*self.log_user }
                .session
                .store(raw.as_ptr() as usize, Ordering::Relaxed);
        }
        Ok(Session {
            raw,
            timeout: self.timeout,
            log_user: self.log_user,
            swarm_index: swarm_index.map(|_| index),
        })
    }
}

#[cfg(unix)]
fn path_cstring(p: &Path) -> Option<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).ok()
}

#[cfg(not(unix))]
fn path_cstring(p: &Path) -> Option<CString> {
    CString::new(p.to_str()?).ok()
}

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------

/// A DHT node running in the background: create it with
/// [`Session::builder`], run operations, drop it (or [`Session::close`]
/// it) to stop and free it.
///
/// Dropping a session cancels its operations in flight: each gets its
/// completion with [`ErrorCode::Cancelled`] before the drop returns, and no
/// callback of the session runs afterwards. A session may be dropped
/// inside one of its own callbacks.
///
/// Blocking operations wait for their completion (at most the session's
/// timeout plus a grace of a few seconds, then [`ErrorCode::Timeout`]); called
/// from one of this session's own callbacks, where waiting would deadlock,
/// they fail at once with [`ErrorCode::WrongState`]. The `start_*` variants
/// return as soon as the operation started and call their closures on the
/// session's dispatcher thread, the completion exactly once.
pub struct Session {
    raw: NonNull<ffi::scout_session>,
    timeout: Duration,
    /// `Arc::into_raw` of the log state given to the library, or NULL.
    log_user: *const LogState,
    /// The node index of a session joined to a swarm.
    swarm_index: Option<u32>,
}

// SAFETY: the header makes sessions thread-safe (any function, any thread,
// calls serialized inside the library); the log state it points to is
// Send + Sync (a Mutex around a Send closure).
unsafe impl Send for Session {}
// SAFETY: as for Send: every method takes &self and the library serializes.
unsafe impl Sync for Session {}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("handle", &self.raw)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Session {
    /// Options for a new session.
    pub fn builder() -> SessionBuilder {
        SessionBuilder {
            listen: None,
            bootstrap: None,
            state_file: None,
            bad_path: false,
            timeout: Duration::ZERO,
            read_only: false,
            port_map: PortMap::Auto,
            show_removed: false,
            refresh_on_read: false,
            tombstone_ttl: None,
            forever: false,
            listen6: None,
            families: Families::Auto,
            limits: Limits::default(),
            log: None,
        }
    }

    /// Binds the socket, loads the state file and joins the DHT through the
    /// bootstrap nodes; blocks until a first lookup ended (milliseconds when
    /// a node answers, a few seconds when none does). A session whose
    /// bootstrap nodes do not answer still starts and keeps trying in the
    /// background; its operations fail with [`ErrorCode::Network`] meanwhile.
    /// A socket that cannot be bound is [`ErrorCode::Network`]. A session runs
    /// once: starting it again, or after [`Session::stop`], is
    /// [`ErrorCode::WrongState`].
    pub fn start(&self) -> Result<()> {
        // SAFETY: self.raw is our live handle.
        check(unsafe { ffi::scout_session_start(self.raw.as_ptr()) })
    }

    /// Stops the node: operations in flight end with [`ErrorCode::Cancelled`],
    /// the state file is saved, the socket closed; new operations fail with
    /// [`ErrorCode::WrongState`]. Stopping twice does nothing; stopping a
    /// session never started is [`ErrorCode::WrongState`]; a state file that
    /// cannot be written is [`ErrorCode::InvalidArgument`] (the session is
    /// stopped regardless).
    pub fn stop(&self) -> Result<()> {
        // SAFETY: self.raw is our live handle.
        check(unsafe { ffi::scout_session_stop(self.raw.as_ptr()) })
    }

    /// Stops and frees the session, reporting what dropping it would not: a
    /// state file that could not be written ([`ErrorCode::InvalidArgument`]).
    pub fn close(self) -> Result<()> {
        let stopped = match self.stop() {
            Err(e) if e == ErrorCode::WrongState => Ok(()), // never started
            other => other,
        };
        drop(self);
        stopped
    }

    /// The address the socket is bound to, `"ip:port"`.
    pub fn addr(&self) -> Result<String> {
        let bytes = crate::read_buf(ffi::SCOUT_ADDR_STRLEN, |buf, len| {
            // SAFETY: self.raw is live; buf has *len writable bytes.
            unsafe { ffi::scout_session_addr(self.raw.as_ptr(), buf.cast::<c_char>(), len) }
        })?;
        c_string(bytes)
    }

    /// Every address the node listens on, `"ip:port"` (`"[ip]:port"` for
    /// IPv6), the IPv4 one first: two for a dual-stack node.
    /// [`ErrorCode::WrongState`] before the start.
    pub fn addrs(&self) -> Result<Vec<String>> {
        let bytes = crate::read_buf(2 * ffi::SCOUT_ADDR_STRLEN, |buf, len| {
            // SAFETY: self.raw is live; buf has *len writable bytes.
            unsafe { ffi::scout_session_addrs(self.raw.as_ptr(), buf.cast::<c_char>(), len) }
        })?;
        Ok(c_string(bytes)?.split(',').map(str::to_owned).collect())
    }

    /// A snapshot of the node's statistics: its routing tables, what it
    /// stores, queries by method each way, datagrams and bytes, what its
    /// limits refused, its external addresses, the session's operations
    /// by outcome. Zeros before the start; after [`Session::stop`], the
    /// counters as they were then. It costs a pass over each routing
    /// table; counting costs the node nothing measurable.
    pub fn stats(&self) -> Result<Stats> {
        // SAFETY: scout_stats is plain data, for which all zeros is valid.
        let mut raw: ffi::scout_stats = unsafe { std::mem::zeroed() };
        raw.size = std::mem::size_of::<ffi::scout_stats>();
        // SAFETY: self.raw is live; raw is a writable scout_stats of the
        // size it says.
        check(unsafe { ffi::scout_session_stats(self.raw.as_ptr(), &mut raw) })?;
        Stats::from_raw(&raw)
    }

    /// The UDP port the socket is bound to.
    pub fn port(&self) -> Result<u16> {
        let mut port = 0u16;
        // SAFETY: self.raw is live; port is a valid output.
        check(unsafe { ffi::scout_session_port(self.raw.as_ptr(), &mut port) })?;
        Ok(port)
    }

    /// The port mapping the node holds on the router, `None` while it
    /// holds none (port mapping off, not made yet, no router maps, not
    /// started or stopped). The mapping is made in the background after
    /// [`Session::start`], renewed, and removed by [`Session::stop`]: poll
    /// this (the log also gets an info line when it is made or changes).
    pub fn port_mapping(&self) -> Result<Option<PortMapping>> {
        let mut protocol: ffi::scout_port_protocol = 0;
        let mut addrs = [[0u8; ffi::SCOUT_ADDR_STRLEN]; 3];
        let mut lease = 0u32;
        let [external, internal, gateway] = &mut addrs;
        // SAFETY: self.raw is live; each address buffer has
        // SCOUT_ADDR_STRLEN writable bytes; protocol and lease are valid
        // outputs.
        let status = unsafe {
            ffi::scout_session_port_mapping(
                self.raw.as_ptr(),
                &mut protocol,
                external.as_mut_ptr().cast::<c_char>(),
                internal.as_mut_ptr().cast::<c_char>(),
                gateway.as_mut_ptr().cast::<c_char>(),
                &mut lease,
            )
        };
        if status == ffi::SCOUT_NOT_FOUND {
            return Ok(None);
        }
        check(status)?;
        PortMapping::from_raw(protocol, &addrs, lease).map(Some)
    }

    /// The node index of a session made by [`Swarm::join`](crate::Swarm::join),
    /// as [`Swarm::kill`](crate::Swarm::kill) reports it and
    /// [`Swarm::set_dead`](crate::Swarm::set_dead) takes it; `None` for any
    /// other session.
    pub fn swarm_index(&self) -> Option<u32> {
        self.swarm_index
    }

    /// The deadline of each operation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The raw handle, for calls through [`ffi`]. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::scout_session {
        self.raw.as_ptr()
    }

    pub(crate) fn id(&self) -> usize {
        self.raw.as_ptr() as usize
    }

    // --- Operations -----------------------------------------------------------
    //
    // Every operation is available three ways: on the session with its
    // default deadline, on an [`Ops`] (`session.with_timeout(d)`) with a
    // deadline of its own, blocking or started with closures. The bodies
    // are Ops's; the session's methods forward with `self.ops()`.

    /// The session's operations, each with its own deadline `timeout`
    /// (longer or shorter than the session's): `session.with_timeout(d).get(&hash)`.
    /// The library ends an operation whose deadline passes with
    /// [`ErrorCode::Timeout`].
    pub fn with_timeout(&self, timeout: Duration) -> Ops<'_> {
        Ops {
            session: self,
            timeout: Some(timeout),
        }
    }

    fn ops(&self) -> Ops<'_> {
        Ops {
            session: self,
            timeout: None,
        }
    }

    /// Synchronizes `entries` with the list this pair shares on the DHT
    /// (identified, sealed and signed through `shared_secret`, from
    /// [`key_exchange`](crate::key_exchange)): reads it, merges it into the
    /// local list (higher seq wins), writes the merged list back, and on
    /// success replaces `entries` with the list as written. On failure
    /// `entries` is left alone. Errors: [`ErrorCode::Timeout`],
    /// [`ErrorCode::Network`], [`ErrorCode::Conflict`] (synchronize again),
    /// [`ErrorCode::TooLarge`] (the merged list does not fit),
    /// [`ErrorCode::Cancelled`], [`ErrorCode::WrongState`].
    pub fn synchronize(&self, shared_secret: &Key, entries: &mut Entries) -> Result<Synced> {
        self.ops().synchronize(shared_secret, entries)
    }

    /// Synchronizes like [`Session::synchronize`], and calls `finalize`
    /// with the merged list just before it is sealed and written, to edit
    /// it. If `finalize` panics, the list is written as it stands and the
    /// panic is resumed on this thread once the operation ended.
    pub fn synchronize_with<F>(
        &self,
        shared_secret: &Key,
        entries: &mut Entries,
        finalize: F,
    ) -> Result<Synced>
    where
        F: FnOnce(&mut EntriesMut<'_>) + Send + 'static,
    {
        self.ops()
            .synchronize_with(shared_secret, entries, finalize)
    }

    /// Starts a synchronize of a copy of `entries` and returns at once,
    /// with the [`Operation`] that cancels it; `done` gets the outcome and
    /// the list as written. `entries` itself is never changed. If the
    /// operation fails to start, the error is returned and `done` is never
    /// called; otherwise `done` runs exactly once on the dispatcher thread,
    /// with [`ErrorCode::Cancelled`] if it is cancelled or the session is
    /// stopped or dropped first.
    pub fn start_synchronize<D>(
        &self,
        shared_secret: &Key,
        entries: &Entries,
        done: D,
    ) -> Result<Operation>
    where
        D: FnOnce(Result<(Synced, Entries)>) + Send + 'static,
    {
        self.ops().start_synchronize(shared_secret, entries, done)
    }

    /// Starts a synchronize like [`Session::start_synchronize`], calling
    /// `finalize` with the merged list before it is written. A panic in
    /// `finalize` is caught (the default hook prints it) and the list is
    /// written as it stands.
    pub fn start_synchronize_with<F, D>(
        &self,
        shared_secret: &Key,
        entries: &Entries,
        finalize: F,
        done: D,
    ) -> Result<Operation>
    where
        F: FnOnce(&mut EntriesMut<'_>) + Send + 'static,
        D: FnOnce(Result<(Synced, Entries)>) + Send + 'static,
    {
        self.ops()
            .start_synchronize_with(shared_secret, entries, finalize, done)
    }

    /// Stores `msg` as an immutable item whose next hash is `token` (from
    /// [`ListHead::push_front`](crate::ListHead::push_front)) and returns
    /// where it is stored. More than [`MAX_MESSAGE_SIZE`](crate::MAX_MESSAGE_SIZE)
    /// bytes is [`ErrorCode::TooLarge`].
    pub fn put(&self, token: &Hash, msg: &[u8]) -> Result<Stored> {
        self.ops().put(token, msg)
    }

    /// Starts a put and returns at once, with the [`Operation`] that
    /// cancels it; `done` runs exactly once on the dispatcher thread unless
    /// the operation fails to start (then the error is returned and `done`
    /// never runs).
    pub fn start_put<D>(&self, token: &Hash, msg: &[u8], done: D) -> Result<Operation>
    where
        D: FnOnce(Result<Stored>) + Send + 'static,
    {
        self.ops().start_put(token, msg, done)
    }

    /// Fetches the message stored under `hash`. [`ErrorCode::NotFound`] if
    /// no node holds it.
    pub fn get(&self, hash: &Hash) -> Result<Message> {
        self.ops().get(hash)
    }

    /// Starts a get and returns at once, with the [`Operation`] that
    /// cancels it; `done` runs exactly once on the dispatcher thread unless
    /// the operation fails to start.
    pub fn start_get<D>(&self, hash: &Hash, done: D) -> Result<Operation>
    where
        D: FnOnce(Result<Message>) + Send + 'static,
    {
        self.ops().start_get(hash, done)
    }

    /// Walks the message list from `head`, newest first, for at most `max`
    /// messages (0: to the list's end). A head of 20 zero bytes is an empty
    /// list. If a message in the middle cannot be read, the error is
    /// returned (use [`Session::start_get_list`] to see the messages
    /// before it).
    pub fn get_list(&self, head: &Hash, max: usize) -> Result<Vec<Message>> {
        self.ops().get_list(head, max)
    }

    /// Starts a list walk and returns at once, with the [`Operation`] that
    /// cancels it. Once the walk ends, `on_message` runs for each message
    /// read, in order, then `done` once with the walk's status and the
    /// number of messages delivered; all on the dispatcher thread, unless
    /// the operation fails to start. If `on_message` panics, it is not
    /// called again.
    pub fn start_get_list<M, D>(
        &self,
        head: &Hash,
        max: usize,
        on_message: M,
        done: D,
    ) -> Result<Operation>
    where
        M: FnMut(Message) + Send + 'static,
        D: FnOnce(Result<usize>) + Send + 'static,
    {
        self.ops().start_get_list(head, max, on_message, done)
    }

    /// Refuses a blocking call from this session's own dispatcher thread.
    pub(crate) fn not_dispatching(&self) -> Result<()> {
        if DISPATCHING.with(Cell::get) == self.id() {
            return Err(Error::new(
                ErrorCode::WrongState,
                "scout: a blocking call from one of the session's own callbacks would wait for \
                 the thread it runs on; use the start_* form there",
            ));
        }
        Ok(())
    }
}

/// The operations of a [`Session`] with options of their own, from
/// [`Session::with_timeout`]: the same methods as the session's, each with
/// this deadline (the library ends the operation with
/// [`ErrorCode::Timeout`] when it passes).
#[derive(Debug, Clone, Copy)]
pub struct Ops<'a> {
    session: &'a Session,
    timeout: Option<Duration>,
}

impl Ops<'_> {
    /// As [`Session::synchronize`].
    pub fn synchronize(&self, shared_secret: &Key, entries: &mut Entries) -> Result<Synced> {
        self.synchronize_blocking(shared_secret, entries, None)
    }

    /// As [`Session::synchronize_with`].
    pub fn synchronize_with<F>(
        &self,
        shared_secret: &Key,
        entries: &mut Entries,
        finalize: F,
    ) -> Result<Synced>
    where
        F: FnOnce(&mut EntriesMut<'_>) + Send + 'static,
    {
        self.synchronize_blocking(shared_secret, entries, Some(Box::new(finalize)))
    }

    fn synchronize_blocking(
        &self,
        shared: &Key,
        entries: &mut Entries,
        finalize: Option<FinalizeFn>,
    ) -> Result<Synced> {
        self.session.not_dispatching()?;
        let (tx, rx) = mpsc::channel();
        let _op = self.start_sync(
            shared,
            entries,
            finalize,
            Box::new(move |result, panic| {
                let _ = tx.send((result, panic));
            }),
        )?;
        let (result, panic) = self.wait(rx)?;
        if let Some(p) = panic {
            panic::resume_unwind(p);
        }
        let (synced, written) = result?;
        *entries = written;
        Ok(synced)
    }

    /// As [`Session::start_synchronize`].
    pub fn start_synchronize<D>(
        &self,
        shared_secret: &Key,
        entries: &Entries,
        done: D,
    ) -> Result<Operation>
    where
        D: FnOnce(Result<(Synced, Entries)>) + Send + 'static,
    {
        self.start_sync(
            shared_secret,
            entries,
            None,
            Box::new(move |result, _panic| done(result)),
        )
    }

    /// As [`Session::start_synchronize_with`].
    pub fn start_synchronize_with<F, D>(
        &self,
        shared_secret: &Key,
        entries: &Entries,
        finalize: F,
        done: D,
    ) -> Result<Operation>
    where
        F: FnOnce(&mut EntriesMut<'_>) + Send + 'static,
        D: FnOnce(Result<(Synced, Entries)>) + Send + 'static,
    {
        self.start_sync(
            shared_secret,
            entries,
            Some(Box::new(finalize)),
            Box::new(move |result, _panic| done(result)),
        )
    }

    fn start_sync(
        &self,
        shared: &Key,
        entries: &Entries,
        finalize: Option<FinalizeFn>,
        done: SyncDone,
    ) -> Result<Operation> {
        // The operation works on a copy, which the library replaces with the
        // list as written just before the completion: the caller's list is
        // never changed behind its back.
        let copy = entries.try_clone()?;
        let copy_raw = copy.as_ptr();
        let has_finalize = finalize.is_some();
        let opts = self.options()?;
        let op = Arc::new(SyncOp {
            session: self.session.id(),
            list: Mutex::new(Some(copy)),
            updated: Mutex::new(Vec::new()),
            finalize: Mutex::new(finalize),
            panic: Mutex::new(None),
            done: Mutex::new(Some(done)),
        });
        let user = Arc::into_raw(op);
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle and copy_raw are live handles (copy
        // is kept in the op state until the completion); shared is KEY_SIZE
        // bytes; opts is read during the call; handle is a valid output;
        // user is an Arc reference that the completion trampoline takes over.
        let status = unsafe {
            ffi::scout_synchronize_op(
                self.session.raw.as_ptr(),
                shared.as_ptr(),
                copy_raw,
                &opts,
                &mut handle,
                Some(sync_updated),
                if has_finalize {
                    Some(sync_finalize)
                } else {
                    None
                },
                Some(sync_finished),
                user as *mut c_void,
            )
        };
        started(status, user, handle)
    }

    /// As [`Session::put`].
    pub fn put(&self, token: &Hash, msg: &[u8]) -> Result<Stored> {
        self.session.not_dispatching()?;
        let (tx, rx) = mpsc::channel();
        let _op = self.start_put(token, msg, move |result| {
            let _ = tx.send(result);
        })?;
        self.wait(rx)?
    }

    /// As [`Session::start_put`].
    pub fn start_put<D>(&self, token: &Hash, msg: &[u8], done: D) -> Result<Operation>
    where
        D: FnOnce(Result<Stored>) + Send + 'static,
    {
        let opts = self.options()?;
        let user = OnceOp::<Stored>::new(self.session.id(), Box::new(done));
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle is live; token is HASH_SIZE bytes
        // and msg valid for its length (both copied before return); opts is
        // read during the call; handle is a valid output; user is an Arc
        // reference that the completion trampoline takes over.
        let status = unsafe {
            ffi::scout_put_op(
                self.session.raw.as_ptr(),
                token.as_ptr(),
                msg.as_ptr(),
                msg.len(),
                &opts,
                &mut handle,
                Some(put_finished),
                user as *mut c_void,
            )
        };
        started(status, user, handle)
    }

    /// As [`Session::get`].
    pub fn get(&self, hash: &Hash) -> Result<Message> {
        self.session.not_dispatching()?;
        let (tx, rx) = mpsc::channel();
        let _op = self.start_get(hash, move |result| {
            let _ = tx.send(result);
        })?;
        self.wait(rx)?
    }

    /// As [`Session::start_get`].
    pub fn start_get<D>(&self, hash: &Hash, done: D) -> Result<Operation>
    where
        D: FnOnce(Result<Message>) + Send + 'static,
    {
        let opts = self.options()?;
        let at = *hash;
        let user = OnceOp::<(Vec<u8>, Hash)>::new(
            self.session.id(),
            Box::new(move |result: Result<(Vec<u8>, Hash)>| {
                done(result.map(|(body, next)| Message {
                    hash: at,
                    body,
                    next,
                }))
            }),
        );
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle is live; hash is HASH_SIZE bytes
        // (copied); opts is read during the call; handle is a valid output;
        // user is an Arc reference that the completion trampoline takes over.
        let status = unsafe {
            ffi::scout_get_op(
                self.session.raw.as_ptr(),
                hash.as_ptr(),
                &opts,
                &mut handle,
                Some(get_received),
                user as *mut c_void,
            )
        };
        started(status, user, handle)
    }

    /// As [`Session::get_list`].
    pub fn get_list(&self, head: &Hash, max: usize) -> Result<Vec<Message>> {
        self.session.not_dispatching()?;
        let (tx, rx) = mpsc::channel();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        let _op = self.start_list(
            head,
            max,
            Some(Box::new(move |m| lock(&sink).push(m))),
            Box::new(move |result, panic| {
                let _ = tx.send((result, panic));
            }),
        )?;
        let (result, panic) = self.wait(rx)?;
        if let Some(p) = panic {
            panic::resume_unwind(p);
        }
        result?;
        let messages = std::mem::take(&mut *lock(&got));
        Ok(messages)
    }

    /// As [`Session::start_get_list`].
    pub fn start_get_list<M, D>(
        &self,
        head: &Hash,
        max: usize,
        on_message: M,
        done: D,
    ) -> Result<Operation>
    where
        M: FnMut(Message) + Send + 'static,
        D: FnOnce(Result<usize>) + Send + 'static,
    {
        self.start_list(
            head,
            max,
            Some(Box::new(on_message)),
            Box::new(move |result, _panic| done(result)),
        )
    }

    fn start_list(
        &self,
        head: &Hash,
        max: usize,
        on_message: Option<MessageFn>,
        done: ListDone,
    ) -> Result<Operation> {
        let opts = self.options()?;
        let op = Arc::new(ListOp {
            session: self.session.id(),
            on_message: Mutex::new(on_message),
            panic: Mutex::new(None),
            done: Mutex::new(Some(done)),
        });
        let user = Arc::into_raw(op);
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle is live; head is HASH_SIZE bytes
        // (copied); opts is read during the call; handle is a valid output;
        // user is an Arc reference that the completion trampoline takes over.
        let status = unsafe {
            ffi::scout_get_list_op(
                self.session.raw.as_ptr(),
                head.as_ptr(),
                max,
                &opts,
                &mut handle,
                Some(list_message),
                Some(list_finished),
                user as *mut c_void,
            )
        };
        started(status, user, handle)
    }

    /// The library's options for these operations.
    fn options(&self) -> Result<ffi::scout_op_options> {
        let mut opts = ffi::scout_op_options {
            size: 0,
            timeout_ms: 0,
        };
        // SAFETY: opts is a valid, writable options struct.
        check(unsafe { ffi::scout_op_options_init(&mut opts) })?;
        if let Some(t) = self.timeout {
            opts.timeout_ms = u32::try_from(t.as_millis())
                .ok()
                .filter(|&ms| ms > 0)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::InvalidArgument,
                        format!(
                            "scout: an operation's timeout must be from 1 ms to {} ms, got {t:?}",
                            u32::MAX
                        ),
                    )
                })?;
        }
        Ok(opts)
    }

    /// Waits for a blocking operation's completion: at most its deadline
    /// plus a grace (the library delivers it by the deadline, unless a slow
    /// callback of the session holds the dispatcher).
    fn wait<T>(&self, rx: mpsc::Receiver<T>) -> Result<T> {
        let limit = self.timeout.unwrap_or(self.session.timeout) + WAIT_GRACE;
        rx.recv_timeout(limit).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => Error::new(
                ErrorCode::Timeout,
                format!("scout: no result within {limit:?} (the session's callbacks are held up)"),
            ),
            // The completion was dropped without a call: a broken promise.
            mpsc::RecvTimeoutError::Disconnected => Error::new(
                ErrorCode::Internal,
                "scout: an operation ended without its completion",
            ),
        })
    }
}

/// One operation started with a `start_*` method, to cancel it. Dropping
/// it only lets go of the means to cancel: the operation goes on and its
/// closure still runs, once.
pub struct Operation {
    raw: NonNull<ffi::scout_op>,
}

// SAFETY: the header makes scout_op handles thread-safe (any function, any
// thread), and an Operation only ever calls scout_op_cancel and _free.
unsafe impl Send for Operation {}
// SAFETY: as for Send; cancel takes &self and the library serializes.
unsafe impl Sync for Operation {}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("handle", &self.raw)
            .finish()
    }
}

impl Operation {
    /// Cancels the operation: `true` if it was still in flight (its
    /// closure then runs once, on the dispatcher thread, never inside this
    /// call, with [`ErrorCode::Cancelled`]; the session and its other
    /// operations go on), `false` if it had already ended (its closure has
    /// run, or is about to, with its own result).
    pub fn cancel(&self) -> bool {
        // SAFETY: self.raw is our live scout_op handle.
        unsafe { ffi::scout_op_cancel(self.raw.as_ptr()) == ffi::SCOUT_OK }
    }

    /// The raw handle, for calls through [`ffi`]. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::scout_op {
        self.raw.as_ptr()
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        // SAFETY: we own the handle; freeing it does not cancel.
        unsafe { ffi::scout_op_free(self.raw.as_ptr()) }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: we own the handle. scout_session_free delivers every
        // pending completion (which releases its operation's state) and
        // returns once no callback of the session can run, except when
        // called from one of its callbacks, whose trampoline holds its own
        // reference to what it uses.
        unsafe { ffi::scout_session_free(self.raw.as_ptr()) };
        if !self.log_user.is_null() {
            // SAFETY: log_user is the reference build() gave the library;
            // the library no longer calls the log callback, and a log
            // trampoline still on the stack holds a reference of its own.
            drop(unsafe { Arc::from_raw(self.log_user) });
        }
    }
}

fn c_string(mut bytes: Vec<u8>) -> Result<String> {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    String::from_utf8(bytes).map_err(|_| Error::from(ErrorCode::Internal))
}

// ---------------------------------------------------------------------------
// Callback machinery
// ---------------------------------------------------------------------------

thread_local! {
    /// The session whose callback this thread is running, 0 if none.
    static DISPATCHING: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as running a callback of `session` until
/// dropped (restoring the previous mark, for nested callbacks).
struct Dispatching(usize);

impl Dispatching {
    fn enter(session: usize) -> Dispatching {
        Dispatching(DISPATCHING.with(|d| d.replace(session)))
    }
}

impl Drop for Dispatching {
    fn drop(&mut self) {
        DISPATCHING.with(|d| d.set(self.0));
    }
}

/// Locks a mutex, ignoring poisoning (panics are caught at the boundary,
/// the data stays consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The body of every trampoline: nothing unwinds into C. A panic here is
/// one of ours or a payload's drop; it was already reported by the hook.
pub(crate) fn boundary(body: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        std::mem::forget(payload);
    }
}

/// Runs user code of `session`'s operation, catching its panic.
pub(crate) fn run_user(session: usize, f: impl FnOnce()) -> Option<Panic> {
    let _mark = Dispatching::enter(session);
    panic::catch_unwind(AssertUnwindSafe(f)).err()
}

/// Keeps the first panic of an operation.
pub(crate) fn keep_panic(slot: &Mutex<Option<Panic>>, p: Option<Panic>) {
    if let Some(p) = p {
        lock(slot).get_or_insert(p);
    }
}

/// After starting an operation with `user`: on failure to start, takes the
/// reference back (no callback will run) and returns the error.
pub(crate) fn started<T>(
    status: ffi::scout_status,
    user: *const T,
    handle: *mut ffi::scout_op,
) -> Result<Operation> {
    // The error's text first: dropping the state may run closures' drops,
    // which may call the library on this thread.
    let result = check(status);
    if status != ffi::SCOUT_OK {
        // SAFETY: the operation did not start, so the library never calls
        // back with user: the reference from Arc::into_raw is ours again.
        drop(unsafe { Arc::from_raw(user) });
    }
    result?;
    NonNull::new(handle)
        .map(|raw| Operation { raw })
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "scout: the library returned no operation handle",
            )
        })
}

/// A reference of its own to an operation's state, for a non-final
/// callback.
///
/// # Safety
///
/// `user` must come from `Arc::into_raw::<T>` and its reference must still
/// be held (by the operation, whose completion has not run yet).
pub(crate) unsafe fn borrow_op<T>(user: *mut c_void) -> Arc<T> {
    let user = user as *const T;
    // SAFETY: per the contract, user is a live Arc pointer.
    unsafe {
        Arc::increment_strong_count(user);
        Arc::from_raw(user)
    }
}

/// A callback's bytes as a slice; they are never NULL per the header, but
/// an empty slice is made without reading the pointer anyway.
///
/// # Safety
///
/// If `len > 0`, `p` must point to `len` readable bytes that outlive `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if p.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: per the contract.
        unsafe { std::slice::from_raw_parts(p, len) }
    }
}

/// # Safety
///
/// `p` must be NULL or point to HASH_SIZE readable bytes.
unsafe fn hash_at(p: *const u8) -> Hash {
    let mut h = [0u8; HASH_SIZE];
    if !p.is_null() {
        // SAFETY: per the contract, HASH_SIZE bytes are readable.
        h.copy_from_slice(unsafe { std::slice::from_raw_parts(p, HASH_SIZE) });
    }
    h
}

// --- Log ---------------------------------------------------------------------

unsafe extern "C" fn log_trampoline(user: *mut c_void, level: c_int, message: *const c_char) {
    boundary(|| {
        // SAFETY: user is the log state's Arc pointer, whose reference the
        // session holds while the library can call this.
        let state: Arc<LogState> = unsafe { borrow_op(user) };
        let text = if message.is_null() {
            String::new()
        } else {
            // SAFETY: the header passes a NUL-terminated line valid during
            // the call.
            unsafe { CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned()
        };
        // A re-entrant line (the closure is running further up this
        // thread's stack) is dropped rather than deadlocking.
        let Ok(mut log) = state.log.try_lock() else {
            return;
        };
        let session = state.session.load(Ordering::Relaxed);
        drop(run_user(session, || log(LogLevel::from_raw(level), &text)));
    });
}

// --- Synchronize ---------------------------------------------------------------

type FinalizeFn = Box<dyn for<'a> FnOnce(&mut EntriesMut<'a>) + Send + 'static>;
type SyncDone = Box<dyn FnOnce(Result<(Synced, Entries)>, Option<Panic>) + Send + 'static>;

struct SyncOp {
    session: usize,
    /// The copy of the list given to the library, replaced by the written
    /// list on success.
    list: Mutex<Option<Entries>>,
    updated: Mutex<Vec<Entry>>,
    finalize: Mutex<Option<FinalizeFn>>,
    panic: Mutex<Option<Panic>>,
    done: Mutex<Option<SyncDone>>,
}

unsafe extern "C" fn sync_updated(
    user: *mut c_void,
    id: u32,
    seq: i64,
    value: *const u8,
    len: usize,
) {
    boundary(|| {
        // SAFETY: user is the SyncOp whose completion has not run yet.
        let op: Arc<SyncOp> = unsafe { borrow_op(user) };
        // SAFETY: value points to len bytes valid during the call.
        let value = unsafe { bytes(value, len) }.to_vec();
        lock(&op.updated).push(Entry { id, seq, value });
    });
}

unsafe extern "C" fn sync_finalize(user: *mut c_void, entries: *mut ffi::scout_entries) {
    boundary(|| {
        // SAFETY: user is the SyncOp whose completion has not run yet.
        let op: Arc<SyncOp> = unsafe { borrow_op(user) };
        let finalize = lock(&op.finalize).take();
        if let (Some(finalize), Some(raw)) = (finalize, NonNull::new(entries)) {
            // SAFETY: the handle is valid during this call, which outlives
            // the borrowed view; the view never frees it.
            let mut list = unsafe { EntriesMut::borrowed(raw) };
            keep_panic(&op.panic, run_user(op.session, || finalize(&mut list)));
        }
    });
}

unsafe extern "C" fn sync_finished(
    user: *mut c_void,
    status: ffi::scout_status,
    seq: i64,
    stored: u32,
    failed: u32,
) {
    boundary(|| {
        // SAFETY: the completion runs exactly once and owns the reference
        // the starter gave the library.
        let op = unsafe { Arc::from_raw(user as *const SyncOp) };
        let list = lock(&op.list).take();
        let result = check(status).and_then(|()| {
            let updated = std::mem::take(&mut *lock(&op.updated));
            list.map(|list| {
                (
                    Synced {
                        seq,
                        stored,
                        failed,
                        updated,
                    },
                    list,
                )
            })
            .ok_or_else(|| Error::from(ErrorCode::Internal))
        });
        let panic = lock(&op.panic).take();
        let done = lock(&op.done).take();
        if let Some(done) = done {
            drop(run_user(op.session, || done(result, panic)));
        }
    });
}

// --- Put and get ---------------------------------------------------------------

type OnceDone<T> = Box<dyn FnOnce(Result<T>) + Send + 'static>;

/// An operation with nothing but a completion.
struct OnceOp<T> {
    session: usize,
    done: Mutex<Option<OnceDone<T>>>,
}

impl<T> OnceOp<T> {
    fn new(session: usize, done: OnceDone<T>) -> *const OnceOp<T> {
        Arc::into_raw(Arc::new(OnceOp {
            session,
            done: Mutex::new(Some(done)),
        }))
    }

    /// The completion: releases the operation and calls its closure.
    ///
    /// # Safety
    ///
    /// `user` must be the pointer from [`OnceOp::new`], used once.
    unsafe fn complete(user: *mut c_void, result: impl FnOnce() -> Result<T>) {
        boundary(|| {
            // SAFETY: per the contract, the completion owns the reference.
            let op = unsafe { Arc::from_raw(user as *const OnceOp<T>) };
            let result = result();
            let done = lock(&op.done).take();
            if let Some(done) = done {
                drop(run_user(op.session, || done(result)));
            }
        });
    }
}

unsafe extern "C" fn put_finished(
    user: *mut c_void,
    status: ffi::scout_status,
    hash: *const u8,
    stored: u32,
) {
    // SAFETY: user is the OnceOp<Stored> given to scout_put; this is its
    // completion. hash points to HASH_SIZE bytes during the call.
    unsafe {
        OnceOp::<Stored>::complete(user, || {
            check(status)?;
            Ok(Stored {
                hash: hash_at(hash),
                stored,
            })
        })
    }
}

unsafe extern "C" fn get_received(
    user: *mut c_void,
    status: ffi::scout_status,
    msg: *const u8,
    len: usize,
    next: *const u8,
) {
    // SAFETY: user is the OnceOp given to scout_get; this is its
    // completion. msg (len bytes) and next (HASH_SIZE) are valid during the
    // call.
    unsafe {
        OnceOp::<(Vec<u8>, Hash)>::complete(user, || {
            check(status)?;
            Ok((bytes(msg, len).to_vec(), hash_at(next)))
        })
    }
}

// --- Get list ------------------------------------------------------------------

type MessageFn = Box<dyn FnMut(Message) + Send + 'static>;
type ListDone = Box<dyn FnOnce(Result<usize>, Option<Panic>) + Send + 'static>;

struct ListOp {
    session: usize,
    on_message: Mutex<Option<MessageFn>>,
    panic: Mutex<Option<Panic>>,
    done: Mutex<Option<ListDone>>,
}

unsafe extern "C" fn list_message(
    user: *mut c_void,
    hash: *const u8,
    msg: *const u8,
    len: usize,
    next: *const u8,
) {
    boundary(|| {
        // SAFETY: user is the ListOp whose completion has not run yet.
        let op: Arc<ListOp> = unsafe { borrow_op(user) };
        // SAFETY: hash and next point to HASH_SIZE bytes, msg to len bytes,
        // all valid during the call.
        let message = unsafe {
            Message {
                hash: hash_at(hash),
                body: bytes(msg, len).to_vec(),
                next: hash_at(next),
            }
        };
        // Taken out while it runs: a nested callback finds it absent
        // instead of waiting for the lock.
        let Some(mut on_message) = lock(&op.on_message).take() else {
            return;
        };
        let panicked = run_user(op.session, || on_message(message));
        if panicked.is_none() {
            lock(&op.on_message).get_or_insert(on_message);
        }
        keep_panic(&op.panic, panicked);
    });
}

unsafe extern "C" fn list_finished(user: *mut c_void, status: ffi::scout_status, count: usize) {
    boundary(|| {
        // SAFETY: the completion runs exactly once and owns the reference.
        let op = unsafe { Arc::from_raw(user as *const ListOp) };
        // The result (with the error's text) before anything else runs.
        let result = check(status).map(|()| count);
        lock(&op.on_message).take();
        let panic = lock(&op.panic).take();
        let done = lock(&op.done).take();
        if let Some(done) = done {
            drop(run_user(op.session, || done(result, panic)));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(a: [&str; 3]) -> [[u8; ffi::SCOUT_ADDR_STRLEN]; 3] {
        a.map(|s| {
            let mut b = [0u8; ffi::SCOUT_ADDR_STRLEN];
            b[..s.len()].copy_from_slice(s.as_bytes());
            b
        })
    }

    #[test]
    fn port_mapping_from_raw() {
        let a = addrs(["203.0.113.5:51413", "192.168.1.10:51413", "192.168.1.1"]);
        let m = PortMapping::from_raw(ffi::SCOUT_PORT_PROTOCOL_NATPMP, &a, 7200).unwrap();
        assert_eq!(m.protocol, PortProtocol::NatPmp);
        assert_eq!(m.external, "203.0.113.5:51413".parse().unwrap());
        assert_eq!(m.internal, "192.168.1.10:51413".parse().unwrap());
        assert_eq!(m.gateway, Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(m.lease, Duration::from_secs(7200));
        for bad in [
            PortMapping::from_raw(9, &a, 0),
            PortMapping::from_raw(1, &addrs(["[::1]:5", "192.168.1.10:1", "192.168.1.1"]), 0),
            PortMapping::from_raw(1, &addrs(["1.2.3.4:5", "192.168.1.10:1", ""]), 0),
        ] {
            assert_eq!(bad.map_err(|e| e.code()), Err(ErrorCode::Internal));
        }
        assert_eq!(PortMap::Off.to_raw(), ffi::SCOUT_PORT_MAP_OFF);
    }
}
