"""Callbacks from library threads: permanent trampolines keyed by integer ids.

C never holds a ctypes object that Python could collect. Each callback type
of the header has exactly one ctypes function object, created when this
module is imported and kept for the life of the process (``_TRAMPOLINES``);
the ``void *user`` the library passes back is an integer id from
:func:`register`, looked up in a registry dict. An operation stays in the
registry, with everything it needs alive (its session, its entry list, its
future, the user's callables), until its completion callback has fired.

Every trampoline catches every exception: nothing ever propagates into C.

* An exception raised by a *user* callback (``on_entry``, ``finalize``) is
  logged on the ``"scout"`` logger (ERROR, with its traceback) and kept;
  the operation still completes, and then its future / blocking call
  raises the first such exception instead of the result (its notes say
  which callback raised it and how the operation itself ended).
* An exception inside the binding's own code (a bug) is logged the same
  way and, when it hit a completion, the operation's future gets it.

Results reach a :class:`concurrent.futures.Future` directly (its done
callbacks then run on the library's thread) and an asyncio future through
``loop.call_soon_threadsafe``.

Every operation is started through the library's ``scout_*_op`` functions,
which give it a ``scout_op`` handle: :meth:`Operation.cancel` cancels that
one operation (the library then completes it once, with SCOUT_CANCELLED,
which is not delivered: the future or task that asked was cancelled
already). The completion frees the handle. A completion's exception
carries the library's text of its cause (``scout_last_error``, read first
thing in the completion, on the library's thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import threading
from ctypes import string_at
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _lib
from .entries import Entries, Entry
from .errors import error_for, last_error
from .messages import ListMessage, Message

logger = logging.getLogger("scout")

# ---------------------------------------------------------------------------
# Registry

_lock = threading.Lock()
_ids = itertools.count(1)  # 0 would reach the trampolines as None
_registry: Dict[int, Any] = {}


def register(obj: Any) -> int:
    """Keeps obj alive under a new id, to pass to C as `void *user`."""
    with _lock:
        ident = next(_ids)
        _registry[ident] = obj
    return ident


def lookup(ident: Optional[int]) -> Any:
    with _lock:
        return _registry.get(ident or 0)


def unregister(ident: Optional[int]) -> Any:
    """Removes and returns the object registered under ident (None if none)."""
    with _lock:
        return _registry.pop(ident or 0, None)


def registered_count() -> int:
    """How many callback targets are alive (operations in flight and session
    log sinks): for tests that check nothing leaks."""
    with _lock:
        return len(_registry)


# ---------------------------------------------------------------------------
# Which session's callback the current thread is running, to refuse blocking
# calls that would wait for that very dispatcher thread.

_tls = threading.local()


def in_callback_of(session_key: int) -> bool:
    return session_key in getattr(_tls, "sessions", ())


class _Dispatching:
    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key

    def __enter__(self) -> None:
        stack = getattr(_tls, "sessions", None)
        if stack is None:
            stack = _tls.sessions = []
        stack.append(self.key)

    def __exit__(self, *exc: Any) -> None:
        _tls.sessions.pop()


# ---------------------------------------------------------------------------
# Where results go

Sink = Callable[[Any, Optional[BaseException]], None]


class OperationFuture(concurrent.futures.Future):  # type: ignore[type-arg]
    """A :class:`concurrent.futures.Future` for one library operation:
    :meth:`cancel` cancels the operation itself. It stays pending until the
    operation ends (``running()`` is False throughout)."""

    _scout_op: "Optional[Operation]" = None

    def cancel(self) -> bool:
        """Cancels the operation: True if it was still in flight (it is then
        cancelled and ``result()`` raises CancelledError), False if it had
        already ended (its result or exception stands, or is on its way)."""
        op = self._scout_op
        if op is None or not op.cancel():
            return False
        return super().cancel()


def future_sink(fut: "concurrent.futures.Future[Any]") -> Sink:
    """Settles a concurrent future."""

    def settle(value: Any, exc: Optional[BaseException]) -> None:
        if fut.done():  # cancelled through OperationFuture.cancel
            return
        if exc is None:
            fut.set_result(value)
        else:
            fut.set_exception(exc)

    return settle


def _settle_aio(fut: "asyncio.Future[Any]", value: Any, exc: Optional[BaseException]) -> None:
    if fut.done():  # the awaiting task was cancelled: nobody wants it
        return
    if exc is None:
        fut.set_result(value)
    else:
        fut.set_exception(exc)


def asyncio_sink(loop: asyncio.AbstractEventLoop, fut: "asyncio.Future[Any]") -> Sink:
    """Settles an asyncio future on its own loop, from any thread."""

    def settle(value: Any, exc: Optional[BaseException]) -> None:
        try:
            loop.call_soon_threadsafe(_settle_aio, fut, value, exc)
        except RuntimeError:  # the loop is closed: nobody can await it any more
            logger.debug("scout: event loop closed; an operation's result was dropped")

    return settle


# ---------------------------------------------------------------------------
# Operations


class Operation:
    """One operation in flight: what its callbacks need, kept alive until
    its completion fires, and its ``scout_op`` handle, for cancelling it."""

    __slots__ = (
        "name",
        "session",
        "session_key",
        "sink",
        "keep",
        "on_entry",
        "finalize",
        "error",
        "messages",
        "lock",
        "handle",
        "completed",
        "cancelled",
    )

    def __init__(self, name: str, session: Any, session_key: int, sink: Sink, keep: Any = None) -> None:
        self.name = name
        self.session = session  # an operation in flight keeps its session alive
        self.session_key = session_key
        self.sink = sink
        self.keep = keep
        self.on_entry: Optional[Callable[..., Any]] = None
        self.finalize: Optional[Callable[..., Any]] = None
        self.error: Optional[BaseException] = None
        self.messages: List[Any] = []
        self.lock = threading.Lock()
        self.handle: Optional[int] = None  # the scout_op, until the completion
        self.completed = False
        self.cancelled = False  # by cancel(): the completion is not delivered

    def attach(self, handle: Optional[int]) -> None:
        """Keeps the operation's scout_op handle; frees it at once if the
        completion already ran (it may, on the library's thread, before the
        starting call's caller gets here)."""
        with self.lock:
            if not self.completed:
                self.handle = handle
                return
        if handle:
            _lib.LIB.scout_op_free(handle)

    def cancel(self) -> bool:
        """Cancels the operation in the library: True if it was in flight
        (its completion, SCOUT_CANCELLED, will not be delivered), False if
        it has ended."""
        with self.lock:
            if self.completed or self.handle is None:
                return False
            if self.cancelled:
                return True
            if _lib.LIB.scout_op_cancel(self.handle) != _lib.OK:
                return False  # it ended: its completion is on its way
            self.cancelled = True
            return True

    def complete(self) -> bool:
        """Marks the completion as come and frees the handle; False if the
        operation was cancelled through cancel(), whose caller settles."""
        with self.lock:
            self.completed = True
            handle, self.handle = self.handle, None
            cancelled = self.cancelled
        if handle:
            _lib.LIB.scout_op_free(handle)
        return not cancelled

    def call_user(self, where: str, fn: Callable[..., Any], *args: Any) -> None:
        """Runs a user callback; logs and keeps the first exception it raises."""
        try:
            fn(*args)
        except BaseException as e:  # noqa: B036 - nothing may unwind into C
            logger.error(
                "scout: the %s callback of %s raised %s; the operation continues and its result will raise it",
                where,
                self.name,
                type(e).__name__,
                exc_info=e,
            )
            if self.error is None:
                _note(e, f"raised by the {where} callback of scout {self.name}")
                self.error = e

    def settle(self, value: Any, exc: Optional[BaseException]) -> None:
        """Delivers the outcome, or the user callback's exception instead."""
        if self.error is not None:
            outcome = "succeeded" if exc is None else f"ended with {type(exc).__name__}: {exc}"
            _note(self.error, f"the {self.name} operation itself {outcome}")
            value, exc = None, self.error
        self.sink(value, exc)


def _note(exc: BaseException, text: str) -> None:
    add_note = getattr(exc, "add_note", None)  # Python 3.11+
    if add_note is not None:
        try:
            add_note(text)
        except Exception:  # pragma: no cover - a strange exception type
            pass


def _internal(what: str, op: Optional[Operation], e: BaseException) -> None:
    """A bug in the binding: log it, and fail the operation with it if the
    exception hit its completion."""
    logger.error("scout: internal error in the %s trampoline", what, exc_info=e)
    if op is not None:
        try:
            op.sink(None, e)
        except BaseException:  # noqa: B036 - the future was already settled
            pass


def _completion(user: Optional[int], what: str) -> Optional[Operation]:
    """The operation a completion belongs to, once: None if unknown, or if
    it was cancelled through Operation.cancel (nothing to deliver)."""
    op: Optional[Operation] = unregister(user)
    if op is None:
        logger.error("scout: %s callback for an unknown operation id %r", what, user)
        return None
    if not op.complete():
        return None
    return op


def _bytes(ptr: Optional[int], length: int) -> bytes:
    """Copies length bytes the library passed; the header promises non-NULL
    pointers, but a NULL one gives zero bytes rather than a crash."""
    return string_at(ptr, length) if ptr and length else b""


def _hash(ptr: Optional[int]) -> bytes:
    return string_at(ptr, _lib.HASH_SIZE) if ptr else bytes(_lib.HASH_SIZE)


# ---------------------------------------------------------------------------
# The trampolines: one per callback type, alive for the life of the process.


def _on_log(user: Optional[int], level: int, message: Optional[bytes]) -> None:
    try:
        target = lookup(user)
        if target is not None:
            target(level, (message or b"").decode("utf-8", "replace"))
    except BaseException as e:  # noqa: B036
        _internal("log", None, e)


def _on_entry_updated(user: Optional[int], ident: int, seq: int, value: Optional[int], length: int) -> None:
    op = None
    try:
        op = lookup(user)
        if op is None or op.on_entry is None:
            return
        data = _bytes(value, length)
        with _Dispatching(op.session_key):
            op.call_user("on_entry", op.on_entry, Entry(ident, seq, data))
    except BaseException as e:  # noqa: B036
        _internal("entry_updated", None, e)


def _on_finalize(user: Optional[int], handle: Optional[int]) -> None:
    try:
        op = lookup(user)
        if op is None or op.finalize is None:
            return
        entries = Entries._borrowed(handle)
        try:
            with _Dispatching(op.session_key):
                op.call_user("finalize", op.finalize, entries)
        finally:
            entries.close()  # borrowed: the library frees it when we return
    except BaseException as e:  # noqa: B036
        _internal("finalize", None, e)


def _on_sync_finished(user: Optional[int], status: int, seq: int, stored: int, failed: int) -> None:
    op = None
    try:
        detail = last_error() if status != _lib.OK else ""
        op = _completion(user, "sync_finished")
        if op is None:
            return
        with _Dispatching(op.session_key):
            if status == _lib.OK:
                op.settle(op.keep, None)
            else:
                op.settle(None, error_for(status, "synchronize", detail))
    except BaseException as e:  # noqa: B036
        _internal("sync_finished", op, e)


def _on_put_finished(user: Optional[int], status: int, hash: Optional[int], stored: int) -> None:
    op = None
    try:
        detail = last_error() if status != _lib.OK else ""
        op = _completion(user, "put_finished")
        if op is None:
            return
        with _Dispatching(op.session_key):
            if status == _lib.OK:
                op.settle(_hash(hash), None)
            else:
                op.settle(None, error_for(status, "put", detail))
    except BaseException as e:  # noqa: B036
        _internal("put_finished", op, e)


def _on_get_received(
    user: Optional[int], status: int, msg: Optional[int], length: int, next: Optional[int]
) -> None:
    op = None
    try:
        detail = last_error() if status != _lib.OK else ""
        op = _completion(user, "get_received")
        if op is None:
            return
        with _Dispatching(op.session_key):
            if status == _lib.OK:
                data = _bytes(msg, length)
                op.settle(Message(data, _hash(next)), None)
            else:
                op.settle(None, error_for(status, "get", detail))
    except BaseException as e:  # noqa: B036
        _internal("get_received", op, e)


def _on_list_message(
    user: Optional[int], hash: Optional[int], msg: Optional[int], length: int, next: Optional[int]
) -> None:
    op = None
    try:
        op = lookup(user)
        if op is None:
            return
        data = _bytes(msg, length)
        op.messages.append(
            ListMessage(_hash(hash), data, _hash(next))
        )
    except BaseException as e:  # noqa: B036
        _internal("list_message", None, e)


def _on_list_finished(user: Optional[int], status: int, count: int) -> None:
    op = None
    try:
        detail = last_error() if status != _lib.OK else ""
        op = _completion(user, "list_finished")
        if op is None:
            return
        with _Dispatching(op.session_key):
            if status == _lib.OK:
                op.settle(list(op.messages), None)
            else:
                err = error_for(status, "get_list", detail)
                err.messages = list(op.messages)  # type: ignore[attr-defined]
                op.settle(None, err)
    except BaseException as e:  # noqa: B036
        _internal("list_finished", op, e)


# Keeping and watching (scout.keep): operations that run until stopped. Their
# Operation's `keep` is the Keeper or Watch object, which gets every event;
# the completion reaches it whatever ended the operation, cancel() included.


def _on_keep_round(user: Optional[int], status: int, seq: int, items: int, stored: int) -> None:
    try:
        op = lookup(user)
        if op is None:
            return
        with _Dispatching(op.session_key):
            op.keep._round(op, status, seq, items, stored)
    except BaseException as e:  # noqa: B036
        _internal("keep_round", None, e)


def _on_entry_removed(user: Optional[int], ident: int, seq: int) -> None:
    try:
        op = lookup(user)
        if op is None:
            return
        with _Dispatching(op.session_key):
            op.keep._removed(op, ident, seq)
    except BaseException as e:  # noqa: B036
        _internal("entry_removed", None, e)


def _on_watch_changed(user: Optional[int], seq: int, updated: int, removed: int) -> None:
    try:
        op = lookup(user)
        if op is None:
            return
        with _Dispatching(op.session_key):
            op.keep._changed(op, seq)
    except BaseException as e:  # noqa: B036
        _internal("watch_changed", None, e)


def _on_run_finished(user: Optional[int], status: int) -> None:
    try:
        detail = last_error() if status != _lib.OK else ""
        op: Optional[Operation] = unregister(user)
        if op is None:
            logger.error("scout: run_finished callback for an unknown operation id %r", user)
            return
        op.complete()
        with _Dispatching(op.session_key):
            op.keep._finished(op, status, detail)
    except BaseException as e:  # noqa: B036
        _internal("run_finished", None, e)


LOG = _lib.LOG_FN(_on_log)
ENTRY_UPDATED = _lib.ENTRY_UPDATED_FN(_on_entry_updated)
FINALIZE = _lib.FINALIZE_FN(_on_finalize)
SYNC_FINISHED = _lib.SYNC_FINISHED_FN(_on_sync_finished)
PUT_FINISHED = _lib.PUT_FINISHED_FN(_on_put_finished)
GET_RECEIVED = _lib.GET_RECEIVED_FN(_on_get_received)
LIST_MESSAGE = _lib.LIST_MESSAGE_FN(_on_list_message)
LIST_FINISHED = _lib.LIST_FINISHED_FN(_on_list_finished)
KEEP_ROUND = _lib.KEEP_ROUND_FN(_on_keep_round)
ENTRY_REMOVED = _lib.ENTRY_REMOVED_FN(_on_entry_removed)
WATCH_CHANGED = _lib.WATCH_CHANGED_FN(_on_watch_changed)
RUN_FINISHED = _lib.RUN_FINISHED_FN(_on_run_finished)

# NULL function pointers, for callbacks the user did not give.
NO_ENTRY_UPDATED = _lib.ENTRY_UPDATED_FN()
NO_FINALIZE = _lib.FINALIZE_FN()

# Referenced here for the life of the process: C may call any of them at any
# time, from any of its threads.
_TRAMPOLINES: Tuple[Any, ...] = (
    LOG,
    ENTRY_UPDATED,
    FINALIZE,
    SYNC_FINISHED,
    PUT_FINISHED,
    GET_RECEIVED,
    LIST_MESSAGE,
    LIST_FINISHED,
    KEEP_ROUND,
    ENTRY_REMOVED,
    WATCH_CHANGED,
    RUN_FINISHED,
)
