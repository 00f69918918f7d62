"""The C interface of libscout, declared once.

This module loads ``libscout.so``, checks that its binary interface is the
one this binding was written for (``scout_abi_version()``), and declares the
prototype of every function in ``include/scout.h``, in the header's order.
Nothing else in the package calls :mod:`ctypes` loading functions or sets
``argtypes``; the Pythonic modules call ``LIB.scout_*`` and check statuses
with :func:`scout.errors.check`.

Where the library is looked for, in order:

1. the ``SCOUT_LIBRARY`` environment variable, when set: the library file,
   or a directory holding it (to use another build than the bundled one);
2. next to this package (``libscout.so.1``, ``libscout.so``): the wheel
   built by ``pip install`` bundles the library there;
3. the system loader (``libscout.so.1`` through ``LD_LIBRARY_PATH`` and
   ``ldconfig``, then :func:`ctypes.util.find_library`).

The first candidate that loads and reports ABI version :data:`ABI_VERSION`
wins. If none does, importing :mod:`scout` raises :class:`LibraryError`,
which lists every attempt and why it failed.

Pointer conventions used in the prototypes: handles (``scout_entries *``,
``scout_session *``, ``scout_swarm *``, ``scout_op *``) are ``c_void_p`` holding the
registry id; byte arrays are ``c_void_p`` too, fed with ``bytes`` for inputs
(never written by the library) and with :func:`ctypes.create_string_buffer`
for outputs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import warnings
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any, Iterator, List, Optional, Tuple

__all__ = ["ABI_VERSION", "LIB", "LIBRARY_PATH", "LibraryError"]

#: The binary interface this binding speaks: the header's SCOUT_ABI_VERSION.
ABI_VERSION = 1

# Sizes from the header (#define SCOUT_*), for the Pythonic modules.
KEY_SIZE = 32
HASH_SIZE = 20
NONCE_SIZE = 24
SEAL_OVERHEAD = 40
SIGNATURE_SIZE = 64
MAX_VALUE_SIZE = 255
MAX_ENTRIES = 255
ENTRIES_HEADER_SIZE = 2
ENTRY_HEADER_SIZE = 16
MAX_ENTRIES_SIZE = ENTRIES_HEADER_SIZE + MAX_ENTRIES * (ENTRY_HEADER_SIZE + MAX_VALUE_SIZE)
MAX_PLAINTEXT = 956
MAX_SEALED_SIZE = 996
MIN_SEALED_SIZE = 41
MESSAGE_HEADER_SIZE = 23
MAX_MESSAGE_SIZE = 973
MAX_BLOB_SIZE = 996
ADDR_STRLEN = 64
ERROR_STRLEN = 512
DEFAULT_TIMEOUT_MS = 30000

# Status codes (enum scout_status). Frozen; new ones are only appended.
OK = 0
INVALID_ARGUMENT = 1
TOO_LARGE = 2
BUFFER_TOO_SMALL = 3
NOT_FOUND = 4
TIMEOUT = 5
CANCELLED = 6
DECRYPT_FAILED = 7
WRONG_STATE = 8
NETWORK = 9
INTERNAL = 10
CONFLICT = 11

# Log levels (SCOUT_LOG_*), the numbers of Go's log/slog.
LOG_DEBUG = -4
LOG_INFO = 0
LOG_WARN = 4
LOG_ERROR = 8

# Port mapping modes (enum scout_port_map) and protocols (enum
# scout_port_protocol). Frozen; new ones are only appended.
PORT_MAP_AUTO = 0
PORT_MAP_ON = 1
PORT_MAP_OFF = 2
PORT_PROTOCOL_NONE = 0
PORT_PROTOCOL_PCP = 1
PORT_PROTOCOL_NATPMP = 2
PORT_PROTOCOL_UPNP = 3

# Address families (enum scout_families). Frozen; new ones are only appended.
FAMILIES_AUTO = 0
FAMILIES_IPV4 = 1
FAMILIES_IPV6 = 2
FAMILIES_DUAL_STACK = 3

# KRPC methods (enum scout_query_method): the indices of scout_stats'
# queries_in and queries_out, which hold QUERY_METHODS counts.
QUERY_PING = 0
QUERY_FIND_NODE = 1
QUERY_GET_PEERS = 2
QUERY_ANNOUNCE_PEER = 3
QUERY_GET = 4
QUERY_PUT = 5
QUERY_UNKNOWN = 6
QUERY_METHODS = 8


class LibraryError(ImportError):
    """libscout could not be loaded, or speaks another binary interface.

    The message lists every place that was tried and why each failed.
    """


# ---------------------------------------------------------------------------
# Callback types (typedef ... (*scout_*_fn)(void *user, ...)). The first
# argument, `void *user`, carries an integer id (never a Python object): see
# scout._callbacks.

LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p)
ENTRY_UPDATED_FN = CFUNCTYPE(None, c_void_p, c_uint32, c_int64, c_void_p, c_size_t)
FINALIZE_FN = CFUNCTYPE(None, c_void_p, c_void_p)
SYNC_FINISHED_FN = CFUNCTYPE(None, c_void_p, c_int, c_int64, c_uint32, c_uint32)
PUT_FINISHED_FN = CFUNCTYPE(None, c_void_p, c_int, c_void_p, c_uint32)
GET_RECEIVED_FN = CFUNCTYPE(None, c_void_p, c_int, c_void_p, c_size_t, c_void_p)
LIST_MESSAGE_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p)
LIST_FINISHED_FN = CFUNCTYPE(None, c_void_p, c_int, c_size_t)
KEEP_ROUND_FN = CFUNCTYPE(None, c_void_p, c_int, c_int64, c_uint32, c_uint32)
RUN_FINISHED_FN = CFUNCTYPE(None, c_void_p, c_int)
ENTRY_REMOVED_FN = CFUNCTYPE(None, c_void_p, c_uint32, c_int64)
WATCH_CHANGED_FN = CFUNCTYPE(None, c_void_p, c_int64, c_size_t, c_size_t)


class SessionOptions(Structure):
    """struct scout_session_options (ABI 1). Fields are only ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("listen_addr", c_char_p),
        ("bootstrap", c_char_p),
        ("state_file", c_char_p),
        ("timeout_ms", c_uint32),
        ("read_only", c_int),
        ("log", LOG_FN),
        ("log_user", c_void_p),
        ("log_level", c_int),
        # Appended after release 0.2.0 (past its 64 bytes, padding included).
        ("reserved", c_int),
        ("port_map", c_int),
        # Keeping, watching, removing.
        ("tombstone_ttl_ms", c_int64),
        ("show_removed", c_int),
        ("refresh_on_read", c_int),
        # Statistics and address families: the IPv6 address, the families,
        # the limits.
        ("listen_addr6", c_char_p),
        ("families", c_int),
        ("query_burst", c_uint32),
        ("query_rate", c_double),
        ("block_ms", c_uint32),
        ("send_rate", c_uint32),
        ("limit_loopback", c_int),
    ]


