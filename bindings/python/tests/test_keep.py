"""Keeping, watching, removing: on a swarm whose nodes drop items after one
second, what Session.keep and keep_list keep is readable five seconds
later and what nobody keeps is gone; a watch (callbacks, for, async for)
sees a peer's change within two intervals and its removal; a removal
stays removed while both peers synchronize ten times."""

from __future__ import annotations

import asyncio
import time
from typing import Callable, List

import pytest

import scout
from conftest import OP_TIMEOUT, WAIT

MakeSession = Callable[..., scout.Session]


def shared_secret() -> bytes:
    a_sk, _ = scout.generate_keypair()
    _, b_pk = scout.generate_keypair()
    return scout.key_exchange(a_sk, b_pk)


def synced(session: scout.Session, shared: bytes, **values: bytes) -> scout.Entries:
    """Synchronizes entries id_N=value from session; returns the list written."""
    e = scout.Entries()
    for k, v in values.items():
        e.assign(int(k[len("id_") :]), v)
    return session.synchronize(shared, e)


def wait_for(pred: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not pred():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {WAIT} s")
        time.sleep(0.005)


def test_keep_outlives_the_item_lifetime() -> None:
    ttl = 1.0
    with scout.Swarm(16, item_ttl=ttl) as sw:
        opts = dict(host="127.0.0.1", port=0, timeout=OP_TIMEOUT, read_only=True)
        with scout.Session(sw, **opts) as alice:  # type: ignore[arg-type]
            kept, unkept = shared_secret(), shared_secret()
            synced(alice, kept, id_1=b"kept 10.0.0.1:4000").close()
            synced(alice, unkept, id_1=b"unkept 10.0.0.2:4000").close()
            head = scout.ListHead()
            for m in (b"kept one", b"kept two"):
                alice.put(head.push_front(m), m)
            lost = alice.put(scout.ListHead().push_front(b"nobody keeps this"), b"nobody keeps this")

            rounds: List[scout.KeepRound] = []
            with alice.keep(kept, interval=ttl / 4, on_round=rounds.append) as slot, alice.keep_list(
                head, interval=ttl / 4
            ) as lst:
                wait_for(lambda: slot.rounds > 0 and lst.rounds > 0, "first rounds")
                assert rounds[0].error is None and rounds[0].seq == 1 and rounds[0].stored > 0
                last = lst.last_round
                assert last is not None and last.error is None and last.items == 2
                listed = sorted(alice.kept(), key=lambda k: k.is_list)
                assert [k.is_list for k in listed] == [False, True]
                assert listed[0].target == scout.shared_target(kept)
                assert listed[1].target == head.hash and all(k.rounds > 0 and k.error is None for k in listed)

                time.sleep(5 * ttl)

                with scout.Session(sw, **opts) as bob:  # type: ignore[arg-type]
                    with scout.Entries() as got:
                        # A read that misses on a loaded machine is tried
                        # again: what is kept is found by one of three.
                        for _ in range(3):
                            bob.synchronize(kept, got)
                            if 1 in got:
                                break
                        assert got[1].value == b"kept 10.0.0.1:4000"
                    with scout.Entries() as got:
                        bob.synchronize(unkept, got)
                        assert len(got) == 0, "the list nobody keeps is gone"
                    for attempt in range(3):
                        try:
                            msgs = bob.get_list(head)
                            break
                        except scout.NotFound:
                            if attempt == 2:
                                raise
                    assert [m.message for m in msgs] == [b"kept two", b"kept one"]
                    with pytest.raises(scout.NotFound):
                        bob.get(lost)
            # Stopped on leaving the with: each ends once, without an error.
            slot.wait(WAIT)
            lst.wait(WAIT)
            assert slot.done and lst.done and alice.kept() == []
            n = len(rounds)
            time.sleep(0.5)
            assert len(rounds) == n, "a round after the keeper stopped"
            slot.stop()  # harmless


def test_keep_ends_with_its_session(make_session: MakeSession) -> None:
    s = make_session(read_only=True)
    k = s.keep(shared_secret(), interval=3600)
    wait_for(lambda: k.rounds > 0, "a round")
    last = k.last_round
    assert last is not None and isinstance(last.error, scout.NotFound)  # nothing stored there yet
    s.stop()
    k.wait(WAIT)
    with pytest.raises(scout.WrongState):
        s.keep(shared_secret())
    with pytest.raises(ValueError):
        s.keep_list(bytes(20), interval=0)
    with pytest.raises(scout.InvalidArgument):
        make_session().keep_list(bytes(20))


def test_watch_sees_a_change_and_a_removal(make_session: MakeSession) -> None:
    alice, bob = make_session(read_only=True), make_session(read_only=True)
    shared = shared_secret()
    mine = synced(alice, shared, id_1=b"laptop 10.0.0.5:4000", id_2=b"old phone")
    interval = 0.5
    removed: List[scout.Removed] = []
    with mine, bob.watch(shared, interval=interval, on_removed=removed.append) as w:
        changes = iter(w)
        first = next(changes)
        assert sorted(e.id for e in first.updated) == [1, 2] and first.removed == []
        assert first.entries[2].value == b"old phone" and w.entries[1].value == b"laptop 10.0.0.5:4000"

        mine.assign(1, b"laptop 10.0.0.9:4000")
        alice.synchronize(shared, mine)
        wrote = time.monotonic()
        change = next(changes)
        took = time.monotonic() - wrote
        assert took <= 2 * interval, f"the change took {took:.3f} s"
        assert change.updated == [scout.Entry(1, 2, b"laptop 10.0.0.9:4000")]

        mine.remove(2)
        alice.synchronize(shared, mine)
        change = next(changes)
        assert change.removed == [scout.Removed(2, 2)] == removed and change.updated == []
        assert 2 not in change.entries and 2 not in w.entries
    w.wait(WAIT)
    assert list(changes) == [], "the iteration ends once the watch stopped"


def test_awatch_async_for(make_session: MakeSession) -> None:
    alice, bob = make_session(read_only=True), make_session(read_only=True)
    shared = shared_secret()

    async def main() -> List[scout.WatchChange]:
        seen: List[scout.WatchChange] = []
        with scout.Entries() as mine:
            mine.assign(7, b"desk")
            await alice.asynchronize(shared, mine)
            async with bob.awatch(shared, interval=0.2) as w:
                async for change in w:
                    seen.append(change)
                    if len(seen) == 1:
                        mine.assign(7, b"desk 2")
                        await alice.asynchronize(shared, mine)
                    else:
                        break
            await asyncio.get_running_loop().run_in_executor(None, w.wait, WAIT)
        return seen

    seen = asyncio.run(main())
    assert [c.updated for c in seen] == [[scout.Entry(7, 1, b"desk")], [scout.Entry(7, 2, b"desk 2")]]


def test_removal_sticks(make_session: MakeSession) -> None:
    alice, bob = make_session(read_only=True), make_session(read_only=True)
    shared = shared_secret()
    mine = synced(alice, shared, id_1=b"alice laptop", id_2=b"alice old phone")
    stale = synced(bob, shared, id_11=b"bob desktop")  # holds entry 2
    assert 2 in stale
    mine.remove(2)
    assert 2 not in mine and len(mine) == 1
    with pytest.raises(KeyError):
        mine.remove(2)
    alice.synchronize(shared, mine)
    for _ in range(10):
        alice.synchronize(shared, mine, on_entry=lambda e: e.id != 2 or pytest.fail("alice told of 2"))
        theirs = stale.copy()
        bob.synchronize(shared, theirs, on_entry=lambda e: e.id != 2 or pytest.fail("bob told of 2"))
        assert 2 not in mine and 2 not in theirs and sorted(theirs) == [1, 11]
        theirs.close()
    # With show_removed, a peer is told of the removal: an empty value.
    carol = make_session(read_only=True, show_removed=True)
    told: List[scout.Entry] = []
    with scout.Entries() as fresh:
        carol.synchronize(shared, fresh, on_entry=told.append)
        assert sorted(fresh) == [1, 11]
    assert [e for e in told if e.id == 2] == [scout.Entry(2, 2, b"")]
    mine.close()
    stale.close()


def test_options_checked(make_session: MakeSession) -> None:
    with pytest.raises(TypeError):
        scout.Session(start=False, tombstone_ttl="1d")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        scout.Swarm(1, item_ttl=-1)
    s = make_session(read_only=True)
    with pytest.raises(TypeError):
        s.watch(shared_secret(), on_change=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.watch(shared_secret(), entries=[])  # type: ignore[arg-type]
    with s.watch(shared_secret(), interval=3600) as w:
        assert not w.done
    w.wait(WAIT)
    assert w.done
