"""Sealing: how an entry list is encrypted before it is stored.

A sealed value is ``nonce (24) || Poly1305 MAC (16) || XSalsa20
ciphertext``, NaCl's ``crypto_secretbox_easy`` with the nonce in front,
keyed with the pair's shared secret. :meth:`scout.Session.synchronize`
seals and opens by itself; these functions are for tests, vectors and tools.
"""

from __future__ import annotations

from typing import Optional

from . import _lib
from ._util import as_bytes, bounded, fixed, read_var

__all__ = ["seal", "open_sealed", "NONCE_SIZE", "SEAL_OVERHEAD", "MAX_PLAINTEXT"]

NONCE_SIZE = _lib.NONCE_SIZE
SEAL_OVERHEAD = _lib.SEAL_OVERHEAD
MAX_PLAINTEXT = _lib.MAX_PLAINTEXT

_L = _lib.LIB


def seal(key: bytes, plaintext: bytes, nonce: Optional[bytes] = None) -> bytes:
    """Seals plaintext (at most 956 bytes) with a 32-byte key.

    Args:
        nonce: 24 bytes to use instead of a random nonce, for tests and
            vectors only: never use a nonce twice with the same key.

    Returns:
        ``len(plaintext) + 40`` bytes.

    Raises:
        TooLarge: plaintext is longer than 956 bytes.
    """
    k = fixed(key, "key", _lib.KEY_SIZE)
    p = bounded(plaintext, "plaintext", MAX_PLAINTEXT)
    size = len(p) + SEAL_OVERHEAD
    if nonce is None:
        return read_var(lambda buf, n: _L.scout_seal(k, p, len(p), buf, n), size, "seal")
    nc = fixed(nonce, "nonce", NONCE_SIZE)
    return read_var(lambda buf, n: _L.scout_seal_with_nonce(k, nc, p, len(p), buf, n), size, "seal")


def open_sealed(key: bytes, sealed: bytes) -> bytes:
    """Checks and decrypts a sealed value; returns the plaintext.

    Raises:
        DecryptError: sealed is shorter than 41 bytes (as the original, a
            seal of an empty plaintext is refused) or fails to authenticate.
    """
    k = fixed(key, "key", _lib.KEY_SIZE)
    s = as_bytes(sealed, "sealed")
    size = max(len(s) - SEAL_OVERHEAD, 0)
    return read_var(lambda buf, n: _L.scout_open(k, s, len(s), buf, n), size, "open")
