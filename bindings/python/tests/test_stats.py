"""Statistics and address families through the binding: Session.stats()
moves with what the session does and is zero before the start; an IPv6
swarm serves the sessions that join it or bootstrap from it, which see IPv6
nodes only; families= and limits= are checked, here and by the library,
and a send bound reaches the node."""

from __future__ import annotations

import ctypes
import dataclasses
import math
from ctypes import byref
from typing import Any, Callable

import pytest

import scout
from scout import _lib

from conftest import OP_TIMEOUT


def put_one(s: scout.Session, msg: bytes) -> bytes:
    head = scout.ListHead()
    token = head.push_front(msg)
    return s.put(token, msg)


def test_zero_before_the_start(swarm: scout.Swarm) -> None:
    with scout.Session(swarm, host="127.0.0.1", port=0, start=False) as s:
        st = s.stats()
        assert st == scout.Stats()
        assert st.queries_out == {m: 0 for m in scout.stats.METHODS.values()}
        assert st.external_addr is None and st.operations == scout.OperationStats()
        with pytest.raises(scout.WrongState):
            s.addrs


def test_stats_move_with_put_and_get(make_session: Callable[..., scout.Session]) -> None:
    s = make_session(read_only=True)
    before = s.stats()
    assert before.nodes > 0 and before.nodes6 == 0 and before.good_nodes <= before.nodes
    assert before.datagrams_out > 0 and before.bytes_out > before.datagrams_out

    h = put_one(s, b"counted once")
    assert s.get(h).message == b"counted once"
    with pytest.raises(scout.NotFound):
        s.get(bytes([0x5C]) * scout.HASH_SIZE)
    after = s.stats()
    assert after.queries_out["put"] > before.queries_out["put"]
    assert after.queries_out["get"] > before.queries_out["get"]
    assert after.queries_out["unknown"] == 0
    assert after.operations.ok == before.operations.ok + 2
    assert after.operations.not_found == before.operations.not_found + 1
    assert (after.operations.timeout, after.operations.failed) == (0, 0)
    assert before.replies < after.replies <= after.datagrams_in
    assert after.datagrams_out > before.datagrams_out and after.bytes_in > before.bytes_in
    # A read-only node answers nothing and keeps nothing.
    assert after.stored_items == 0 and after.queries_in["put"] == 0
    assert s.addrs == [s.addr]

    with pytest.raises(dataclasses.FrozenInstanceError):
        after.nodes = 0  # type: ignore[misc]

    s.stop()
    stopped = s.stats()
    assert stopped == s.stats()
    assert stopped.operations == after.operations


def test_a_full_node_answers_and_stores(make_session: Callable[..., scout.Session]) -> None:
    full = make_session(read_only=False)
    client = make_session(read_only=True)
    # The full node is one of the swarm's nodes + 1 candidates for each
    # item's closest eight: put until it holds something.
    st = full.stats()
    for i in range(40):
        if st.stored_items > 0:
            break
        put_one(client, b"item %d" % i)
        st = full.stats()
    assert st.stored_items > 0 and st.stored_bytes > 0 and st.queries_in["put"] > 0


def test_closed_session() -> None:
    s = scout.Session("", host="127.0.0.1", port=0, start=False)
    s.close()
    with pytest.raises(ValueError):
        s.stats()


def test_ipv6_swarm() -> None:
    with scout.Swarm(8, ipv6=True) as sw:
        assert sw.bootstrap.startswith("[::1]:")
        with sw.join(timeout=OP_TIMEOUT) as joined:
            h = put_one(joined, b"over IPv6")
            assert joined.get(h).message == b"over IPv6"
            st = joined.stats()
            assert st.nodes6 > 0 and st.good_nodes6 > 0 and st.nodes == 0
            assert st.operations.ok == 2
            assert joined.addrs[0].startswith("[::1]:")

            with scout.Session(sw, host="::1", port=0, timeout=OP_TIMEOUT) as s:
                assert s.get(h).message == b"over IPv6"
                assert s.addrs == [s.addr] and s.addr.startswith("[::1]:")
                st = s.stats()
                assert st.nodes6 > 0 and st.nodes == 0


@pytest.mark.parametrize(
    "families, kw",
    [
        (None, {"host": "127.0.0.1"}),
        ("auto", {"host": "127.0.0.1"}),
        ("ipv4", {"host": "127.0.0.1"}),
        (scout.Families.IPV4, {}),
        ("ipv6", {"host": "::1"}),
        (scout.Families.IPV6, {"host": "::1"}),
        ("dual-stack", {"host": "127.0.0.1", "listen_addr6": "[::1]:0"}),
    ],
)
def test_families_accepted(families: Any, kw: Any) -> None:
    with scout.Session("", port=0, families=families, start=False, **kw):
        pass


def test_dual_stack_listens_on_both() -> None:
    with scout.Session(
        "", host="127.0.0.1", port=0, listen_addr6="[::1]:0", families=scout.Families.DUAL_STACK
    ) as s:
        four, six = s.addrs
        assert four.startswith("127.0.0.1:") and six.startswith("[::1]:")
        assert s.addr == four