class SwarmOptions(Structure):
    """struct scout_swarm_options. Fields are only ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("nodes", c_uint32),
        ("port", c_uint16),
        ("wan", c_int),
        ("rtt_ms", c_uint32),
        ("max_rtt_ms", c_uint32),
        ("jitter", c_double),
        ("loss", c_double),
        ("seed", c_uint64),
        ("item_ttl_ms", c_uint32),
        # Appended with the statistics, past item_ttl_ms's padding.
        ("reserved", c_uint32),
        ("ipv6", c_int),
    ]


class OpOptions(Structure):
    """struct scout_op_options. Fields are only ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("timeout_ms", c_uint32),
    ]


class KeepOptions(Structure):
    """struct scout_keep_options. Fields are only ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("interval_ms", c_uint32),
    ]


class WatchOptions(Structure):
    """struct scout_watch_options. Fields are only ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("interval_ms", c_uint32),
    ]


class Stats(Structure):
    """struct scout_stats, an output: the caller sets size. Fields are only
    ever appended."""

    _fields_ = [
        ("size", c_size_t),
        ("nodes", c_uint32),
        ("good_nodes", c_uint32),
        ("questionable_nodes", c_uint32),
        ("nodes6", c_uint32),
        ("good_nodes6", c_uint32),
        ("questionable_nodes6", c_uint32),
        ("stored_items", c_uint64),
        ("stored_bytes", c_uint64),
        ("queries_in", c_uint64 * QUERY_METHODS),
        ("queries_out", c_uint64 * QUERY_METHODS),
        ("replies", c_uint64),
        ("errors", c_uint64),
        ("timeouts", c_uint64),
        ("resent", c_uint64),
        ("datagrams_in", c_uint64),
        ("datagrams_out", c_uint64),
        ("bytes_in", c_uint64),
        ("bytes_out", c_uint64),
        ("malformed", c_uint64),
        ("rate_limited", c_uint64),
        ("send_dropped", c_uint64),
        ("external_addr", c_char * ADDR_STRLEN),
        ("external_addr6", c_char * ADDR_STRLEN),
        ("id_secure", c_int),
        ("id_secure6", c_int),
        ("ops_ok", c_uint64),
        ("ops_not_found", c_uint64),
        ("ops_timeout", c_uint64),
        ("ops_cancelled", c_uint64),
        ("ops_conflict", c_uint64),
        ("ops_failed", c_uint64),
    ]


