"""Scout: small groups of trusted peers find each other through the DHT.

A Pythonic binding over libscout's C interface (``include/scout.h``), with
ctypes and the standard library only::

    import scout

    alice_sk, alice_pk = scout.generate_keypair()
    shared = scout.key_exchange(alice_sk, bob_pk)

    with scout.Session(bootstrap="127.0.0.1:6881") as session:
        mine = scout.Entries()
        mine.assign(1, b"laptop 10.0.0.5:4000")
        session.synchronize(shared, mine, on_entry=print)

Modules: :mod:`scout.keys` (X25519, the shared secret and what it
derives), :mod:`scout.entries` (entry lists), :mod:`scout.seal`,
:mod:`scout.messages` (offline message lists), :mod:`scout.session`
(sessions and loopback swarms), :mod:`scout.stats` (a session's
statistics), :mod:`scout.errors` (the exceptions).
Everything public is re-exported here.

Sizes are checked before anything reaches the library: keys are
:data:`KEY_SIZE` (32) bytes, hashes :data:`HASH_SIZE` (20) bytes.
"""

from __future__ import annotations

from ctypes import byref, c_size_t

from . import _lib
from ._lib import ABI_VERSION, LibraryError
from .entries import MAX_ENTRIES, MAX_VALUE_SIZE, Entries, Entry
from .errors import (
    BufferTooSmall,
    Cancelled,
    Conflict,
    DecryptError,
    InternalError,
    InvalidArgument,
    NetworkError,
    NotFound,
    ScoutError,
    Timeout,
    TooLarge,
    WrongState,
    check,
    last_error,
    strerror,
)
from .keys import (
    HASH_SIZE,
    KEY_SIZE,
    SIGNATURE_SIZE,
    generate_keypair,
    key_exchange,
    mutable_sign,
    mutable_verify,
    public_key,
    shared_signing_key,
    shared_target,
)
from .messages import (
    EMPTY_HEAD,
    MAX_MESSAGE_SIZE,
    ListHead,
    ListMessage,
    Message,
    encode_message,
    message_hash,
    parse_message,
)
from .seal import MAX_PLAINTEXT, NONCE_SIZE, SEAL_OVERHEAD, open_sealed, seal
from .keep import Keeper, KeepRound, Kept, Removed, Watch, WatchChange
from .session import WAN, Families, Limits, PortMapping, Session, Swarm, open_session
from .stats import OperationStats, Stats

# SCOUT_VERSION of include/scout.h, as is the version in pyproject.toml
# (tests/lint/check_version.cmake checks both).
__version__ = "0.2.0"

#: The path of the loaded libscout.
library_path: str = _lib.LIBRARY_PATH


def library_version() -> str:
    """The loaded library's version string, e.g. ``"0.1.0"``."""
    v: bytes = _lib.LIB.scout_version()
    return v.decode()


def handle_count() -> int:
    """How many library handles (entry lists, sessions, swarms) are alive in
    the process: for tests that check nothing leaks."""
    n = c_size_t()
    check(_lib.LIB.scout_handle_count(byref(n)), "handle_count")
    return n.value


__all__ = [
    "ABI_VERSION",
    "EMPTY_HEAD",
    "HASH_SIZE",
    "KEY_SIZE",
    "MAX_ENTRIES",
    "MAX_MESSAGE_SIZE",
    "MAX_PLAINTEXT",
    "MAX_VALUE_SIZE",
    "NONCE_SIZE",
    "SEAL_OVERHEAD",
    "SIGNATURE_SIZE",
    "BufferTooSmall",
    "Cancelled",
    "Conflict",
    "DecryptError",
    "Entries",
    "Entry",
    "Families",
    "InternalError",
    "InvalidArgument",
    "KeepRound",
    "Keeper",
    "Kept",
    "LibraryError",
    "Limits",
    "ListHead",
    "ListMessage",
    "Message",
    "NetworkError",
    "NotFound",
    "OperationStats",
    "PortMapping",
    "Removed",
    "ScoutError",
    "Session",
    "Stats",
    "Swarm",
    "Timeout",
    "TooLarge",
    "WAN",
    "Watch",
    "WatchChange",
    "WrongState",
    "encode_message",
    "generate_keypair",
    "handle_count",
    "key_exchange",
    "library_path",
    "library_version",
    "last_error",
    "open_session",
    "message_hash",
    "mutable_sign",
    "mutable_verify",
    "open_sealed",
    "parse_message",
    "public_key",
    "seal",
    "shared_signing_key",
    "shared_target",
    "strerror",
]
