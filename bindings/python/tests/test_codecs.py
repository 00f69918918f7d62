"""Keys, entry lists, sealing and message blobs: behaviour and properties."""

from __future__ import annotations

import copy
from typing import List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scout

keys = st.binary(min_size=32, max_size=32)
hashes = st.binary(min_size=20, max_size=20)
ids = st.integers(0, 2**32 - 1)
seqs = st.integers(-(2**63), 2**63 - 1)
values = st.binary(max_size=255)
entry_lists = st.lists(st.tuples(ids, seqs, values), max_size=40, unique_by=lambda e: e[0])

FAST = settings(max_examples=60, deadline=None)


# -- keys -----------------------------------------------------------------------


def test_generate_keypair() -> None:
    sk, pk = scout.generate_keypair()
    assert len(sk) == len(pk) == scout.KEY_SIZE
    assert scout.public_key(sk) == pk
    assert scout.generate_keypair()[0] != sk


@FAST
@given(keys, keys)
def test_key_exchange_is_symmetric(a: bytes, b: bytes) -> None:
    pa, pb = scout.public_key(a), scout.public_key(b)
    assert scout.key_exchange(a, pb) == scout.key_exchange(b, pa)


@FAST
@given(keys)
def test_shared_secret_derivations(shared: bytes) -> None:
    target, pk = scout.shared_target(shared), scout.shared_signing_key(shared)
    assert len(target) == scout.HASH_SIZE and len(pk) == scout.KEY_SIZE
    sig = scout.mutable_sign(shared, 5, b"3:abc")
    scout.mutable_verify(pk, 5, b"3:abc", sig)
    with pytest.raises(scout.DecryptError):
        scout.mutable_verify(pk, 6, b"3:abc", sig)


def test_bytes_like_arguments() -> None:
    sk, pk = scout.generate_keypair()
    assert scout.public_key(bytearray(sk)) == pk
    assert scout.public_key(memoryview(sk)) == pk


# -- entry lists ----------------------------------------------------------------


def test_entries_mapping() -> None:
    with scout.Entries() as e:
        assert len(e) == 0 and list(e) == [] and 1 not in e
        assert e.assign(7, b"seven") == 1
        assert e.assign(3, b"three") == 1
        assert e.assign(7, b"SEVEN") == 2
        e.set(9, -5, b"")
        assert list(e) == [7, 3, 9]  # list order, not sorted
        assert e[7] == scout.Entry(7, 2, b"SEVEN")
        assert e[9] == (9, -5, b"")
        assert e.get(4) is None and 3 in e and "3" not in e and -1 not in e
        assert dict(e.items())[3].value == b"three"
        assert [x.id for x in e.values()] == [7, 3, 9]
        with pytest.raises(KeyError):
            e[4]
        del e[3]
        with pytest.raises(KeyError):
            e.remove(3)
        assert list(e) == [7, 9]
        assert "Entry(id=7, seq=2" in repr(e)


def test_entries_copy_is_independent() -> None:
    with scout.Entries([scout.Entry(1, 1, b"a")]) as a:
        b = copy.copy(a)
        with b:
            b.assign(2, b"b")
            assert a == scout.Entries([scout.Entry(1, 1, b"a")])
            assert a != b and len(b) == 2


def test_entries_limits() -> None:
    with scout.Entries() as e:
        e.assign(0, b"x" * 255)
        with pytest.raises(scout.TooLarge) as info:
            e.assign(1, b"x" * 256)
        assert isinstance(info.value, ValueError)
        for i in range(1, scout.MAX_ENTRIES):
            e.assign(i, b"")
        with pytest.raises(scout.TooLarge):
            e.assign(1000, b"")
        e.assign(5, b"update of an existing id still works")


def test_entries_closed() -> None:
    e = scout.Entries()
    e.close()
    e.close()  # idempotent
    assert e.closed and repr(e) == "Entries(<closed>)"
    for call in (lambda: len(e), lambda: e.assign(1, b""), lambda: e.serialize(), lambda: 1 in e):
        with pytest.raises(ValueError, match="closed"):
            call()


@FAST
@given(entry_lists)
def test_entries_round_trip(raw: List[Tuple[int, int, bytes]]) -> None:
    want = [scout.Entry(*r) for r in raw]
    with scout.Entries(want) as e:
        data = e.serialize()
    assert len(data) == 2 + sum(16 + len(v) for _, _, v in raw)
    parsed, consumed = scout.Entries.parse_prefix(data + b"trailing")
    with parsed:
        assert parsed.to_list() == want
        assert consumed == len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_entries_parse_never_crashes(data: bytes) -> None:
    try:
        parsed = scout.Entries.parse(data)
    except scout.InvalidArgument:
        return
    with parsed:
        assert parsed.to_list() is not None


# -- sealing --------------------------------------------------------------------


@FAST
@given(keys, st.binary(max_size=scout.MAX_PLAINTEXT))
def test_seal_round_trip(key: bytes, plaintext: bytes) -> None:
    sealed = scout.seal(key, plaintext)
    assert len(sealed) == len(plaintext) + scout.SEAL_OVERHEAD
    if len(sealed) < 41:  # the original refuses a seal of an empty plaintext
        with pytest.raises(scout.DecryptError):
            scout.open_sealed(key, sealed)
        return
    assert scout.open_sealed(key, sealed) == plaintext
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(scout.DecryptError):
        scout.open_sealed(key, bytes(tampered))


def test_seal_random_nonce() -> None:
    assert scout.seal(bytes(32), b"abc") != scout.seal(bytes(32), b"abc")
    with pytest.raises(scout.TooLarge):
        scout.seal(bytes(32), bytes(scout.MAX_PLAINTEXT + 1))
    with pytest.raises(ValueError):
        scout.seal(bytes(32), b"abc", nonce=bytes(23))


# -- message blobs and list heads -----------------------------------------------


@FAST
@given(hashes, st.binary(max_size=scout.MAX_MESSAGE_SIZE))
def test_message_round_trip(nxt: bytes, msg: bytes) -> None:
    blob = scout.encode_message(nxt, msg)
    assert len(blob) == len(msg) + 23
    assert scout.parse_message(blob + b"ignored") == scout.Message(msg, nxt)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100))
def test_message_parse_never_crashes(blob: bytes) -> None:
    try:
        msg, nxt = scout.parse_message(blob)
    except scout.InvalidArgument:
        return
    assert len(nxt) == 20 and len(msg) <= len(blob) - 23


@FAST
@given(st.lists(st.binary(max_size=50), max_size=5))
def test_list_head_chain(messages: List[bytes]) -> None:
    head = scout.ListHead()
    assert head.empty
    for m in messages:
        before = head.hash
        token = head.push_front(m)
        assert token == before
        assert head.hash == scout.message_hash(scout.encode_message(token, m))
    assert head.empty == (not messages)
    assert scout.ListHead(head.hash) == head and bytes(head) == head.hash
    assert hash(scout.ListHead(head)) == hash(head)


def test_list_head_too_large_leaves_head() -> None:
    head = scout.ListHead()
    head.push_front(b"one")
    before = head.hash
    with pytest.raises(scout.TooLarge):
        head.push_front(bytes(scout.MAX_MESSAGE_SIZE + 1))
    assert head.hash == before
