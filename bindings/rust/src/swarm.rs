//! The loopback swarm: real DHT nodes on 127.0.0.1 in this process,
//! optionally on an emulated internet (its WAN model).
use std::ffi::{c_char, c_int};
use std::fmt;
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::session::SessionBuilder;
use crate::{check, check_abi, ffi, read_buf, Error, ErrorCode, Result, Session};

/// The emulated internet a [`Swarm`] can run on
/// ([`SwarmBuilder::wan`]): each node gets an access delay drawn from a
/// lognormal distribution, so that the round trip between two nodes has
/// the median [`rtt`](Wan::rtt), a p99 about 3.6 times that and at most
/// [`max_rtt`](Wan::max_rtt); each datagram between two nodes is delayed
/// by both nodes' access delays plus jitter, and lost with probability
/// [`loss`](Wan::loss); nodes can die without a word ([`Swarm::kill`],
/// [`Swarm::set_dead`]). The delays and the choice of victims follow from
/// the [`seed`](Wan::seed). `Wan::new()` is a perfect network whose nodes
/// can still be killed.
///
/// The model sits between the swarm's nodes and the sessions made by
/// [`Swarm::join`]; a session given the swarm's bootstrap address reaches
/// the nodes directly, without delay or loss, even dead ones.
///
/// ```
/// # use std::time::Duration;
/// let wan = scout::Wan::new().rtt(Duration::from_millis(80)).loss(0.01).seed(7);
/// assert_eq!(wan.rtt, Duration::from_millis(80));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Wan {
    /// The median round trip between two nodes, in whole milliseconds
    /// (zero: no delay).
    pub rtt: Duration,
    /// The longest round trip (zero: 500 ms or 8 × `rtt`, whichever is
    /// more).
    pub max_rtt: Duration,
    /// Up to this fraction of a datagram's delay is added at random
    /// (0.2: up to 20 % more), so that datagrams can overtake each other.
    pub jitter: f64,
    /// The probability that a datagram is lost, each way: from 0 up to
    /// but not including 1.
    pub loss: f64,
    /// Seeds the delays and the choice of victims.
    pub seed: u64,
}

impl Wan {
    /// A perfect network: no delay, no loss.
    pub fn new() -> Wan {
        Wan::default()
    }

    /// Sets the median round trip.
    pub fn rtt(mut self, rtt: Duration) -> Wan {
        self.rtt = rtt;
        self
    }

    /// Sets the longest round trip.
    pub fn max_rtt(mut self, max_rtt: Duration) -> Wan {
        self.max_rtt = max_rtt;
        self
    }

    /// Sets the jitter, a fraction of each datagram's delay.
    pub fn jitter(mut self, jitter: f64) -> Wan {
        self.jitter = jitter;
        self
    }

    /// Sets the probability that a datagram is lost, each way.
    pub fn loss(mut self, loss: f64) -> Wan {
        self.loss = loss;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Wan {
        self.seed = seed;
        self
    }
}

/// Options of a new [`Swarm`], from [`Swarm::builder`].
#[must_use]
#[derive(Debug, Clone, Copy, Default)]
pub struct SwarmBuilder {
    nodes: u32,
    port: u16,
    wan: Option<Wan>,
    item_ttl: Option<Duration>,
    ipv6: bool,
}

impl SwarmBuilder {
    /// How many nodes to start (0, the default: 32).
    pub fn nodes(mut self, nodes: u32) -> Self {
        self.nodes = nodes;
        self
    }

    /// The first node's UDP port on 127.0.0.1, the others following
    /// (0, the default: the system chooses every port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Puts the swarm on the emulated internet `wan` describes.
    pub fn wan(mut self, wan: Wan) -> Self {
        self.wan = Some(wan);
        self
    }

    /// How long the nodes keep an item after it was last put (default: 2
    /// hours): a short one lets a test show in seconds what
    /// [`Session::keeper`](crate::Session::keeper) keeps alive.
    pub fn item_ttl(mut self, ttl: Duration) -> Self {
        self.item_ttl = Some(ttl);
        self
    }

    /// Runs the swarm on ::1, an IPv6 DHT (BEP 32), whose
    /// [`Swarm::bootstrap`] is `"[::1]:PORT"`: a session joins it with
    /// [`Swarm::join`], or with that bootstrap and a listen address of
    /// `"[::1]:0"`. Default: 127.0.0.1.
    pub fn ipv6(mut self, ipv6: bool) -> Self {
        self.ipv6 = ipv6;
        self
    }

