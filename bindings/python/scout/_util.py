"""Argument checks and buffer helpers shared by the Pythonic modules.

Every public function checks its arguments here before calling the library:
a wrong type raises TypeError, a wrong size or range ValueError (or
TooLarge, itself a ValueError, for a wire-format limit).
"""

from __future__ import annotations

import operator
from ctypes import byref, c_size_t, c_void_p, create_string_buffer
from typing import Any, Callable, Optional

from . import _lib
from .errors import check

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT32_MAX = 2**32 - 1


def as_bytes(value: Any, name: str) -> bytes:
    """Returns value as bytes if it is bytes-like (bytes, bytearray,
    memoryview, ...); raises TypeError otherwise (str included)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        raise TypeError(f"{name} must be bytes-like, not str (encode it first)")
    try:
        return memoryview(value).tobytes()
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {type(value).__name__}") from None


def fixed(value: Any, name: str, size: int) -> bytes:
    """as_bytes, and exactly size bytes long (ValueError otherwise)."""
    b = as_bytes(value, name)
    if len(b) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(b)}")
    return b


def bounded(value: Any, name: str, limit: int) -> bytes:
    """as_bytes, and at most limit bytes long (TooLarge otherwise)."""
    from .errors import TooLarge

    b = as_bytes(value, name)
    if len(b) > limit:
        raise TooLarge(f"{name} is {len(b)} bytes, at most {limit} fit")
    return b


def integer(value: Any, name: str, lo: int, hi: int) -> int:
    """value as an int in [lo, hi]: TypeError if not an integer (bool
    included), ValueError if out of range."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def u32(value: Any, name: str) -> int:
    return integer(value, name, 0, UINT32_MAX)


def i64(value: Any, name: str) -> int:
    return integer(value, name, INT64_MIN, INT64_MAX)


def handle_of(out: c_void_p, context: str) -> int:
    """The handle a successful call wrote to out (never NULL then)."""
    if not out.value:
        from .errors import InternalError

        raise InternalError(f"{context}: the library returned a NULL handle")
    return out.value


def read_var(call: Callable[[Any, Any], int], guess: int, context: Optional[str] = None) -> bytes:
    """Runs call(buf, byref(len)), the header's buf / *len convention, with a
    buffer of guess bytes, and again with the size the library asks for on
    SCOUT_BUFFER_TOO_SMALL. Returns the bytes written."""
    n = c_size_t(guess)
    buf = create_string_buffer(max(guess, 1))
    status = call(buf, byref(n))
    if status == _lib.BUFFER_TOO_SMALL:
        buf = create_string_buffer(max(n.value, 1))
        status = call(buf, byref(n))
    check(status, context)
    return buf.raw[: n.value]


def read_str(call: Callable[[Any, Any], int], guess: int, context: Optional[str] = None) -> str:
    """read_var for a NUL-terminated string (*len counts the NUL)."""
    raw = read_var(call, guess, context)
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
