"""Tests of lt_node.py, the libtorrent side of the interop tests.

    /usr/bin/python3 -m pytest -q tests/interop/test_lt_node.py

Needs Debian's python3-libtorrent, python3-nacl and python3-pytest (the
driver always runs under /usr/bin/python3, see lt_client.PYTHON).  Loopback
only; about 5 s.  Every test runs twice: on 127.0.0.1, and on ::1 (--ipv6:
libtorrent's IPv6 DHT, BEP 32), which is skipped, with the reason, where the
machine has no IPv6 loopback."""

import hashlib
import os
import socket
import sys
import time

import pytest

# The driver always runs under /usr/bin/python3; this file needs PyNaCl too,
# which Debian's python3-nacl gives /usr/bin/python3 only.
nacl = pytest.importorskip(
    "nacl.signing", reason="run with /usr/bin/python3 -m pytest "
    "(apt-get install -y python3-libtorrent python3-nacl python3-pytest)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_client import LtDriver  # noqa: E402

NODES = 16
# Bound for a lookup that finds nothing: on a healthy loopback swarm it is
# ~1 ms; a 15 s libtorrent RPC timeout would mean a node is unreachable.
MISSING_BOUND_MS = 3000.0

# RFC 8032 section 7.1, test 1.
RFC_SEED = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PK = bytes.fromhex(
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def bstr(b):
    return str(len(b)).encode() + b":" + b


def sign_buffer(salt, seq, value):
    buf = (b"4:salt" + bstr(salt)) if salt else b""
    return buf + b"3:seqi%de1:v" % seq + bstr(value)


def ipv6_loopback():
    """None if a UDP socket can be bound on ::1, else why not."""
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError as e:
        return "cannot bind a UDP socket on ::1: %s" % e
    return None


@pytest.fixture(scope="module", params=["ipv4", "ipv6"])
def lt(request):
    ipv6 = request.param == "ipv6"
    if ipv6 and ipv6_loopback():
        pytest.skip("no IPv6 loopback: %s" % ipv6_loopback())
    try:
        d = LtDriver(nodes=NODES, ready_timeout=60, ipv6=ipv6)
    except Exception as e:
        pytest.fail("lt_node.py did not start (apt-get install -y "
                    "python3-libtorrent python3-nacl?): %s" % e)
    yield d
    assert d.close() == 0


def ok(r):
    assert r.get("ok"), r
    assert isinstance(r.get("ms"), float), r
    return r


def loopback_prefix(lt):
    return "[::1]:" if lt.ipv6 else "127.0.0.1:"


def test_ready_line(lt):
    assert len(lt.nodes) == NODES
    assert len(set(lt.nodes)) == NODES
    assert all(n.startswith(loopback_prefix(lt)) for n in lt.nodes)
    assert lt.ready["family"] == ("ipv6" if lt.ipv6 else "ipv4")
    assert lt.ready["complete"] is True
    assert min(lt.ready["table_sizes"]) >= NODES - 1


def test_table(lt):
    """Each node's table holds the others, at the family's loopback: on
    ::1 the nodes met over IPv6 (the DHT of an IPv6 socket holds only
    IPv6 nodes)."""
    for node in (0, NODES - 1):
        r = ok(lt.call("table", node=node))
        assert len(bytes.fromhex(r["node_id"])) == 20
        assert set(r["nodes"]) == set(lt.nodes) - {lt.nodes[node]}, r


def test_other_family_refused(lt):
    """An address of the other family is refused, not dropped silently."""
    other = "127.0.0.1:6881" if lt.ipv6 else "[::1]:6881"
    r = lt.call("add_nodes", nodes=[other])
    assert r["ok"] is False and "IPv" in r["error"], r


def test_stats(lt):
    r = ok(lt.call("stats"))
    assert len(r["table_sizes"]) == NODES
    assert min(r["table_sizes"]) >= NODES - 1


def test_immutable_across_nodes(lt):
    value = b"scout interop: immutable \x00\xff\x01"
    target = hashlib.sha1(bstr(value)).hexdigest()
    p = ok(lt.call("put_immutable", node=0, value_hex=value.hex()))
    assert p["target"] == target
    assert p["num_success"] >= 1
    for node in (1, 7, NODES - 1):
        g = ok(lt.call("get_immutable", node=node, target=target))
        assert g["found"] is True, g
        assert bytes.fromhex(g["value_hex"]) == value


def test_immutable_edge_values(lt):
    # empty, printable, binary, and the largest that fits: bencoded v must
    # be <= 1000 bytes, so "996:" + 996 bytes.
    for value in (b"", b"00", bytes(range(256)), b"\xab" * 996):
        p = ok(lt.call("put_immutable", node=2, value_hex=value.hex()))
        g = ok(lt.call("get_immutable", node=9, target=p["target"]))
        assert g["found"] and bytes.fromhex(g["value_hex"]) == value
    # one byte more is refused by every node
    p = lt.call("put_immutable", node=2, value_hex=(b"\xab" * 997).hex())
    assert p["ok"] is False and p["num_success"] == 0, p


def test_mutable_across_nodes_and_signature(lt):
    value = b"scout interop: mutable v1"
    p = ok(lt.call("put_mutable", node=3, seed_hex=RFC_SEED.hex(),
                   value_hex=value.hex(), salt_hex=""))
    # libtorrent derives the same public key from the expanded secret key
    # and signs exactly the BEP 44 buffer libsodium signs (ed25519 is
    # deterministic, so the signatures are byte-identical).
    assert p["public_key_hex"] == RFC_PK.hex()
    assert p["target"] == hashlib.sha1(RFC_PK).hexdigest()
    seq = p["seq"]
    assert seq >= 1
    want_sig = nacl.SigningKey(RFC_SEED).sign(
        sign_buffer(b"", seq, value)).signature
    assert p["signature_hex"] == want_sig.hex()
    for node in (4, 12):
        g = ok(lt.call("get_mutable", node=node,
                       public_key_hex=RFC_PK.hex(), salt_hex=""))
        assert g["found"] is True, g
        assert bytes.fromhex(g["value_hex"]) == value
        assert g["seq"] == seq
        assert g["authoritative"] is True
        assert g["sig_ok"] is True
        assert g["signature_hex"] == want_sig.hex()


def test_mutable_overwrite(lt):
    seed = bytes(range(32))
    pk = bytes(nacl.SigningKey(seed).verify_key).hex()
    seqs = []
    for i, node in enumerate((5, 6, 5)):
        value = b"version %d" % i
        p = ok(lt.call("put_mutable", node=node, seed_hex=seed.hex(),
                       value_hex=value.hex()))
        seqs.append(p["seq"])
        g = ok(lt.call("get_mutable", node=(node + 8) % NODES,
                       public_key_hex=pk))
        assert g["found"] and bytes.fromhex(g["value_hex"]) == value, g
        assert g["seq"] == p["seq"]
    # libtorrent always stores (highest seq it found) + 1
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def test_mutable_salt(lt):
    seed = b"\x07" * 32
    pk = bytes(nacl.SigningKey(seed).verify_key)
    # one UTF-8 salt, one that is not (the binding cannot decode that one
    # in its alerts; the driver copes)
    items = {b"salt-a": b"value a", b"\xff\x00\xfe": b"value b"}
    for salt, value in items.items():
        p = ok(lt.call("put_mutable", node=10, seed_hex=seed.hex(),
                       value_hex=value.hex(), salt_hex=salt.hex()))
        assert p["target"] == hashlib.sha1(pk + salt).hexdigest()
    for salt, value in items.items():
        g = ok(lt.call("get_mutable", node=1, public_key_hex=pk.hex(),
                       salt_hex=salt.hex()))
        assert g["found"] and bytes.fromhex(g["value_hex"]) == value, g
        assert g["sig_ok"] is True
    g = ok(lt.call("get_mutable", node=1, public_key_hex=pk.hex(),
                   salt_hex=b"other".hex()))
    assert g["found"] is False


def test_missing_targets_bounded(lt):
    t0 = time.monotonic()
    g = ok(lt.call("get_immutable", node=11, target=os.urandom(20).hex()))
    assert g["found"] is False
    assert g["ms"] < MISSING_BOUND_MS, g
    m = ok(lt.call("get_mutable", node=11,
                   public_key_hex=os.urandom(32).hex()))
    assert m["found"] is False and m["authoritative"] is True
    assert m["ms"] < MISSING_BOUND_MS, m
    assert time.monotonic() - t0 < 2 * MISSING_BOUND_MS / 1000.0


def test_pipelined_requests(lt):
    values = [os.urandom(40) for _ in range(24)]
    qs = [lt.send("put_immutable", node=i % NODES, value_hex=v.hex())
          for i, v in enumerate(values)]
    puts = [q.get(timeout=30) for q in qs]
    assert all(p["ok"] for p in puts), puts
    qs = [lt.send("get_immutable", node=(i + 5) % NODES, target=p["target"])
          for i, p in enumerate(puts)]
    gets = [q.get(timeout=30) for q in qs]
    assert [bytes.fromhex(g["value_hex"]) for g in gets] == values


def test_bad_requests(lt):
    r = lt.call("no_such_op")
    assert r["ok"] is False and "error" in r
    r = lt.call("get_immutable", node=NODES, target="00" * 20)
    assert r["ok"] is False
    r = lt.call("get_immutable", node=0, target="zz")
    assert r["ok"] is False
    # the driver still works afterwards
    ok(lt.call("stats"))


def test_bootstrap_second_swarm(lt):
    """--bootstrap joins external nodes (as a Go swarm would be joined)."""
    with LtDriver(nodes=4, bootstrap=[lt.nodes[0]], ready_timeout=30,
                  ipv6=lt.ipv6) as b:
        assert all(n.startswith(loopback_prefix(lt)) for n in b.nodes)
        assert min(b.ready["table_sizes"]) >= 4
        value = b"from the other swarm"
        p = ok(b.call("put_immutable", node=2, value_hex=value.hex()))
        g = ok(lt.call("get_immutable", node=13, target=p["target"]))
        assert g["found"] and bytes.fromhex(g["value_hex"]) == value
        r = ok(lt.call("add_nodes", nodes=[b.nodes[3]]))
        assert r["added"] == 1