    /// Starts the nodes and returns once they have joined. Blocks.
    /// [`ErrorCode::InvalidArgument`] for more than 16,384 nodes, ports
    /// past 65,535 or a WAN the library refuses (a loss of 1 or more, a
    /// negative or NaN jitter or loss, a round trip under 1 ms but not
    /// zero, or over `u32::MAX` ms); [`ErrorCode::Network`] if a socket
    /// cannot be bound, [`ErrorCode::Timeout`] if the nodes do not join
    /// within 2 minutes.
    pub fn start(self) -> Result<Swarm> {
        check_abi()?;
        let mut opts = ffi::scout_swarm_options {
            size: 0,
            nodes: 0,
            port: 0,
            wan: 0,
            rtt_ms: 0,
            max_rtt_ms: 0,
            jitter: 0.0,
            loss: 0.0,
            seed: 0,
            item_ttl_ms: 0,
            reserved: 0,
            ipv6: 0,
        };
        // SAFETY: opts is a valid, writable options struct.
        check(unsafe { ffi::scout_swarm_options_init(&mut opts) })?;
        opts.nodes = self.nodes;
        opts.port = self.port;
        opts.ipv6 = c_int::from(self.ipv6);
        if let Some(ttl) = self.item_ttl {
            opts.item_ttl_ms = millis("item_ttl", ttl)?;
        }
        if let Some(w) = self.wan {
            opts.wan = 1;
            opts.rtt_ms = millis("rtt", w.rtt)?;
            opts.max_rtt_ms = millis("max_rtt", w.max_rtt)?;
            opts.jitter = w.jitter;
            opts.loss = w.loss;
            opts.seed = w.seed;
        }
        let mut raw = ptr::null_mut();
        // SAFETY: opts is valid for the call; raw is a valid place for the
        // handle.
        check(unsafe { ffi::scout_swarm_start_opts(&opts, &mut raw) })?;
        NonNull::new(raw)
            .map(|raw| Swarm { raw, wan: self.wan })
            .ok_or_else(|| Error::from(ErrorCode::Internal))
    }
}

/// A duration in whole milliseconds for the library: zero, or from 1 ms
/// to `u32::MAX` ms.
fn millis(name: &str, d: Duration) -> Result<u32> {
    match u32::try_from(d.as_millis()) {
        Ok(0) if !d.is_zero() => Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("scout: the swarm's {name} {d:?} is under 1 ms"),
        )),
        Ok(ms) => Ok(ms),
        Err(_) => Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("scout: the swarm's {name} {d:?} is over u32::MAX milliseconds"),
        )),
    }
}

/// A set of DHT nodes on 127.0.0.1 in this process, for tests and local
/// development: pass [`Swarm::bootstrap`] to
/// [`SessionBuilder::bootstrap`](crate::SessionBuilder::bootstrap) and
/// sessions talk to each other without the public DHT. Dropping it stops
/// every node; sessions bootstrapped from it keep running but lose their
/// peers.
pub struct Swarm {
    raw: NonNull<ffi::scout_swarm>,
    wan: Option<Wan>,
}

// SAFETY: the header makes every handle thread-safe; the swarm is a
// registry id inside the library.
unsafe impl Send for Swarm {}
// SAFETY: as for Send.
unsafe impl Sync for Swarm {}

impl Swarm {
    /// Starts `nodes` nodes (0: 32) on ports the system chooses, and
    /// returns once they know each other. Blocks. [`ErrorCode::Network`] if a
    /// socket cannot be bound, [`ErrorCode::Timeout`] if the nodes do not join
    /// within 2 minutes.
    pub fn start(nodes: u32) -> Result<Swarm> {
        Swarm::start_at(nodes, 0)
    }

    /// Starts `nodes` nodes on consecutive UDP ports from `port` (0: the
    /// system chooses every port).
    pub fn start_at(nodes: u32, port: u16) -> Result<Swarm> {
        check_abi()?;
        let mut raw = ptr::null_mut();
        // SAFETY: raw is a valid place for the handle.
        check(unsafe { ffi::scout_swarm_start(nodes, port, &mut raw) })?;
        NonNull::new(raw)
            .map(|raw| Swarm { raw, wan: None })
            .ok_or_else(|| Error::from(ErrorCode::Internal))
    }