@pytest.mark.parametrize(
    "families, kw, error, match",
    [
        ("IPv4", {}, ValueError, "families must be one of"),
        ("both", {}, ValueError, "'dual-stack'"),
        (2, {}, TypeError, "families"),
        ("ipv6", {"host": "127.0.0.1"}, scout.InvalidArgument, "IPv6Only"),
        ("ipv4", {"host": "::1"}, scout.InvalidArgument, "IPv4Only"),
        ("auto", {"host": "127.0.0.1", "listen_addr6": "127.0.0.1:0"}, scout.InvalidArgument, "IPv6 listen"),
        ("auto", {"listen_addr6": b"[::1]:0"}, TypeError, "listen_addr6"),
    ],
)
def test_families_refused(families: Any, kw: Any, error: type, match: str) -> None:
    kw.setdefault("port", 0)
    with pytest.raises(error, match=match):
        scout.Session("", families=families, start=False, **kw)


@pytest.mark.parametrize(
    "limits, error",
    [
        (scout.Limits(query_rate=-1), ValueError),
        (scout.Limits(query_rate=math.nan), ValueError),
        (scout.Limits(query_rate=math.inf), ValueError),
        (scout.Limits(query_rate="fast"), TypeError),  # type: ignore[arg-type]
        (scout.Limits(query_burst=-1), ValueError),
        (scout.Limits(query_burst=2**32), ValueError),
        (scout.Limits(block=-1.0), ValueError),
        (scout.Limits(send_rate=1.5), TypeError),  # type: ignore[arg-type]
        ((20.0, 100), TypeError),
    ],
)
def test_limits_refused(limits: Any, error: type) -> None:
    with pytest.raises(error):
        scout.Session("", host="127.0.0.1", port=0, limits=limits, start=False)


def test_the_library_refuses_a_bad_rate_and_families() -> None:
    for field, value in (("query_rate", -1.0), ("query_rate", math.nan), ("families", 4)):
        opts = _lib.SessionOptions()
        assert _lib.LIB.scout_session_options_init(byref(opts)) == _lib.OK
        opts.bootstrap = b""
        setattr(opts, field, value)
        out = ctypes.c_void_p()
        assert _lib.LIB.scout_session_new(byref(opts), byref(out)) == _lib.INVALID_ARGUMENT
        assert not out.value


def test_a_send_bound_reaches_the_node(swarm: scout.Swarm) -> None:
    limits = scout.Limits(send_rate=1, query_rate=5, query_burst=10, block=1.0, limit_loopback=True)
    with scout.Session(swarm, host="127.0.0.1", port=0, limits=limits, timeout=2) as s:
        st = s.stats()
        # One byte a second: no datagram fits.
        assert st.send_dropped > 0 and st.datagrams_out == 0 and st.nodes == 0


def test_swarm_join_takes_limits(swarm: scout.Swarm) -> None:
    with swarm.join(timeout=OP_TIMEOUT, limits=scout.Limits(query_rate=50, query_burst=200)) as s:
        assert s.stats().nodes > 0
    with pytest.raises(TypeError):
        swarm.join(limits="none")  # type: ignore[arg-type]


def test_struct_layout() -> None:
    """The binding's structs are the header's: the appended fields where
    the library writes them, scout_stats of its first release's size."""
    assert ctypes.sizeof(_lib.Stats) == 448
    offsets = {f: getattr(_lib.Stats, f).offset for f in ("queries_out", "send_dropped", "external_addr6", "ops_failed")}
    assert offsets == {"queries_out": 112, "send_dropped": 256, "external_addr6": 328, "ops_failed": 440}
    assert _lib.SessionOptions.listen_addr6.offset == _lib.SessionOptions.refresh_on_read.offset + 4
    assert ctypes.sizeof(_lib.SessionOptions) == 128
    assert _lib.SwarmOptions.ipv6.offset == 64
    opts = _lib.SessionOptions()
    assert _lib.LIB.scout_session_options_init(byref(opts)) == _lib.OK
    assert opts.size == ctypes.sizeof(opts) and opts.families == 0 and opts.listen_addr6 is None
    sw = _lib.SwarmOptions()
    assert _lib.LIB.scout_swarm_options_init(byref(sw)) == _lib.OK
    assert sw.size == ctypes.sizeof(sw) and sw.ipv6 == 0


def test_a_short_struct_is_refused(swarm: scout.Swarm) -> None:
    with scout.Session(swarm, host="127.0.0.1", port=0, start=False) as s:
        raw = _lib.Stats()
        raw.size = ctypes.sizeof(raw) - 8
        raw.nodes = 7
        assert _lib.LIB.scout_session_stats(s._h(), byref(raw)) == _lib.INVALID_ARGUMENT
        assert "size" in scout.last_error()
        assert raw.nodes == 7  # nothing written
