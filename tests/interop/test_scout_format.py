"""The independent Python implementation of Scout's formats
(scout_format.py) against the shared vectors, before the interop tests
trust it. Run with /usr/bin/python3 -m pytest."""

import json
import os
import pathlib

import pytest

import scout_format as sf


def vectors_dir():
    if os.environ.get("SCOUT_VECTORS"):
        return pathlib.Path(os.environ["SCOUT_VECTORS"])
    here = pathlib.Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "vectors"
        if (candidate / "entries.json").exists():
            return candidate
    raise RuntimeError("no shared/vectors found; set SCOUT_VECTORS")


def load(name):
    return json.loads((vectors_dir() / name).read_text())


def entries_of(case):
    return [(e["id"], e["seq"], bytes.fromhex(e["content"])) for e in case["entries"]]


ENTRIES = load("entries.json")
SEALED = load("sealed.json")
MESSAGES = load("messages.json")
SIGNING = load("signing.json")


@pytest.mark.parametrize("case", ENTRIES["lists"], ids=lambda c: c["name"])
def test_lists(case):
    data = bytes.fromhex(case["serialized"])
    assert sf.serialize_entries(entries_of(case)) == data
    assert sf.parse_entries(data) == (entries_of(case), len(data))


@pytest.mark.parametrize("case", ENTRIES["parse_only"], ids=lambda c: c["name"])
def test_parse_only(case):
    entries, consumed = sf.parse_entries(bytes.fromhex(case["input"]))
    assert (entries, consumed) == (entries_of(case), case["consumed"])
    assert sf.serialize_entries(entries).hex() == case["canonical"]


@pytest.mark.parametrize("case", ENTRIES["parse_invalid"], ids=lambda c: c["name"])
def test_parse_invalid(case):
    with pytest.raises(sf.FormatError):
        sf.parse_entries(bytes.fromhex(case["input"]))


@pytest.mark.parametrize("case", SEALED["cases"], ids=lambda c: c["name"])
def test_sealed(case):
    key, nonce = bytes.fromhex(case["key"]), bytes.fromhex(case["nonce"])
    plaintext = bytes.fromhex(case["plaintext"])
    sealed = sf.seal(key, plaintext, nonce)
    assert sealed.hex() == case["sealed"]
    assert sf.bencode_bytes(sealed).hex() == case["bencoded_v"]
    assert sf.open_sealed(key, sealed) == plaintext
    assert sf.parse_entries(plaintext)[0] == entries_of(case)


@pytest.mark.parametrize("case", SEALED["open_failures"], ids=lambda c: c["name"])
def test_open_failures(case):
    with pytest.raises(sf.FormatError):
        sf.open_sealed(bytes.fromhex(case["key"]), bytes.fromhex(case["sealed"]))


@pytest.mark.parametrize("case", SIGNING["keys"], ids=lambda c: c["name"])
def test_signing_keys(case):
    shared = bytes.fromhex(case["shared_secret"])
    assert sf.signing_public_key(shared).hex() == case["ed25519_public_key"]
    assert sf.mutable_target(shared).hex() == case["target"]


@pytest.mark.parametrize("case", MESSAGES["blobs"], ids=lambda c: c["name"])
def test_blobs(case):
    msg, nxt = bytes.fromhex(case["message"]), bytes.fromhex(case["next_hash"])
    if not case["fits_bep44"]:
        with pytest.raises(sf.FormatError):
            sf.encode_message(nxt, msg)
        return
    blob = sf.encode_message(nxt, msg)
    assert blob.hex() == case["blob"]
    assert sf.message_hash(blob).hex() == case["target"]
    assert sf.parse_message(blob) == (msg, nxt)


@pytest.mark.parametrize("case", MESSAGES["parse_invalid"], ids=lambda c: c["name"])
def test_blob_invalid(case):
    with pytest.raises(sf.FormatError):
        sf.parse_message(bytes.fromhex(case["blob"]))
