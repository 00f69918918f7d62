"""Errors that say why, one operation cancelled through its future or its
asyncio task, a per-operation deadline, and a start that never blocks the
event loop.

The in-flight cases use a session whose peers are gone (their swarm was
closed after it joined): its lookups wait for answers that never come, so
an operation stays in flight long enough to cancel or to reach a short
deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import threading
import time
from typing import Callable, Iterator

import pytest

import scout
from scout import _callbacks

from conftest import WAIT

MakeSession = Callable[..., scout.Session]


@pytest.fixture
def stranded() -> Iterator[scout.Session]:
    """A session whose peers are gone."""
    swarm = scout.Swarm(8)
    s = scout.Session(swarm, host="127.0.0.1", timeout=30)
    swarm.close()
    try:
        yield s
    finally:
        s.close()


def wait_for(cond: Callable[[], bool], seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def dead_address() -> str:
    """A loopback UDP port nobody answers on."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % sock.getsockname()[1]


# ---------------------------------------------------------------------------
# Error text


def test_exceptions_carry_the_cause() -> None:
    with pytest.raises(scout.InvalidArgument) as info:
        scout.Session("127.0.0.1:6881,nowhere")
    text = str(info.value)
    assert text.startswith("scout_session_new: invalid argument: bootstrap node \"nowhere\""), text
    assert "missing port" in text
    with pytest.raises(scout.InvalidArgument, match=r"^scout_entries_parse: malformed entry list at byte \d+"):
        scout.Entries.parse(b"\x01\x00\x01")
    with pytest.raises(scout.InvalidArgument, match="of low order"):
        scout.key_exchange(os.urandom(32), bytes(32))
    assert scout.last_error().startswith("scout_key_exchange: ")


def test_completion_errors_carry_the_cause(session: scout.Session) -> None:
    with pytest.raises(scout.NotFound) as info:
        session.get(os.urandom(20))
    assert str(info.value).startswith("scout_get_op: not found"), str(info.value)
    fut = session.get_async(os.urandom(20))
    with pytest.raises(scout.NotFound, match="^scout_get_op: not found"):
        fut.result(WAIT)

    async def main() -> None:
        with pytest.raises(scout.NotFound, match="^scout_get_op: not found"):
            await session.aget(os.urandom(20))

    asyncio.run(main())


def test_error_text_of_a_stopped_session(make_session: MakeSession) -> None:
    s = make_session()
    fut = s.get_async(os.urandom(20))
    s.stop()
    try:
        fut.result(WAIT)
    except scout.Cancelled as e:
        assert str(e) == "scout_get_op: cancelled: the session was stopped"
    except scout.NotFound:
        pass  # it ended first
    with pytest.raises(scout.WrongState, match="^scout_get_op: the session is not running"):
        s.get(os.urandom(20))


# ---------------------------------------------------------------------------
# Cancelling one operation


def test_cancel_one_operation_through_its_future(stranded: scout.Session) -> None:
    before = _callbacks.registered_count()
    a = stranded.get_async(os.urandom(20))
    b = stranded.get_async(os.urandom(20))
    assert isinstance(a, concurrent.futures.Future)
    assert a.cancel()
    assert a.cancelled() and a.done()
    with pytest.raises(concurrent.futures.CancelledError):
        a.result(WAIT)
    assert not b.done()  # the other operation goes on
    assert a.cancel()  # cancelling again: still cancelled
    assert b.cancel()
    # The library completed both, CANCELLED, and the binding let go of them.
    assert wait_for(lambda: _callbacks.registered_count() == before)


def test_cancel_one_synchronize_the_session_goes_on(session: scout.Session) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_finalize(_: scout.Entries) -> None:
        started.set()
        release.wait(WAIT)

    with scout.Entries() as e:
        e.assign(1, b"mine")
        fut = session.synchronize_async(os.urandom(32), e, finalize=slow_finalize)
        assert started.wait(WAIT)
        assert fut.cancel()
        release.set()
        with pytest.raises(concurrent.futures.CancelledError):
            fut.result(WAIT)
        assert e[1].value == b"mine" and len(e) == 1  # left alone
    head = scout.ListHead()
    assert session.put(head.push_front(b"after"), b"after") == head.hash
    assert session.get(head.hash).message == b"after"


def test_cancel_through_an_asyncio_task(stranded: scout.Session) -> None:
    before = _callbacks.registered_count()

    async def main() -> None:
        task = asyncio.ensure_future(stranded.aget(os.urandom(20)))
        other = asyncio.ensure_future(stranded.aget(os.urandom(20)))
        await asyncio.sleep(0.05)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not other.done()
        other.cancel()
        with pytest.raises(asyncio.CancelledError):
            await other

    asyncio.run(main())
    assert wait_for(lambda: _callbacks.registered_count() == before)


def test_per_operation_deadline(stranded: scout.Session) -> None:
    t0 = time.monotonic()
    with pytest.raises(scout.Timeout, match="^scout_get_op: timed out"):
        stranded.get(os.urandom(20), timeout=0.3)
    took = time.monotonic() - t0
    assert 0.25 <= took < 10, took  # the session's deadline is 30 s

    async def main() -> None:
        with pytest.raises(scout.Timeout):
            await stranded.aget(os.urandom(20), timeout=0.2)

    asyncio.run(main())
    with pytest.raises(ValueError):
        stranded.get_async(os.urandom(20), timeout=0)


# ---------------------------------------------------------------------------
# Starting without blocking the event loop


def test_astart_never_blocks_the_loop() -> None:
    """A session whose bootstrap never answers takes seconds to join:
    astart runs that on a worker thread while the loop ticks, and
    cancelling it stops the join at once."""

    async def main() -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        s = scout.Session(dead_address(), host="127.0.0.1", start=False)
        joining = asyncio.ensure_future(s.astart())
        await asyncio.sleep(0.3)
        assert not joining.done()
        assert ticks >= 10, ticks  # the loop ran while it joined
        t0 = time.monotonic()
        joining.cancel()
        with pytest.raises(asyncio.CancelledError):
            await joining
        assert wait_for(lambda: s.closed, 5)  # the join stopped, the session closed
        assert time.monotonic() - t0 < 5
        t.cancel()

    asyncio.run(main())


def test_async_with(swarm: scout.Swarm) -> None:
    async def main() -> None:
        async with scout.Session(swarm, host="127.0.0.1", start=False) as alice:
            head = scout.ListHead()
            await alice.aput(head.push_front(b"async with"), b"async with")
            async with scout.open_session(swarm, host="127.0.0.1") as bob:
                assert (await bob.aget(head)).message == b"async with"
            assert bob.closed
            carol = await scout.open_session(swarm, host="127.0.0.1")
            try:
                assert (await carol.aget(head)).message == b"async with"
            finally:
                await carol.aclose()
        assert alice.closed

    asyncio.run(main())
    with pytest.raises(TypeError):
        scout.open_session(swarm, start=True)
