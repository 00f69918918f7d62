//! A session's statistics ([`Session::stats`](crate::Session::stats)), and
//! the options of address families and limits.
use std::ffi::{c_char, c_int, CStr};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::{ffi, Error, ErrorCode, Result};

/// Which DHTs a session joins ([`SessionBuilder::families`](crate::SessionBuilder::families)):
/// BEP 32 makes the IPv4 and the IPv6 DHT two DHTs, each with its own
/// nodes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Families {
    /// Both when the listen address's host is empty (no
    /// [`listen`](crate::SessionBuilder::listen), or `":PORT"`) and an
    /// IPv6 socket can be bound, both with
    /// [`listen_addr6`](crate::SessionBuilder::listen_addr6); otherwise the
    /// listen address's family.
    #[default]
    Auto,
    /// The IPv4 DHT alone.
    Ipv4,
    /// The IPv6 DHT alone.
    Ipv6,
    /// Both, an IPv4 and an IPv6 socket on one port: every put is written
    /// to both DHTs' closest nodes and every get asks both. The listen
    /// address, if set, is then the IPv4 one.
    DualStack,
}

impl Families {
    /// The library's number for the families (`SCOUT_FAMILIES_*`).
    pub fn to_raw(self) -> c_int {
        match self {
            Families::Auto => ffi::SCOUT_FAMILIES_AUTO,
            Families::Ipv4 => ffi::SCOUT_FAMILIES_IPV4,
            Families::Ipv6 => ffi::SCOUT_FAMILIES_IPV6,
            Families::DualStack => ffi::SCOUT_FAMILIES_DUAL_STACK,
        }
    }
}

/// What any one source (an IPv4 address, or an IPv6 /64) may ask of a
/// node, and the bytes it sends
/// ([`SessionBuilder::limits`](crate::SessionBuilder::limits)). Zero means
/// the default in every field; `Limits::default()` is all defaults, which
/// a public node can live with. [`Stats::rate_limited`] and
/// [`Stats::send_dropped`] count what they refuse.
///
/// ```
/// # use std::time::Duration;
/// let limits = scout::Limits { query_rate: 5.0, block: Duration::from_secs(10), ..Default::default() };
/// assert_eq!(limits.query_burst, 0); // the default, 100
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    /// The queries a second each source's token bucket refills with
    /// (0: 20). A negative, NaN or infinite rate is
    /// [`ErrorCode::InvalidArgument`].
    pub query_rate: f64,
    /// The bucket's size: the bursts a source may send (0: 100).
    pub query_burst: u32,
    /// How long a source over its rate is ignored, in whole milliseconds
    /// (zero: a minute).
    pub block: Duration,
    /// The bytes the node may send a second (0: no bound; the original
    /// libscout ran at 8,000).
    pub send_rate: u32,
    /// Apply the limits to loopback sources too, which are exempt by
    /// default (a test swarm is all on 127.0.0.1 or ::1).
    pub limit_loopback: bool,
}

/// Queries by KRPC method, one way ([`Stats::queries_in`],
/// [`Stats::queries_out`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QueryCounts {
    /// `ping`.
    pub ping: u64,
    /// `find_node`.
    pub find_node: u64,
    /// `get_peers`.
    pub get_peers: u64,
    /// `announce_peer`.
    pub announce_peer: u64,
    /// `get` (BEP 44).
    pub get: u64,
    /// `put` (BEP 44).
    pub put: u64,
    /// Any other method.
    pub unknown: u64,
}

impl QueryCounts {
    fn from_raw(counts: &[u64; ffi::SCOUT_QUERY_METHODS]) -> QueryCounts {
        let at = |m: ffi::scout_query_method| counts[m as usize];
        QueryCounts {
            ping: at(ffi::SCOUT_QUERY_PING),
            find_node: at(ffi::SCOUT_QUERY_FIND_NODE),
            get_peers: at(ffi::SCOUT_QUERY_GET_PEERS),
            announce_peer: at(ffi::SCOUT_QUERY_ANNOUNCE_PEER),
            get: at(ffi::SCOUT_QUERY_GET),
            put: at(ffi::SCOUT_QUERY_PUT),
            unknown: at(ffi::SCOUT_QUERY_UNKNOWN),
        }
    }

    /// Every method's name (as KRPC spells it, `"unknown"` for the rest)
    /// and count.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("ping", self.ping),
            ("find_node", self.find_node),
            ("get_peers", self.get_peers),
            ("announce_peer", self.announce_peer),
            ("get", self.get),
            ("put", self.put),
            ("unknown", self.unknown),
        ]
        .into_iter()
    }

    /// The sum over every method.
    pub fn total(&self) -> u64 {
        self.iter().map(|(_, n)| n).sum()
    }
}

/// A session's operations (put, get, get_list, synchronize, in every form;
/// not the rounds of keep and watch) by how they ended
/// ([`Stats::operations`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OperationStats {
    /// Succeeded.
    pub ok: u64,
    /// [`ErrorCode::NotFound`].
    pub not_found: u64,
    /// [`ErrorCode::Timeout`].
    pub timeout: u64,
    /// [`ErrorCode::Cancelled`] (cancelled, or the session stopped).
    pub cancelled: u64,
    /// [`ErrorCode::Conflict`].
    pub conflict: u64,
    /// Any other error.
    pub failed: u64,
}

