"""Every case of the shared wire-format vectors, through the binding."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import scout
from vectors import cases, h, ids, load


def bencode(b: bytes) -> bytes:
    return str(len(b)).encode() + b":" + b


def entries_of(raw: List[Dict[str, Any]]) -> List[scout.Entry]:
    return [scout.Entry(e["id"], e["seq"], h(e["content"])) for e in raw]


def param(file: str, section: str) -> Any:
    return pytest.mark.parametrize("case", cases(file, section), ids=ids(file, section))


# -- keypairs.json --------------------------------------------------------------


@param("keypairs", "keypairs")
def test_keypair(case: Dict[str, Any]) -> None:
    assert scout.public_key(h(case["secret_key"])) == h(case["public_key"])


@param("keypairs", "exchanges")
def test_exchange(case: Dict[str, Any]) -> None:
    assert scout.public_key(h(case["a_secret_key"])) == h(case["a_public_key"])
    assert scout.public_key(h(case["b_secret_key"])) == h(case["b_public_key"])
    assert scout.key_exchange(h(case["a_secret_key"]), h(case["b_public_key"])) == h(case["shared"])
    assert scout.key_exchange(h(case["b_secret_key"]), h(case["a_public_key"])) == h(case["shared"])


@param("keypairs", "public_key_high_bit")
def test_public_key_high_bit(case: Dict[str, Any]) -> None:
    assert scout.key_exchange(h(case["secret_key"]), h(case["public_key"])) == h(case["shared"])


@param("keypairs", "exchange_failures")
def test_exchange_failure(case: Dict[str, Any]) -> None:
    with pytest.raises(scout.InvalidArgument) as info:
        scout.key_exchange(h(case["secret_key"]), h(case["public_key"]))
    assert isinstance(info.value, ValueError)


# -- signing.json ---------------------------------------------------------------


@param("signing", "keys")
def test_signing_key(case: Dict[str, Any]) -> None:
    shared = h(case["shared_secret"])
    pk = scout.shared_signing_key(shared)
    assert pk == h(case["ed25519_public_key"])
    assert h(case["ed25519_secret_key"]) == shared + pk  # seed || public key
    assert scout.shared_target(shared) == h(case["target"])


@param("signing", "signatures")
def test_signature(case: Dict[str, Any]) -> None:
    shared, v, seq = h(case["shared_secret"]), h(case["bencoded_v"]), case["seq"]
    assert b"3:seqi%de1:v" % seq + v == h(case["signed_buffer"])
    assert scout.shared_signing_key(shared) == h(case["ed25519_public_key"])
    sig = scout.mutable_sign(shared, seq, v)
    assert sig == h(case["signature"])
    scout.mutable_verify(h(case["ed25519_public_key"]), seq, v, sig)


@param("signing", "bad_signatures")
def test_bad_signature(case: Dict[str, Any]) -> None:
    with pytest.raises(scout.DecryptError):
        scout.mutable_verify(h(case["ed25519_public_key"]), case["seq"], h(case["bencoded_v"]), h(case["signature"]))


@param("signing", "end_to_end")
def test_end_to_end(case: Dict[str, Any]) -> None:
    shared = scout.key_exchange(h(case["my_secret_key"]), h(case["peer_public_key"]))
    assert shared == h(case["shared_secret"])
    assert scout.shared_signing_key(shared) == h(case["ed25519_public_key"])
    assert scout.shared_target(shared) == h(case["target"])
    with scout.Entries(entries_of(case["entries"])) as entries:
        plaintext = entries.serialize()
    assert plaintext == h(case["plaintext"])
    v = bencode(scout.seal(shared, plaintext, nonce=h(case["nonce"])))
    assert v == h(case["bencoded_v"])
    assert scout.mutable_sign(shared, case["seq"], v) == h(case["signature"])


# -- entries.json ---------------------------------------------------------------


@param("entries", "entry_serialize")
def test_entry_serialize(case: Dict[str, Any]) -> None:
    entry = scout.Entry(case["id"], case["seq"], h(case["content"]))
    with scout.Entries([entry]) as entries:
        data = entries.serialize()
    # One entry without the list header (u8 count = 1, u8 offset = 0).
    assert data[:2] == b"\x01\x00"
    assert data[2:] == h(case["serialized"])


@param("entries", "lists")
def test_list_round_trip(case: Dict[str, Any]) -> None:
    want = entries_of(case["entries"])
    with scout.Entries(want) as entries:
        assert entries.serialize() == h(case["serialized"])
    parsed, consumed = scout.Entries.parse_prefix(h(case["serialized"]))
    with parsed:
        assert parsed.to_list() == want  # in order
        assert consumed == len(h(case["serialized"]))


@param("entries", "parse_only")
def test_list_parse_only(case: Dict[str, Any]) -> None:
    parsed, consumed = scout.Entries.parse_prefix(h(case["input"]))
    with parsed:
        assert parsed.to_list() == entries_of(case["entries"])
        assert consumed == case["consumed"]
        assert parsed.serialize() == h(case["canonical"])


@param("entries", "parse_invalid")
def test_list_parse_invalid(case: Dict[str, Any]) -> None:
    with pytest.raises(scout.InvalidArgument):
        scout.Entries.parse(h(case["input"]))


# -- sealed.json ----------------------------------------------------------------


@param("sealed", "cases")
def test_sealed(case: Dict[str, Any]) -> None:
    key, plaintext = h(case["key"]), h(case["plaintext"])
    sealed = scout.seal(key, plaintext, nonce=h(case["nonce"]))
    assert sealed == h(case["sealed"])
    assert len(sealed) == case["sealed_length"]
    v = bencode(sealed)
    assert v == h(case["bencoded_v"])
    assert len(v) == case["bencoded_length"]
    assert (len(v) <= load("limits")["bep44_max_bencoded_v"]) == case["fits_bep44"]
    assert scout.open_sealed(key, sealed) == plaintext
    with scout.Entries.parse(plaintext) as entries:
        assert entries.to_list() == entries_of(case["entries"])


@param("sealed", "open_failures")
def test_open_failure(case: Dict[str, Any]) -> None:
    with pytest.raises(scout.DecryptError):
        scout.open_sealed(h(case["key"]), h(case["sealed"]))


# -- messages.json --------------------------------------------------------------


@param("messages", "blobs")
def test_blob(case: Dict[str, Any]) -> None:
    msg, nxt, blob = h(case["message"]), h(case["next_hash"]), h(case["blob"])
    assert bencode(blob) == h(case["bencoded_v"])
    assert len(bencode(blob)) == case["bencoded_length"]
    assert scout.message_hash(blob) == h(case["target"])
    if case["fits_bep44"]:
        assert scout.encode_message(nxt, msg) == blob
        assert scout.parse_message(blob) == (msg, nxt)
    else:
        with pytest.raises(scout.TooLarge):
            scout.encode_message(nxt, msg)
        with pytest.raises(scout.TooLarge):
            scout.ListHead().push_front(msg)


@param("messages", "parse_only")
def test_blob_parse_only(case: Dict[str, Any]) -> None:
    assert scout.parse_message(h(case["blob"])) == (h(case["message"]), h(case["next_hash"]))


@param("messages", "parse_invalid")
def test_blob_parse_invalid(case: Dict[str, Any]) -> None:
    with pytest.raises(scout.InvalidArgument):
        scout.parse_message(h(case["blob"]))


def test_message_list() -> None:
    lst = load("messages")["list"]
    head = scout.ListHead()
    assert head.hash == h(lst["empty_head"]) == scout.EMPTY_HEAD
    for step in lst["push_front"]:
        assert head.hash == h(step["head_before"])
        token = head.push_front(h(step["message"]))
        assert token == h(step["token"])
        blob = scout.encode_message(token, h(step["message"]))
        assert blob == h(step["blob"])
        assert bencode(blob) == h(step["bencoded_v"])
        assert head.hash == h(step["head_after"]) == scout.message_hash(blob)
    assert head.hash == h(lst["final_head"])

    blobs = {scout.message_hash(h(s["blob"])): h(s["blob"]) for s in lst["push_front"]}
    target = head.hash
    for step in lst["walk"]:
        assert target == h(step["target"])
        msg, target = scout.parse_message(blobs[target])
        assert msg == h(step["message"])
        assert target == h(step["next_hash"])
    assert target == scout.EMPTY_HEAD


# -- limits.json ----------------------------------------------------------------


def test_limit_constants() -> None:
    lim = load("limits")
    assert scout.KEY_SIZE == lim["key_size"]
    assert scout.HASH_SIZE == lim["hash_size"]
    assert scout.SIGNATURE_SIZE == lim["ed25519_signature_size"]
    assert scout.NONCE_SIZE == lim["nonce_size"]
    assert scout.SEAL_OVERHEAD == lim["seal_overhead"] == lim["nonce_size"] + lim["mac_size"]
    assert scout.MAX_VALUE_SIZE == lim["entry_max_content_length"]
    assert scout.MAX_ENTRIES == lim["entry_list_max_count"]
    assert scout.MAX_PLAINTEXT == lim["max_sealed_plaintext"]
    assert scout.MAX_MESSAGE_SIZE == lim["max_message_length"]
    from scout import _lib

    assert _lib.ENTRIES_HEADER_SIZE == lim["entries_header_size"]
    assert _lib.ENTRY_HEADER_SIZE == lim["entry_header_size"]
    assert _lib.MIN_SEALED_SIZE == lim["min_sealed_length_accepted"]
    assert _lib.MAX_SEALED_SIZE == lim["max_sealed_length"]
    assert _lib.MESSAGE_HEADER_SIZE == lim["msg_header_size"]
    assert _lib.MAX_BLOB_SIZE == lim["max_message_blob_length"]


def test_limit_entry_counts() -> None:
    lim = load("limits")
    key = bytes(32)

    def sealable(n: int, size: int) -> bool:
        with scout.Entries(scout.Entry(i, 1, b"v" * size) for i in range(n)) as entries:
            data = entries.serialize()
        try:
            scout.seal(key, data)
        except scout.TooLarge:
            return False
        return True

    n = lim["max_entries_empty_content_sealable"]
    assert sealable(n, 0) and not sealable(n + 1, 0)
    n = lim["max_entries_content_255_sealable"]
    assert sealable(n, 255) and not sealable(n + 1, 255)


@pytest.mark.parametrize(
    "case",
    load("limits")["examples"],
    ids=[f"{c['kind']}_{c['length']}" for c in load("limits")["examples"]],
)
def test_limit_example(case: Dict[str, Any]) -> None:
    data = b"x" * case["length"]
    if case["kind"] == "message":
        make = lambda: scout.encode_message(scout.EMPTY_HEAD, data)  # noqa: E731
    else:
        make = lambda: scout.seal(bytes(32), data)  # noqa: E731
    if case["fits"]:
        assert len(bencode(make())) == case["bencoded_v_length"]
    else:
        with pytest.raises(scout.TooLarge):
            make()
