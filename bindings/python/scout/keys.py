"""X25519 key pairs, the shared secret, and what the secret derives.

Two peers that exchange public keys compute the same 32-byte shared secret
with :func:`key_exchange`; it identifies, seals and signs their entry list
(:meth:`scout.Session.synchronize`). Every key is ``bytes`` of
:data:`KEY_SIZE`; every function checks sizes before calling the library.
"""

from __future__ import annotations

from ctypes import create_string_buffer
from typing import Tuple

from . import _lib
from ._util import as_bytes, fixed, i64
from .errors import check

__all__ = [
    "KEY_SIZE",
    "HASH_SIZE",
    "SIGNATURE_SIZE",
    "generate_keypair",
    "public_key",
    "key_exchange",
    "shared_target",
    "shared_signing_key",
    "mutable_sign",
    "mutable_verify",
]

KEY_SIZE = _lib.KEY_SIZE
HASH_SIZE = _lib.HASH_SIZE
SIGNATURE_SIZE = _lib.SIGNATURE_SIZE

_L = _lib.LIB


def generate_keypair() -> Tuple[bytes, bytes]:
    """Generates a new X25519 key pair from the system's random source.

    Returns:
        ``(secret_key, public_key)``, 32 bytes each.
    """
    sk = create_string_buffer(KEY_SIZE)
    pk = create_string_buffer(KEY_SIZE)
    check(_L.scout_generate_keypair(sk, pk), "generate_keypair")
    return sk.raw, pk.raw


def public_key(secret_key: bytes) -> bytes:
    """The public key of secret_key, X25519(secret_key, 9).

    Any 32 bytes are a valid secret key (it is clamped internally).

    Raises:
        TypeError: secret_key is not bytes-like.
        ValueError: secret_key is not 32 bytes.
    """
    sk = fixed(secret_key, "secret_key", KEY_SIZE)
    pk = create_string_buffer(KEY_SIZE)
    check(_L.scout_public_key(sk, pk), "public_key")
    return pk.raw


def key_exchange(secret_key: bytes, peer_public_key: bytes) -> bytes:
    """The secret shared by secret_key's owner and peer_public_key's owner.

    Both sides compute the same raw 32-byte X25519 output. Bit 255 of the
    public key is ignored.

    Raises:
        InvalidArgument: peer_public_key is of low order (the result would
            be all zero).
        TypeError, ValueError: an argument is not 32 bytes.
    """
    sk = fixed(secret_key, "secret_key", KEY_SIZE)
    pk = fixed(peer_public_key, "peer_public_key", KEY_SIZE)
    shared = create_string_buffer(KEY_SIZE)
    check(_L.scout_key_exchange(sk, pk, shared), "key_exchange")
    return shared.raw


def shared_target(shared_secret: bytes) -> bytes:
    """The DHT target (20 bytes) of the entry list two peers share:
    SHA1 of the ed25519 public key seeded by shared_secret (BEP 44, no salt)."""
    s = fixed(shared_secret, "shared_secret", KEY_SIZE)
    target = create_string_buffer(HASH_SIZE)
    check(_L.scout_shared_target(s, target), "shared_target")
    return target.raw


def shared_signing_key(shared_secret: bytes) -> bytes:
    """The ed25519 public key (32 bytes) that signs the pair's mutable item:
    the key whose seed is shared_secret (BEP 44's ``k``)."""
    s = fixed(shared_secret, "shared_secret", KEY_SIZE)
    pk = create_string_buffer(KEY_SIZE)
    check(_L.scout_shared_signing_key(s, pk), "shared_signing_key")
    return pk.raw


def mutable_sign(shared_secret: bytes, seq: int, bencoded_v: bytes) -> bytes:
    """Signs a BEP 44 mutable item with the key seeded by shared_secret.

    The signature (64 bytes) covers ``b"3:seqi<seq>e1:v" + bencoded_v``;
    bencoded_v is the stored value with its ``<len>:`` prefix, signed as
    given.
    """
    s = fixed(shared_secret, "shared_secret", KEY_SIZE)
    q = i64(seq, "seq")
    v = as_bytes(bencoded_v, "bencoded_v")
    sig = create_string_buffer(SIGNATURE_SIZE)
    check(_L.scout_mutable_sign(s, q, v, len(v), sig), "mutable_sign")
    return sig.raw


def mutable_verify(public_key: bytes, seq: int, bencoded_v: bytes, signature: bytes) -> None:
    """Verifies a signature made as :func:`mutable_sign` makes it, with the
    ed25519 public key public_key.

    Raises:
        DecryptError: the signature is not valid.
    """
    pk = fixed(public_key, "public_key", KEY_SIZE)
    q = i64(seq, "seq")
    v = as_bytes(bencoded_v, "bencoded_v")
    sig = fixed(signature, "signature", SIGNATURE_SIZE)
    check(_L.scout_mutable_verify(pk, q, v, len(v), sig), "mutable_verify")