# ---------------------------------------------------------------------------
# Prototypes: (name, restype, argtypes), in the header's order.

_status = c_int
_p = c_void_p  # a byte array or a handle
_size_p = POINTER(c_size_t)
_handle_out = POINTER(c_void_p)

_PROTOTYPES: List[Tuple[str, Any, List[Any]]] = [
    # Versions and status codes
    ("scout_version", c_char_p, []),
    ("scout_abi_version", c_uint, []),
    ("scout_strerror", c_char_p, [c_int]),
    ("scout_handle_count", _status, [_size_p]),
    # Keys
    ("scout_generate_keypair", _status, [_p, _p]),
    ("scout_public_key", _status, [_p, _p]),
    ("scout_key_exchange", _status, [_p, _p, _p]),
    ("scout_shared_target", _status, [_p, _p]),
    ("scout_shared_signing_key", _status, [_p, _p]),
    ("scout_mutable_sign", _status, [_p, c_int64, _p, c_size_t, _p]),
    ("scout_mutable_verify", _status, [_p, c_int64, _p, c_size_t, _p]),
    # Entry lists
    ("scout_entries_new", _status, [_handle_out]),
    ("scout_entries_clone", _status, [_p, _handle_out]),
    ("scout_entries_free", None, [_p]),
    ("scout_entries_count", _status, [_p, _size_p]),
    ("scout_entries_assign", _status, [_p, c_uint32, _p, c_size_t, POINTER(c_int64)]),
    ("scout_entries_set", _status, [_p, c_uint32, c_int64, _p, c_size_t]),
    ("scout_entries_get", _status, [_p, c_uint32, POINTER(c_int64), _p, _size_p]),
    ("scout_entries_at", _status, [_p, c_size_t, POINTER(c_uint32), POINTER(c_int64), _p, _size_p]),
    ("scout_entries_remove", _status, [_p, c_uint32]),
    ("scout_entries_serialize", _status, [_p, _p, _size_p]),
    ("scout_entries_parse", _status, [_p, c_size_t, _handle_out, _size_p]),
    # Sealing
    ("scout_seal", _status, [_p, _p, c_size_t, _p, _size_p]),
    ("scout_seal_with_nonce", _status, [_p, _p, _p, c_size_t, _p, _size_p]),
    ("scout_open", _status, [_p, _p, c_size_t, _p, _size_p]),
    # Offline message lists
    ("scout_list_push_front", _status, [_p, _p, c_size_t, _p]),
    ("scout_message_encode", _status, [_p, _p, c_size_t, _p, _size_p]),
    ("scout_message_parse", _status, [_p, c_size_t, _p, _size_p, _p]),
    ("scout_message_hash", _status, [_p, c_size_t, _p]),
    # Sessions
    ("scout_session_options_init", _status, [POINTER(SessionOptions)]),
    ("scout_session_new", _status, [POINTER(SessionOptions), _handle_out]),
    ("scout_session_start", _status, [_p]),
    ("scout_session_stop", _status, [_p]),
    ("scout_session_free", None, [_p]),
    ("scout_session_addr", _status, [_p, c_char_p, _size_p]),
    ("scout_session_port", _status, [_p, POINTER(c_uint16)]),
    ("scout_synchronize", _status, [_p, _p, _p, ENTRY_UPDATED_FN, FINALIZE_FN, SYNC_FINISHED_FN, _p]),
    ("scout_put", _status, [_p, _p, _p, c_size_t, PUT_FINISHED_FN, _p]),
    ("scout_get", _status, [_p, _p, GET_RECEIVED_FN, _p]),
    ("scout_get_list", _status, [_p, _p, c_size_t, LIST_MESSAGE_FN, LIST_FINISHED_FN, _p]),
    # Loopback swarm
    ("scout_swarm_start", _status, [c_uint32, c_uint16, _handle_out]),
    ("scout_swarm_bootstrap", _status, [_p, c_char_p, _size_p]),
    ("scout_swarm_free", None, [_p]),
    # Error text and per-operation control
    ("scout_last_error", _status, [c_char_p, _size_p]),
    ("scout_op_options_init", _status, [POINTER(OpOptions)]),
    (
        "scout_synchronize_op",
        _status,
        [_p, _p, _p, POINTER(OpOptions), _handle_out, ENTRY_UPDATED_FN, FINALIZE_FN, SYNC_FINISHED_FN, _p],
    ),
    ("scout_put_op", _status, [_p, _p, _p, c_size_t, POINTER(OpOptions), _handle_out, PUT_FINISHED_FN, _p]),
    ("scout_get_op", _status, [_p, _p, POINTER(OpOptions), _handle_out, GET_RECEIVED_FN, _p]),
    (
        "scout_get_list_op",
        _status,
        [_p, _p, c_size_t, POINTER(OpOptions), _handle_out, LIST_MESSAGE_FN, LIST_FINISHED_FN, _p],
    ),
    ("scout_op_cancel", _status, [_p]),
    ("scout_op_free", None, [_p]),
    # Port mapping and the emulated WAN
    ("scout_session_port_mapping", _status, [_p, POINTER(c_int), c_char_p, c_char_p, c_char_p, POINTER(c_uint32)]),
    ("scout_swarm_options_init", _status, [POINTER(SwarmOptions)]),
    ("scout_swarm_start_opts", _status, [POINTER(SwarmOptions), _handle_out]),
    ("scout_swarm_join", _status, [_p, POINTER(SessionOptions), _handle_out, POINTER(c_uint32)]),
    ("scout_swarm_kill", _status, [_p, c_double, POINTER(c_uint32), _size_p]),
    ("scout_swarm_set_dead", _status, [_p, c_uint32, c_int]),
    # Keeping, watching, removing
    ("scout_keep_options_init", _status, [POINTER(KeepOptions)]),
    ("scout_keep", _status, [_p, _p, POINTER(KeepOptions), _handle_out, KEEP_ROUND_FN, RUN_FINISHED_FN, _p]),
    ("scout_keep_list", _status, [_p, _p, POINTER(KeepOptions), _handle_out, KEEP_ROUND_FN, RUN_FINISHED_FN, _p]),
    (
        "scout_session_kept",
        _status,
        [_p, c_size_t, POINTER(c_int), _p, POINTER(c_int64), POINTER(c_uint32), POINTER(c_int)],
    ),
    ("scout_watch_options_init", _status, [POINTER(WatchOptions)]),
    (
        "scout_watch",
        _status,
        [
            _p,
            _p,
            _p,
            POINTER(WatchOptions),
            _handle_out,
            ENTRY_UPDATED_FN,
            ENTRY_REMOVED_FN,
            WATCH_CHANGED_FN,
            RUN_FINISHED_FN,
            _p,
        ],
    ),
    # Statistics and address families
    ("scout_session_stats", _status, [_p, POINTER(Stats)]),
    ("scout_session_addrs", _status, [_p, c_char_p, _size_p]),
]


