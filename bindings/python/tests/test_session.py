"""Sessions on a loopback swarm: Alice and Bob, offline lists, the three
call styles (blocking, concurrent futures, asyncio), lifecycle and misuse."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from pathlib import Path
from typing import Callable, List

import pytest

import scout
from conftest import WAIT

MakeSession = Callable[..., scout.Session]


def test_session_basics(session: scout.Session, swarm: scout.Swarm) -> None:
    assert session.addr == f"127.0.0.1:{session.port}" and session.port > 0
    assert repr(session) == f"<scout.Session {session.addr}>"
    assert swarm.bootstrap.startswith("127.0.0.1:") and not swarm.closed
    session.close()
    session.close()  # idempotent
    assert session.closed and repr(session) == "<scout.Session closed>"
    with pytest.raises(ValueError, match="closed"):
        session.port
    with pytest.raises(ValueError, match="closed"):
        session.get(bytes(20))


def test_bootstrap_forms(make_session: MakeSession, swarm: scout.Swarm) -> None:
    with scout.Session([swarm.bootstrap], host="127.0.0.1", timeout=5) as s:
        assert s.port > 0
    with scout.Session(swarm.bootstrap, host="127.0.0.1", port=0, read_only=True) as s:
        assert s.port > 0


def test_state_file(tmp_path: Path, swarm: scout.Swarm) -> None:
    state = tmp_path / "dht.json"
    with scout.Session(swarm, host="127.0.0.1", state_path=state) as s:
        s.stop()  # saves the state
    assert state.exists() and state.stat().st_size > 0
    with scout.Session(swarm, host="127.0.0.1", state_path=os.fspath(state)) as s:
        assert s.port > 0


def test_alice_and_bob(make_session: MakeSession) -> None:
    alice_sk, alice_pk = scout.generate_keypair()
    bob_sk, bob_pk = scout.generate_keypair()
    shared = scout.key_exchange(alice_sk, bob_pk)
    assert shared == scout.key_exchange(bob_sk, alice_pk)
    alice, bob = make_session(), make_session()

    with scout.Entries() as mine:
        mine.assign(1, b"alice laptop 10.0.0.5:4000")
        seen: List[scout.Entry] = []
        out = alice.synchronize(shared, mine, on_entry=seen.append)
        assert out is mine and seen == []
        assert mine[1].value == b"alice laptop 10.0.0.5:4000"

        with scout.Entries() as theirs:
            theirs.assign(2, b"bob desktop 10.0.1.7:4000")
            seen_by_bob: List[scout.Entry] = []
            bob.synchronize(shared, theirs, on_entry=seen_by_bob.append)
            assert seen_by_bob == [scout.Entry(1, 1, b"alice laptop 10.0.0.5:4000")]
            assert sorted(theirs) == [1, 2]

        seen.clear()
        alice.synchronize(shared, mine, on_entry=seen.append)
        assert seen == [scout.Entry(2, 1, b"bob desktop 10.0.1.7:4000")]
        assert sorted(mine) == [1, 2]

        # Alice changes her entry; Bob, starting from nothing, reads it.
        mine.assign(1, b"alice phone")
        alice.synchronize(shared, mine)
        with scout.Entries() as fresh:
            bob.synchronize(shared, fresh)
            assert fresh[1] == scout.Entry(1, 2, b"alice phone")
            assert fresh[2].value == b"bob desktop 10.0.1.7:4000"


def test_finalize_changes_what_is_written(make_session: MakeSession) -> None:
    shared = os.urandom(32)
    a, b = make_session(), make_session()
    calls: List[List[scout.Entry]] = []
    kept: List[scout.Entries] = []

    def finalize(merged: scout.Entries) -> None:
        calls.append(merged.to_list())
        kept.append(merged)
        merged.assign(99, b"added in finalize")
        merged.remove(1)

    with scout.Entries() as mine:
        mine.assign(1, b"removed in finalize")
        a.synchronize(shared, mine, finalize=finalize)
        assert calls == [[scout.Entry(1, 1, b"removed in finalize")]]
        assert list(mine) == [99]
    # The list finalize received is valid during the call only.
    assert kept[0].closed
    with pytest.raises(ValueError):
        len(kept[0])
    with scout.Entries() as other:
        b.synchronize(shared, other)
        assert list(other) == [99]


def test_sync_too_large(session: scout.Session) -> None:
    with scout.Entries(scout.Entry(i, 1, bytes(255)) for i in range(4)) as big:
        with pytest.raises(scout.TooLarge):
            session.synchronize(os.urandom(32), big)


def test_offline_list(make_session: MakeSession) -> None:
    writer, reader = make_session(), make_session()
    head = scout.ListHead()
    texts = [b"first", b"", b"third, the newest " + bytes(900)]
    for t in texts:
        token = head.push_front(t)
        assert writer.put(token, t) == head.hash

    msg, nxt = reader.get(head.hash)
    assert msg == texts[-1]
    assert reader.get(nxt).message == texts[1]

    walk = reader.get_list(head)
    assert [m.message for m in walk] == texts[::-1]
    assert walk[0].hash == head.hash and walk[-1].next == scout.EMPTY_HEAD
    assert [m.hash for m in walk[1:]] == [m.next for m in walk[:-1]]
    assert [m.message for m in reader.get_list(head.hash, limit=2)] == texts[:0:-1]
    assert reader.get_list(scout.EMPTY_HEAD) == []


def test_vector_list_through_the_swarm(session: scout.Session) -> None:
    from vectors import h, load

    lst = load("messages")["list"]
    head = scout.ListHead()
    for step in lst["push_front"]:
        token = head.push_front(h(step["message"]))
        assert session.put(token, h(step["message"])) == h(step["head_after"])
    walk = session.get_list(h(lst["final_head"]))
    assert [(m.hash, m.message, m.next) for m in walk] == [
        (h(w["target"]), h(w["message"]), h(w["next_hash"])) for w in lst["walk"]
    ]


def test_not_found_and_partial_list(session: scout.Session) -> None:
    with pytest.raises(scout.NotFound) as info:
        session.get(os.urandom(20))
    assert isinstance(info.value, LookupError)

    # A list whose second message was never stored.
    head = scout.ListHead(os.urandom(20))
    token = head.push_front(b"stored")
    session.put(token, b"stored")
    with pytest.raises(scout.NotFound) as info2:
        session.get_list(head)
    assert [m.message for m in info2.value.messages] == [b"stored"]  # type: ignore[attr-defined]


def test_put_refuses_too_large_before_sending(session: scout.Session) -> None:
    with pytest.raises(scout.TooLarge):
        session.put(bytes(20), bytes(scout.MAX_MESSAGE_SIZE + 1))
    with pytest.raises(ValueError):
        session.put(bytes(19), b"x")
    with pytest.raises(TypeError):
        session.get("00" * 20)
    with pytest.raises(TypeError):
        session.synchronize(bytes(32), {1: b"x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        session.synchronize(bytes(32), scout.Entries(), on_entry="print")  # type: ignore[arg-type]


def test_futures(make_session: MakeSession) -> None:
    s = make_session()
    head = scout.ListHead()
    hashes = []
    for i in range(8):
        # One put at a time: the library's concurrent puts on one session
        # sometimes find no node (see the binding's report).
        token = head.push_front(b"m%d" % i)
        fut = s.put_async(token, b"m%d" % i)
        assert isinstance(fut, concurrent.futures.Future)
        hashes.append(fut.result(WAIT))
        assert not fut.cancel()  # it has ended: nothing to cancel
    assert hashes[-1] == head.hash
    gets = [s.get_async(hh) for hh in hashes]
    done, _ = concurrent.futures.wait(gets, WAIT)
    assert [f.result().message for f in gets] == [b"m%d" % i for i in range(8)]
    walk = s.get_list_async(head).result(WAIT)
    assert len(walk) == 8
    with scout.Entries() as e:
        e.assign(1, b"x")
        assert s.synchronize_async(os.urandom(32), e).result(WAIT) is e


def test_asyncio(make_session: MakeSession) -> None:
    s = make_session()

    async def main() -> None:
        head = scout.ListHead()
        tokens = [(head.push_front(b"a%d" % i), b"a%d" % i) for i in range(5)]
        hashes = [await s.aput(t, m) for t, m in tokens]  # one put at a time
        assert hashes[-1] == head.hash
        msgs = await asyncio.gather(*(s.aget(x) for x in hashes))
        assert [m.message for m in msgs] == [m for _, m in tokens]
        assert len(await s.aget_list(head)) == 5
        with scout.Entries() as e:
            e.assign(3, b"three")
            seen: List[scout.Entry] = []
            assert await s.asynchronize(os.urandom(32), e, on_entry=seen.append) is e
        with pytest.raises(scout.NotFound):
            await s.aget(os.urandom(20))
        # A cancelled wait does not disturb the operation or the loop.
        task = asyncio.ensure_future(s.aget(hashes[0]))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await s.aget(hashes[0])).message == b"a0"

    asyncio.run(main())


def test_stop_then_operations_fail(session: scout.Session) -> None:
    session.stop()
    session.stop()  # stopping a stopped session does nothing
    with pytest.raises(scout.WrongState) as info:
        session.put(bytes(20), b"x")
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(scout.WrongState):
        session.get_async(bytes(20))


def test_blocking_wait_timeout(session: scout.Session) -> None:
    import threading

    started, release = threading.Event(), threading.Event()

    def slow_finalize(_: scout.Entries) -> None:
        started.set()
        release.wait(WAIT)

    with scout.Entries() as e:
        fut = session.synchronize_async(os.urandom(32), e, finalize=slow_finalize)
        try:
            assert started.wait(WAIT)
            # Its completion waits behind the finalize holding the
            # dispatcher: the wait gives up a grace after the deadline.
            with pytest.raises(scout.Timeout, match="no result within"):
                session.get(os.urandom(20), timeout=0.05)
        finally:
            release.set()
        fut.result(WAIT)


def test_exit_with_sessions_open() -> None:
    """A program that ends with a swarm, a session and operations still
    open exits cleanly: the handles are freed at exit, pending operations
    are cancelled, no callback runs into a finalized interpreter."""
    import subprocess
    import sys

    code = """
import os, sys
sys.path.insert(0, sys.argv[1])
import scout
swarm = scout.Swarm(4)
s = scout.Session(swarm, host="127.0.0.1")
e = scout.Entries()
futures = [s.get_async(os.urandom(20)) for _ in range(5)]
futures.append(s.synchronize_async(os.urandom(32), e, on_entry=print, finalize=lambda l: None))
print("started", flush=True)
"""
    root = str(Path(scout.__file__).resolve().parent.parent)
    r = subprocess.run([sys.executable, "-c", code, root], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "started"
    assert "Traceback" not in r.stderr and "Exception" not in r.stderr, r.stderr
