"""Exceptions: one class per ``scout_status``, each also a built-in exception.

Every error the library reports is a :class:`ScoutError` whose
:attr:`~ScoutError.status` is the C status code. The subclasses also
inherit the built-in exception that says the same thing, so code that knows
nothing about Scout still handles them sensibly::

    ScoutError
    ├── InvalidArgument   (ValueError)      SCOUT_INVALID_ARGUMENT
    ├── TooLarge          (ValueError)      SCOUT_TOO_LARGE
    ├── BufferTooSmall                      SCOUT_BUFFER_TOO_SMALL (never escapes the binding)
    ├── NotFound          (LookupError)     SCOUT_NOT_FOUND
    ├── Timeout           (TimeoutError)    SCOUT_TIMEOUT
    ├── Cancelled                           SCOUT_CANCELLED
    ├── DecryptError      (ValueError)      SCOUT_DECRYPT_FAILED
    ├── WrongState        (RuntimeError)    SCOUT_WRONG_STATE
    ├── NetworkError      (ConnectionError) SCOUT_NETWORK
    ├── InternalError     (RuntimeError)    SCOUT_INTERNAL, and unknown codes
    └── Conflict                            SCOUT_CONFLICT

Arguments of the wrong type raise a plain :class:`TypeError`, and of the
wrong size or range a plain :class:`ValueError`, before anything reaches
the library.

The message of an error the library reports is the text of its cause, as
``scout_last_error()`` gives it: the C function and why, e.g.
``scout_session_new: invalid argument: bootstrap node "example.org":
address example.org: missing port in address`` or ``scout_get_op: not
found: ...``.
"""

from __future__ import annotations

from ctypes import byref, c_size_t, create_string_buffer
from typing import Any, Dict, Optional, Tuple, Type

from . import _lib

__all__ = [
    "ScoutError",
    "InvalidArgument",
    "TooLarge",
    "BufferTooSmall",
    "NotFound",
    "Timeout",
    "Cancelled",
    "DecryptError",
    "WrongState",
    "NetworkError",
    "InternalError",
    "Conflict",
    "strerror",
    "last_error",
]


def strerror(status: int) -> str:
    """The library's static one-line description of a status code."""
    text = _lib.LIB.scout_strerror(status)
    return text.decode("utf-8", "replace") if text else "unknown status"


def last_error() -> str:
    """The calling thread's error text (``scout_last_error``): the cause of
    the last call on this thread that returned a status, or, inside a
    completion callback, of that completion. "" after a success."""
    buf = create_string_buffer(_lib.ERROR_STRLEN)
    n = c_size_t(_lib.ERROR_STRLEN)
    if _lib.LIB.scout_last_error(buf, byref(n)) != _lib.OK:
        return ""
    return buf.value.decode("utf-8", "replace")


class ScoutError(Exception):
    """An error reported by libscout. ``str(err)`` is the text of its cause.

    Attributes:
        status: the ``scout_status`` code (an int; see :mod:`scout.errors`).
    """

    #: The status code this class stands for.
    STATUS: int = _lib.INTERNAL

    def __init__(self, message: Optional[str] = None, status: Optional[int] = None) -> None:
        self.status: int = self.STATUS if status is None else status
        if message is None:
            message = strerror(self.status)
        # One argument only: OSError subclasses (TimeoutError, ConnectionError)
        # would read two as (errno, strerror).
        super().__init__(message)

    def __reduce__(self) -> Tuple[Any, ...]:  # pickling keeps the status
        return (self.__class__, (str(self), self.status))


class InvalidArgument(ScoutError, ValueError):
    """A malformed value, low-order public key, or a closed or foreign handle."""

    STATUS = _lib.INVALID_ARGUMENT


class TooLarge(ScoutError, ValueError):
    """A value, list or message exceeds a wire-format limit."""

    STATUS = _lib.TOO_LARGE


class BufferTooSmall(ScoutError):
    """An output buffer was too small; the binding retries, so this never escapes."""

    STATUS = _lib.BUFFER_TOO_SMALL


class NotFound(ScoutError, LookupError):
    """No such entry, index or DHT item."""

    STATUS = _lib.NOT_FOUND


class Timeout(ScoutError, TimeoutError):
    """The operation's deadline passed."""

    STATUS = _lib.TIMEOUT


class Cancelled(ScoutError):
    """The operation was cancelled: its session was stopped or closed first."""

    STATUS = _lib.CANCELLED


class DecryptError(ScoutError, ValueError):
    """A sealed value or a signature failed to authenticate."""

    STATUS = _lib.DECRYPT_FAILED


class WrongState(ScoutError, RuntimeError):
    """The session is not running (not started, or stopped), or already started."""

    STATUS = _lib.WRONG_STATE


class NetworkError(ScoutError, ConnectionError):
    """The network refused the operation: no socket, no reachable node, every store refused."""

    STATUS = _lib.NETWORK


class InternalError(ScoutError, RuntimeError):
    """A bug inside the library (or a status code this binding does not know)."""

    STATUS = _lib.INTERNAL


class Conflict(ScoutError):
    """Concurrent writers kept replacing each other's write; synchronizing again usually works."""

    STATUS = _lib.CONFLICT


_BY_STATUS: Dict[int, Type[ScoutError]] = {
    cls.STATUS: cls
    for cls in (
        InvalidArgument,
        TooLarge,
        BufferTooSmall,
        NotFound,
        Timeout,
        Cancelled,
        DecryptError,
        WrongState,
        NetworkError,
        InternalError,
        Conflict,
    )
}


def error_for(status: int, context: Optional[str] = None, detail: Optional[str] = None) -> ScoutError:
    """The exception for a non-OK status; unknown codes give InternalError.
    Its message is detail (the library's text of the cause) when there is
    one, else "context: " and the status's description."""
    cls = _BY_STATUS.get(status, InternalError)
    message = detail or strerror(status)
    if context and not detail:
        message = f"{context}: {message}"
    return cls(message, status)


def check(status: int, context: Optional[str] = None) -> None:
    """Raises the exception for status unless it is SCOUT_OK, with the text
    of its cause: call it right after the call that returned status, on the
    same thread."""
    if status != _lib.OK:
        raise error_for(status, context, last_error())
