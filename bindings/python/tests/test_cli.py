"""A Python peer and a `scout` command peer (Go, cmd/scout) on one loopback
swarm see each other's entries and messages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable, List

import scout

MakeSession = Callable[..., scout.Session]


def run(cli: str, swarm: scout.Swarm, *args: str) -> str:
    """Runs the command against the swarm; returns its stdout."""
    cmd = [cli, *args, "--bootstrap", swarm.bootstrap, "--no-state", "--listen", "127.0.0.1:0", "--timeout", "20s"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}"
    return r.stdout


def keys(cli: str, tmp_path: Path) -> Any:
    """Bob's key made by the command; Alice's by Python."""
    bob_key = tmp_path / "bob.key"
    r = subprocess.run([cli, "gen-key", str(bob_key)], capture_output=True, text=True, timeout=60, check=True)
    bob_pk = bytes.fromhex(r.stdout.strip())
    dumped = subprocess.run([cli, "dump-key", str(bob_key)], capture_output=True, text=True, timeout=60, check=True)
    assert dumped.stdout.strip() == bob_pk.hex()
    assert scout.public_key(bob_key.read_bytes()) == bob_pk  # 32 raw bytes
    alice_sk, alice_pk = scout.generate_keypair()
    return bob_key, bob_pk, alice_sk, alice_pk


def test_python_and_go_peers_share_entries(
    scout_cli: str, swarm: scout.Swarm, make_session: MakeSession, tmp_path: Path
) -> None:
    bob_key, bob_pk, alice_sk, alice_pk = keys(scout_cli, tmp_path)
    shared = scout.key_exchange(alice_sk, bob_pk)
    alice = make_session()

    with scout.Entries() as mine:
        mine.assign(1, b"python peer 10.0.0.5:4000")
        alice.synchronize(shared, mine)

        # Go reads Python's entry and adds its own.
        out = json.loads(run(scout_cli, swarm, "sync", str(bob_key), alice_pk.hex(), "2", "go peer", "--json"))
        got = {e["id"]: (e["seq"], bytes.fromhex(e["value_hex"])) for e in out["entries"]}
        assert got == {1: (1, b"python peer 10.0.0.5:4000"), 2: (1, b"go peer")}

        # Python reads Go's entry.
        seen: List[scout.Entry] = []
        alice.synchronize(shared, mine, on_entry=seen.append)
        assert seen == [scout.Entry(2, 1, b"go peer")]
        assert mine[2].value == b"go peer"

        # Text output: "ID SEQ VALUE" lines; Go's change reaches Python.
        text = run(scout_cli, swarm, "sync", str(bob_key), alice_pk.hex(), "2", "go peer, moved")
        assert "1 1 python peer 10.0.0.5:4000" in text.splitlines()
        assert "2 2 go peer, moved" in text.splitlines()
        seen.clear()
        alice.synchronize(shared, mine, on_entry=seen.append)
        assert seen == [scout.Entry(2, 2, b"go peer, moved")]


def test_python_and_go_peers_share_messages(
    scout_cli: str, swarm: scout.Swarm, make_session: MakeSession, tmp_path: Path
) -> None:
    s = make_session()
    head = scout.ListHead()
    for text in (b"older, from python", b"newer, from python"):
        s.put(head.push_front(text), text)

    walk = json.loads(run(scout_cli, swarm, "get", head.hash.hex(), "--all", "--json"))
    assert [m["message"] for m in walk] == ["newer, from python", "older, from python"]
    assert walk[-1]["next"] == scout.EMPTY_HEAD.hex()

    # The command pushes onto the same list (its head kept in a file).
    list_file = tmp_path / "inbox"
    list_file.write_text(head.hash.hex() + "\n")
    out = json.loads(run(scout_cli, swarm, "put", "newest, from go", "--list", str(list_file), "--json"))
    assert bytes.fromhex(out["token"]) == head.hash
    new_head = bytes.fromhex(out["hash"])
    assert list_file.read_text().strip() == new_head.hex()
    assert head.push_front(b"newest, from go") == bytes.fromhex(out["token"])
    assert head.hash == new_head  # both sides compute the same head

    msgs = s.get_list(new_head)
    assert [m.message for m in msgs] == [b"newest, from go", b"newer, from python", b"older, from python"]