/// A snapshot of what a session's node is doing
/// ([`Session::stats`](crate::Session::stats)). Counters count since the
/// session started and stay as they were once it stopped; everything is
/// zero before it starts. A dual-stack session's IPv4 and IPv6 nodes are
/// summed, but for the routing tables and the external addresses, which
/// are per family.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Stats {
    /// Every node in the IPv4 routing table (0 for an IPv6-only session).
    pub nodes: u32,
    /// Those that answered in the last 15 minutes.
    pub good_nodes: u32,
    /// Those to be pinged before they are trusted again.
    pub questionable_nodes: u32,
    /// Every node in the IPv6 routing table (BEP 32; 0 without IPv6).
    pub nodes6: u32,
    /// Its good nodes.
    pub good_nodes6: u32,
    /// Its questionable nodes.
    pub questionable_nodes6: u32,
    /// The items this node keeps for others.
    pub stored_items: u64,
    /// The bytes they cost.
    pub stored_bytes: u64,
    /// Queries this node answered, by method.
    pub queries_in: QueryCounts,
    /// Queries this node sent, by method.
    pub queries_out: QueryCounts,
    /// Replies to the queries sent.
    pub replies: u64,
    /// KRPC errors in answer to them.
    pub errors: u64,
    /// Queries that got no answer by the hard timeout.
    pub timeouts: u64,
    /// Queries sent again after their retransmission timeout.
    pub resent: u64,
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagrams sent.
    pub datagrams_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Datagrams refused as malformed.
    pub malformed: u64,
    /// Datagrams refused from a source over its rate ([`Limits`]).
    pub rate_limited: u64,
    /// Datagrams not sent because of the bound on bytes sent ([`Limits`]).
    pub send_dropped: u64,
    /// The IPv4 address other nodes see this node at (BEP 42's `ip` in
    /// their replies, once three agree); `None` while unknown.
    pub external_addr: Option<Ipv4Addr>,
    /// The IPv6 one, likewise.
    pub external_addr6: Option<Ipv6Addr>,
    /// Whether the node's id is a BEP 42 id for `external_addr` (taken
    /// when the address is public).
    pub id_secure: bool,
    /// The same for `external_addr6`.
    pub id_secure6: bool,
    /// The session's operations by outcome.
    pub operations: OperationStats,
}

impl Stats {
    /// The snapshot a filled `scout_stats` holds.
    pub(crate) fn from_raw(raw: &ffi::scout_stats) -> Result<Stats> {
        Ok(Stats {
            nodes: raw.nodes,
            good_nodes: raw.good_nodes,
            questionable_nodes: raw.questionable_nodes,
            nodes6: raw.nodes6,
            good_nodes6: raw.good_nodes6,
            questionable_nodes6: raw.questionable_nodes6,
            stored_items: raw.stored_items,
            stored_bytes: raw.stored_bytes,
            queries_in: QueryCounts::from_raw(&raw.queries_in),
            queries_out: QueryCounts::from_raw(&raw.queries_out),
            replies: raw.replies,
            errors: raw.errors,
            timeouts: raw.timeouts,
            resent: raw.resent,
            datagrams_in: raw.datagrams_in,
            datagrams_out: raw.datagrams_out,
            bytes_in: raw.bytes_in,
            bytes_out: raw.bytes_out,
            malformed: raw.malformed,
            rate_limited: raw.rate_limited,
            send_dropped: raw.send_dropped,
            external_addr: addr(&raw.external_addr)?,
            external_addr6: addr(&raw.external_addr6)?,
            id_secure: raw.id_secure != 0,
            id_secure6: raw.id_secure6 != 0,
            operations: OperationStats {
                ok: raw.ops_ok,
                not_found: raw.ops_not_found,
                timeout: raw.ops_timeout,
                cancelled: raw.ops_cancelled,
                conflict: raw.ops_conflict,
                failed: raw.ops_failed,
            },
        })
    }
}

/// An external address as `scout_stats` holds it: `None` for "".
fn addr<A: std::str::FromStr>(text: &[c_char; ffi::SCOUT_ADDR_STRLEN]) -> Result<Option<A>> {
    // SAFETY: c_char and u8 have the same size and alignment.
    let bytes = unsafe {
        &*(text as *const [c_char; ffi::SCOUT_ADDR_STRLEN]).cast::<[u8; ffi::SCOUT_ADDR_STRLEN]>()
    };
    let s = CStr::from_bytes_until_nul(bytes)
        .ok()
        .and_then(|c| c.to_str().ok());
    match s {
        Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            Error::new(
                ErrorCode::Internal,
                format!("scout: the library reported the external address {s:?}"),
            )
        }),
        None => Err(Error::new(
            ErrorCode::Internal,
            "scout: the library reported an external address without its NUL",
        )),
    }
}