def _declare(lib: ctypes.CDLL) -> None:
    for name, restype, argtypes in _PROTOTYPES:
        fn = getattr(lib, name)  # AttributeError names a missing symbol
        fn.restype = restype
        fn.argtypes = argtypes


# ---------------------------------------------------------------------------
# Loading

if sys.platform == "darwin":
    _NAMES = ["libscout.dylib", "libscout.1.dylib"]
elif sys.platform == "win32":
    _NAMES = ["scout.dll", "libscout.dll"]
else:
    _NAMES = ["libscout.so", "libscout.so." + str(ABI_VERSION)]


def _try(path: str, tried: List[str], how: str) -> Optional[ctypes.CDLL]:
    """Loads and checks one candidate; records why it failed in tried."""
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        tried.append(f"  {how}: {path}: {e}")
        return None
    try:
        _declare(lib)
    except AttributeError as e:
        tried.append(f"  {how}: {path}: not libscout (missing symbol: {e})")
        return None
    abi = lib.scout_abi_version()
    if abi != ABI_VERSION:
        tried.append(
            f"  {how}: {path}: ABI version {abi}, this binding needs {ABI_VERSION}"
            " (rebuild the library or use a matching binding)"
        )
        return None
    return lib


def _candidates() -> Iterator[Tuple[str, str]]:
    """Every (path, how it was found) to try, in order, lazily: the last
    one runs ldconfig, only if everything before it failed."""
    env = os.environ.get("SCOUT_LIBRARY")
    if env:
        env = os.path.abspath(os.path.expanduser(env))
        if os.path.isdir(env):
            for name in _NAMES:
                yield os.path.join(env, name), "SCOUT_LIBRARY directory"
        else:
            yield env, "SCOUT_LIBRARY"
    here = os.path.dirname(os.path.abspath(__file__))
    for name in reversed(_NAMES):  # the versioned soname first
        yield os.path.join(here, name), "next to the package"
    for name in reversed(_NAMES):  # the versioned soname first
        yield name, "system loader"
    found = ctypes.util.find_library("scout")
    if found:
        yield found, "ctypes.util.find_library"


