"""scout_format.py: Scout's byte formats, written again in Python for the
libtorrent side of the interoperability tests.

This is a second, independent implementation of what Scout stores in the
DHT (it shares no code with the Go core): the entry list, its sealing
(XSalsa20-Poly1305 via PyNaCl's SecretBox), the mutable item's key pair
(ed25519 seeded with the shared secret), and the offline message blob. The
tests check it against ../../shared/vectors before using it against Scout.

Standard library and PyNaCl (Debian python3-nacl) only.
"""

import hashlib
import struct

import nacl.secret
import nacl.signing
import nacl.utils

ENTRIES_HEADER = 2
ENTRY_HEADER = 16
MESSAGE_HEADER = 23
MAX_SEALED_PLAINTEXT = 956
MAX_MESSAGE = 973


class FormatError(ValueError):
    """Bytes that are not a valid Scout entry list, sealed value or blob."""


def serialize_entries(entries):
    """entries: list of (id, seq, value bytes) -> the list's bytes."""
    if len(entries) > 255:
        raise FormatError("more than 255 entries")
    out = bytearray(struct.pack(">BB", len(entries), 0))
    for ident, seq, value in entries:
        if len(value) > 255:
            raise FormatError("value over 255 bytes")
        out += struct.pack(">qIHBB", seq, ident, 0, len(value), 0)
        out += value
    return bytes(out)


def parse_entries(data):
    """The list's bytes -> (entries, bytes consumed). Offsets are honoured,
    reserved bytes and trailing bytes ignored."""
    if len(data) < ENTRIES_HEADER:
        raise FormatError("short list header")
    count, offset = struct.unpack_from(">BB", data, 0)
    pos = ENTRIES_HEADER + offset
    entries = []
    for _ in range(count):
        if pos + ENTRY_HEADER > len(data):
            raise FormatError("short entry header")
        seq, ident, _reserved, length, coffset = struct.unpack_from(">qIHBB", data, pos)
        pos += ENTRY_HEADER + coffset
        if pos + length > len(data):
            raise FormatError("entry content runs past the end")
        entries.append((ident, seq, bytes(data[pos:pos + length])))
        pos += length
    if pos > len(data):
        raise FormatError("list runs past the end")
    return entries, pos


def seal(key, plaintext, nonce=None):
    """nonce(24) || secretbox(plaintext): the 'easy' layout, MAC first."""
    if len(plaintext) > MAX_SEALED_PLAINTEXT:
        raise FormatError("plaintext over 956 bytes")
    if nonce is None:
        nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext, nonce))


def open_sealed(key, sealed):
    if len(sealed) <= 40:
        raise FormatError("sealed value of 40 bytes or less")
    try:
        return nacl.secret.SecretBox(key).decrypt(sealed)
    except nacl.exceptions.CryptoError as e:
        raise FormatError("does not open: %s" % e) from None


def signing_public_key(shared):
    """The ed25519 public key whose seed is the shared secret."""
    return bytes(nacl.signing.SigningKey(shared).verify_key)


def mutable_target(shared):
    return hashlib.sha1(signing_public_key(shared)).digest()


def bencode_bytes(b):
    return b"%d:" % len(b) + b


def encode_message(next_hash, msg):
    if len(next_hash) != 20:
        raise FormatError("next hash is not 20 bytes")
    if len(msg) > MAX_MESSAGE:
        raise FormatError("message over 973 bytes")
    return next_hash + struct.pack(">HB", len(msg), 0) + msg


def parse_message(blob):
    """blob -> (message, next hash)."""
    if len(blob) < MESSAGE_HEADER:
        raise FormatError("short message header")
    length, offset = struct.unpack_from(">HB", blob, 20)
    start = MESSAGE_HEADER + offset
    if start + length > len(blob):
        raise FormatError("message runs past the end")
    return bytes(blob[start:start + length]), bytes(blob[:20])


def message_hash(blob):
    return hashlib.sha1(bencode_bytes(blob)).digest()
