"""A swarm on the emulated WAN (round trips, jitter, loss, nodes that die)
through the binding: sessions joined to it put and read each other's
messages, a quarter of the nodes die, everything is still read; and the
misuse of the swarm's WAN functions."""

from __future__ import annotations

from typing import List

import pytest

import scout
from conftest import OP_TIMEOUT


def test_put_get_kill_a_quarter_still_read() -> None:
    wan = scout.WAN(rtt=0.02, jitter=0.1, loss=0.01, seed=7)
    with scout.Swarm(16, wan=wan) as swarm:
        assert swarm.wan == wan
        with swarm.join(timeout=OP_TIMEOUT, read_only=True) as a, swarm.join(
            timeout=OP_TIMEOUT, read_only=True
        ) as b:
            assert (a.swarm_index, b.swarm_index) == (16, 17)
            hashes: List[bytes] = []
            for i in range(8):
                msg = b"over the WAN %d" % i
                writer, reader = (a, b) if i % 2 == 0 else (b, a)
                hashes.append(writer.put(bytes(20), msg))
                assert reader.get(hashes[-1]).message == msg

            dead = swarm.kill(0.25)
            assert 18 // 4 <= len(dead) <= (18 + 3) // 4
            assert all(0 < i < 18 for i in dead) and len(set(dead)) == len(dead)

            with swarm.join(timeout=OP_TIMEOUT, read_only=True) as c:
                readers = [c] + [s for s in (a, b) if s.swarm_index not in dead]
                for i, h in enumerate(hashes):
                    for r in readers:
                        assert r.get(h).message == b"over the WAN %d" % i

                # A dead session reads nothing until it is brought back.
                swarm.set_dead(c)
                with pytest.raises((scout.Timeout, scout.NotFound, scout.NetworkError)):
                    c.get(hashes[0], timeout=1.5)
                swarm.set_dead(c, False)
                assert c.get(hashes[0]).message == b"over the WAN 0"


def test_wan_misuse(swarm: scout.Swarm) -> None:
    with pytest.raises(TypeError):
        scout.Swarm(2, wan="fast")  # type: ignore[arg-type]
    with pytest.raises(scout.InvalidArgument, match="WAN"):
        scout.Swarm(2, wan=scout.WAN(loss=1.0))
    with pytest.raises(ValueError, match="rtt"):
        scout.Swarm(2, wan=scout.WAN(rtt=-0.1))
    with pytest.raises(TypeError, match="loss"):
        scout.Swarm(2, wan=scout.WAN(loss="1%"))  # type: ignore[arg-type]

    # A plain swarm has no WAN to kill nodes on; it can still be joined.
    assert swarm.wan is None
    with pytest.raises(scout.WrongState, match="no emulated WAN"):
        swarm.kill(0.25)
    with pytest.raises(scout.WrongState):
        swarm.set_dead(1)
    with swarm.join() as s:
        assert s.swarm_index is not None and s.swarm_index >= 16
        assert s.get(s.put(bytes(20), b"joined")).message == b"joined"

    with scout.Swarm(2, wan=scout.WAN()) as perfect:
        with pytest.raises(ValueError, match="fraction"):
            perfect.kill(1.5)
        with pytest.raises(TypeError):
            perfect.kill(None)  # type: ignore[arg-type]
        with pytest.raises(scout.InvalidArgument, match="no node 7"):
            perfect.set_dead(7)
        with scout.Session(perfect, host="127.0.0.1", port=0, start=False) as plain:
            assert plain.swarm_index is None
            with pytest.raises(ValueError, match="Swarm.join"):
                perfect.set_dead(plain)
        assert perfect.kill(0.5) == [1]  # never the first node
        assert perfect.kill(0.5) == []  # nobody left but the first
        perfect.set_dead(1, False)
    with pytest.raises(ValueError, match="closed"):
        perfect.join()
