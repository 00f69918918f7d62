"""A session's statistics: what :meth:`Session.stats` returns.

Counters count since the session started and stay as they were once it
stopped; everything is zero before it starts. A dual-stack session's IPv4
and IPv6 nodes are summed, but for the routing tables and the external
addresses, which are per family. Reading them costs a few atomic loads in
the library and one pass over each routing table.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Dict, Optional

from . import _lib

__all__ = ["METHODS", "OperationStats", "Stats"]

#: The KRPC methods counted in :attr:`Stats.queries_in` and
#: :attr:`Stats.queries_out`, by their index in the C struct.
METHODS: Dict[int, str] = {
    _lib.QUERY_PING: "ping",
    _lib.QUERY_FIND_NODE: "find_node",
    _lib.QUERY_GET_PEERS: "get_peers",
    _lib.QUERY_ANNOUNCE_PEER: "announce_peer",
    _lib.QUERY_GET: "get",
    _lib.QUERY_PUT: "put",
    _lib.QUERY_UNKNOWN: "unknown",
}


def _zero_methods() -> Dict[str, int]:
    return {name: 0 for name in METHODS.values()}


@dataclass(frozen=True)
class OperationStats:
    """The session's operations (put, get, get_list, synchronize, in every
    form; not the rounds of keep and watch) by how they ended."""

    ok: int = 0
    #: Raised :class:`~scout.NotFound`.
    not_found: int = 0
    #: Raised :class:`~scout.Timeout`.
    timeout: int = 0
    #: Raised :class:`~scout.Cancelled` (cancelled, or the session stopped).
    cancelled: int = 0
    #: Raised :class:`~scout.Conflict`.
    conflict: int = 0
    #: Any other error.
    failed: int = 0


@dataclass(frozen=True)
class Stats:
    """A snapshot of what a session's node is doing."""

    #: The IPv4 routing table: every node in it, the good ones (answered in
    #: the last 15 minutes), the questionable ones (to be pinged before they
    #: are trusted again). 0 for an IPv6-only session.
    nodes: int = 0
    good_nodes: int = 0
    questionable_nodes: int = 0
    #: The IPv6 routing table (BEP 32), likewise. 0 without IPv6.
    nodes6: int = 0
    good_nodes6: int = 0
    questionable_nodes6: int = 0
    #: The items this node keeps for others, and the bytes they cost.
    stored_items: int = 0
    stored_bytes: int = 0
    #: Queries answered by this node and sent by it, by method: every name
    #: of :data:`METHODS` is a key.
    queries_in: Dict[str, int] = field(default_factory=_zero_methods)
    queries_out: Dict[str, int] = field(default_factory=_zero_methods)
    #: What became of the queries sent: replies, KRPC errors, no answer by
    #: the hard timeout; and how many were sent again after their
    #: retransmission timeout.
    replies: int = 0
    errors: int = 0
    timeouts: int = 0
    resent: int = 0
    #: Datagrams and bytes, each way.
    datagrams_in: int = 0
    datagrams_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    #: Datagrams refused: malformed, from a source over its rate limit, not
    #: sent because of the bound on bytes sent (:class:`~scout.Limits`).
    malformed: int = 0
    rate_limited: int = 0
    send_dropped: int = 0
    #: The external addresses other nodes see this node at (BEP 42, once
    #: three agree), without a port; ``None`` while unknown.
    external_addr: Optional[str] = None
    external_addr6: Optional[str] = None
    #: Whether the node's id is a BEP 42 id for that address.
    id_secure: bool = False
    id_secure6: bool = False
    #: The session's operations by outcome.
    operations: OperationStats = field(default_factory=OperationStats)


def _from_c(raw: _lib.Stats) -> Stats:
    """The Stats that a filled scout_stats holds."""

    def by_method(counts: "ctypes.Array[ctypes.c_uint64]") -> Dict[str, int]:
        return {name: int(counts[i]) for i, name in METHODS.items()}

    def addr(text: bytes) -> Optional[str]:
        return text.decode("ascii", "replace") or None

    return Stats(
        nodes=raw.nodes,
        good_nodes=raw.good_nodes,
        questionable_nodes=raw.questionable_nodes,
        nodes6=raw.nodes6,
        good_nodes6=raw.good_nodes6,
        questionable_nodes6=raw.questionable_nodes6,
        stored_items=raw.stored_items,
        stored_bytes=raw.stored_bytes,
        queries_in=by_method(raw.queries_in),
        queries_out=by_method(raw.queries_out),
        replies=raw.replies,
        errors=raw.errors,
        timeouts=raw.timeouts,
        resent=raw.resent,
        datagrams_in=raw.datagrams_in,
        datagrams_out=raw.datagrams_out,
        bytes_in=raw.bytes_in,
        bytes_out=raw.bytes_out,
        malformed=raw.malformed,
        rate_limited=raw.rate_limited,
        send_dropped=raw.send_dropped,
        external_addr=addr(raw.external_addr),
        external_addr6=addr(raw.external_addr6),
        id_secure=bool(raw.id_secure),
        id_secure6=bool(raw.id_secure6),
        operations=OperationStats(
            ok=raw.ops_ok,
            not_found=raw.ops_not_found,
            timeout=raw.ops_timeout,
            cancelled=raw.ops_cancelled,
            conflict=raw.ops_conflict,
            failed=raw.ops_failed,
        ),
    )