def _load() -> Tuple[ctypes.CDLL, str]:
    tried: List[str] = []
    env = os.environ.get("SCOUT_LIBRARY")
    for path, how in _candidates():
        if how == "next to the package" and not os.path.exists(path):
            tried.append(f"  {how}: {path}: no such file")
            continue
        if how.startswith("SCOUT_LIBRARY") and not os.path.exists(path):
            tried.append(f"  {how}: {path}: no such file")
            continue
        lib = _try(path, tried, how)
        if lib is not None:
            if env and not how.startswith("SCOUT_LIBRARY"):
                warnings.warn(
                    f"SCOUT_LIBRARY={env} could not be used; loaded {path} instead:\n"
                    + "\n".join(tried),
                    RuntimeWarning,
                    stacklevel=3,
                )
            return lib, path
    if not env:
        tried.insert(0, "  SCOUT_LIBRARY: not set")
    raise LibraryError(
        "cannot load libscout (ABI version %d); tried, in order:\n%s\n"
        "`pip install` builds and bundles it (it needs Go and a C compiler); or build it "
        "with `cmake -S . -B build && cmake --build build` and set SCOUT_LIBRARY to the "
        "built file." % (ABI_VERSION, "\n".join(tried))
    )


LIB, LIBRARY_PATH = _load()
"""The loaded library with every prototype declared, and where it was found."""