    /// Options for a new swarm: its size, its first port, and the
    /// emulated internet it may run on.
    ///
    /// ```no_run
    /// # fn main() -> scout::Result<()> {
    /// # use std::time::Duration;
    /// let swarm = scout::Swarm::builder()
    ///     .nodes(16)
    ///     .wan(scout::Wan::new().rtt(Duration::from_millis(80)).loss(0.01))
    ///     .start()?;
    /// let alice = swarm.join(scout::Session::builder())?; // on the WAN
    /// let dead = swarm.kill(0.25)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> SwarmBuilder {
        SwarmBuilder::default()
    }

    /// The emulated internet the swarm runs on, if any.
    pub fn wan(&self) -> Option<Wan> {
        self.wan
    }

    /// Starts a session that is one more node of the swarm: on its WAN if
    /// it has one (so that the model's delays, loss and deaths apply to
    /// it), joined through the first node, and started when this returns.
    /// Its node index is [`Session::swarm_index`]. `builder` sets what the
    /// swarm does not: its listen addresses, families and bootstrap must be
    /// left unset ([`ErrorCode::InvalidArgument`] otherwise). Dropping the swarm stops
    /// the session too (its operations then fail with
    /// [`ErrorCode::WrongState`]); drop it as any session.
    pub fn join(&self, builder: SessionBuilder) -> Result<Session> {
        builder.raw()?.create(Some(0), |opts, out, index| {
            // SAFETY: self.raw is live; opts and its strings are valid for
            // the call (the library copies them); out and index are valid
            // places for the handle and the index.
            unsafe { ffi::scout_swarm_join(self.raw.as_ptr(), opts, out, index) }
        })
    }

    /// Kills a fraction (0 to 1) of the swarm's nodes, joined sessions
    /// included, chosen from the WAN's seed among the live ones, never the
    /// first: a dead node hears nothing from, and is heard by none of, the
    /// swarm's nodes and joined sessions. Returns their node indices.
    /// [`ErrorCode::WrongState`] for a swarm without a WAN,
    /// [`ErrorCode::InvalidArgument`] for a fraction out of range.
    pub fn kill(&self, fraction: f64) -> Result<Vec<u32>> {
        let mut room = 0usize;
        // SAFETY: self.raw is live; a NULL buffer with room 0 asks for the
        // room to give, and kills nobody.
        let status = unsafe {
            ffi::scout_swarm_kill(self.raw.as_ptr(), fraction, ptr::null_mut(), &mut room)
        };
        if status != ffi::SCOUT_BUFFER_TOO_SMALL {
            check(status)?;
            return Ok(Vec::new());
        }
        let mut indices = vec![0u32; room];
        // SAFETY: self.raw is live; indices has room writable elements.
        check(unsafe {
            ffi::scout_swarm_kill(self.raw.as_ptr(), fraction, indices.as_mut_ptr(), &mut room)
        })?;
        indices.truncate(room);
        Ok(indices)
    }

    /// Kills node `index` (`dead` true) or brings it back.
    /// [`ErrorCode::WrongState`] for a swarm without a WAN,
    /// [`ErrorCode::InvalidArgument`] for an index that is no node.
    pub fn set_dead(&self, index: u32, dead: bool) -> Result<()> {
        // SAFETY: self.raw is live.
        check(unsafe { ffi::scout_swarm_set_dead(self.raw.as_ptr(), index, c_int::from(dead)) })
    }

    /// The address sessions join through, `"127.0.0.1:PORT"`
    /// (`"[::1]:PORT"` for an IPv6 swarm).
    pub fn bootstrap(&self) -> Result<String> {
        let mut bytes = read_buf(ffi::SCOUT_ADDR_STRLEN, |buf, len| {
            // SAFETY: self.raw is live; buf has *len writable bytes.
            unsafe { ffi::scout_swarm_bootstrap(self.raw.as_ptr(), buf.cast::<c_char>(), len) }
        })?;
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            bytes.truncate(nul);
        }
        String::from_utf8(bytes).map_err(|_| Error::from(ErrorCode::Internal))
    }

    /// Stops every node and frees the swarm; dropping it does the same.
    pub fn close(self) {
        drop(self)
    }

    /// The raw handle, for calls through [`ffi`]. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::scout_swarm {
        self.raw.as_ptr()
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        // SAFETY: we own the handle and never use it again; freeing blocks
        // until the nodes are closed.
        unsafe { ffi::scout_swarm_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Swarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Swarm")
            .field("bootstrap", &self.bootstrap().ok())
            .field("wan", &self.wan)
            .finish()
    }
}
