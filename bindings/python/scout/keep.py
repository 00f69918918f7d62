"""Keeping data alive and watching it change.

DHT nodes drop an item about 2 hours after it was last put.
:meth:`Session.keep <scout.Session.keep>` keeps the entry list two peers
share alive and :meth:`Session.keep_list <scout.Session.keep_list>` a
message list: they put the newest items again, byte for byte, to the
nodes now closest to them, every ``interval`` seconds (default 30
minutes), until stopped. :meth:`Session.watch <scout.Session.watch>` and
:meth:`Session.awatch <scout.Session.awatch>` follow an entry list: they
ask the closest nodes every ``interval`` (default a minute) for a newer
version, which the nodes send only when there is one, and report each.

Each returns a handle that runs until :meth:`stop` (or the session's
stop or close), in ``with`` / ``async with`` a block. Its callbacks run on
the session's dispatcher thread, one at a time, as
:meth:`Session.synchronize <scout.Session.synchronize>`'s do. A watch is
also an iterator of :class:`WatchChange` (``for``, or ``async for`` over
:meth:`Session.awatch <scout.Session.awatch>`), which ends when it stops.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from ctypes import byref, c_int, c_int64, c_uint32, c_void_p, create_string_buffer
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, List, NamedTuple, Optional

from . import _callbacks as cb
from . import _lib
from ._util import UINT32_MAX, fixed
from .entries import Entries, Entry
from .errors import ScoutError, error_for, last_error
from .messages import ListHead, hash_arg

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session

__all__ = ["KeepRound", "Kept", "Keeper", "Removed", "Watch", "WatchChange"]

_L = _lib.LIB


class KeepRound(NamedTuple):
    """One round of a :class:`Keeper`: what it put again."""

    #: The entry list's item seq put (0 for a message list).
    seq: int
    #: Items put: 1 for an entry list, the messages read so far of a list.
    items: int
    #: Puts the nodes acknowledged.
    stored: int
    #: Why the round failed (e.g. NotFound: no node holds it yet), or None.
    error: Optional[ScoutError]


class Kept(NamedTuple):
    """Something the session keeps alive (:meth:`Session.kept`)."""

    #: True for a message list (keep_list), False for an entry list (keep).
    is_list: bool
    #: The entry list's target (:func:`scout.shared_target`) or the list's head.
    target: bytes
    #: The entry list's item seq put last (0 for a message list).
    seq: int
    #: Rounds done so far.
    rounds: int
    #: Why the last round failed, or None.
    error: Optional[ScoutError]


class Removed(NamedTuple):
    """An entry a peer removed: its id and its tombstone's seq."""

    id: int
    seq: int


class WatchChange(NamedTuple):
    """A new version of a watched entry list."""

    #: The item seq of the version.
    seq: int
    #: The entries it added or made newer (what ``on_entry`` got).
    updated: List[Entry]
    #: The entries it removed (what ``on_removed`` got).
    removed: List[Removed]
    #: The merged list as of this version: a copy of the receiver's own.
    entries: Entries


def _interval_ms(interval: Optional[float]) -> int:
    if interval is None:
        return 0
    if isinstance(interval, bool) or not isinstance(interval, (int, float)):
        raise TypeError(f"interval must be a number of seconds, not {type(interval).__name__}")
    ms = round(interval * 1000)
    if not 1 <= ms <= UINT32_MAX:
        raise ValueError(f"interval must be between 0.001 and {UINT32_MAX // 1000} seconds")
    return ms


def _callable(fn: Any, name: str) -> None:
    if fn is not None and not callable(fn):
        raise TypeError(f"{name} must be callable or None")


class _Run:
    """What Keeper and Watch share: an operation that runs until stopped,
    and its one completion."""

    _NAME = "run"

    def __init__(self, session: "Session") -> None:
        self._session = session
        self._op: Optional[cb.Operation] = None
        self._ended = threading.Event()
        self._error: Optional[BaseException] = None

    def _start(self, call: Callable[[int, Any, int], int], on_entry: Optional[Callable[..., Any]] = None) -> None:
        """Registers the operation and starts it: call(session handle,
        op_out, op_id); a start that fails never calls back."""
        op = cb.Operation(self._NAME, self._session, self._session._key, lambda v, e: None, keep=self)
        op.on_entry = on_entry
        self._op = op
        h = self._session._h()
        out = c_void_p()
        op_id = cb.register(op)
        try:
            status = call(h, byref(out), op_id)
        except BaseException:
            cb.unregister(op_id)
            raise
        if status != _lib.OK:
            detail = last_error()
            cb.unregister(op_id)
            raise error_for(status, self._NAME, detail)
        op.attach(out.value)

    def stop(self) -> None:
        """Stops it: its completion comes soon after, on the library's
        thread (:meth:`wait` for it). Stopping a stopped one does nothing."""
        if self._op is not None:
            self._op.cancel()

    def wait(self, timeout: Optional[float] = None) -> None:
        """Waits until it has ended (stopped, or its session stopped or
        closed). Raises TimeoutError if it runs on after ``timeout``
        seconds, the first exception a callback of it raised, or the error
        that ended it otherwise."""
        if not self._ended.wait(timeout):
            raise TimeoutError(f"{self._NAME} still running after {timeout} s")
        if self._error is not None:
            raise self._error

    @property
    def done(self) -> bool:
        """Whether it has ended."""
        return self._ended.is_set()

    def _finished(self, op: cb.Operation, status: int, detail: str) -> None:
        if op.error is not None:
            self._error = op.error
        elif status not in (_lib.OK, _lib.CANCELLED):
            self._error = error_for(status, self._NAME, detail)
        self._ended.set()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()


class Keeper(_Run):
    """Keeps an entry list or a message list alive (:meth:`Session.keep`,
    :meth:`Session.keep_list`) until :meth:`stop`."""

    _NAME = "keep"

    def __init__(self, session: "Session", on_round: Optional[Callable[[KeepRound], Any]]) -> None:
        super().__init__(session)
        self._on_round = on_round
        self._lock = threading.Lock()
        self._rounds = 0
        self._last: Optional[KeepRound] = None

    @property
    def rounds(self) -> int:
        """How many rounds it has done."""
        with self._lock:
            return self._rounds

    @property
    def last_round(self) -> Optional[KeepRound]:
        """The last round, or None before the first."""
        with self._lock:
            return self._last

    def _round(self, op: cb.Operation, status: int, seq: int, items: int, stored: int) -> None:
        err = None if status == _lib.OK else error_for(status, self._NAME, "")
        r = KeepRound(seq, items, stored, err)
        with self._lock:
            self._rounds += 1
            self._last = r
        if self._on_round is not None:
            op.call_user("on_round", self._on_round, r)


def _keep_options(interval: Optional[float]) -> _lib.KeepOptions:
    opts = _lib.KeepOptions()
    _L.scout_keep_options_init(byref(opts))
    opts.interval_ms = _interval_ms(interval)
    return opts


def keep(
    session: "Session",
    shared: bytes,
    interval: Optional[float],
    on_round: Optional[Callable[[KeepRound], Any]],
) -> Keeper:
    secret = fixed(shared, "shared", _lib.KEY_SIZE)
    _callable(on_round, "on_round")
    opts = _keep_options(interval)
    k = Keeper(session, on_round)
    k._start(lambda h, out, user: _L.scout_keep(h, secret, byref(opts), out, cb.KEEP_ROUND, cb.RUN_FINISHED, user))
    return k


def keep_list(
    session: "Session",
    head: "bytes | ListHead",
    interval: Optional[float],
    on_round: Optional[Callable[[KeepRound], Any]],
) -> Keeper:
    target = hash_arg(head, "head")
    _callable(on_round, "on_round")
    opts = _keep_options(interval)
    k = Keeper(session, on_round)
    k._NAME = "keep_list"
    k._start(
        lambda h, out, user: _L.scout_keep_list(h, target, byref(opts), out, cb.KEEP_ROUND, cb.RUN_FINISHED, user)
    )
    return k


def kept(session: "Session") -> List[Kept]:
    h = session._h()
    out: List[Kept] = []
    index = 0
    while True:
        is_list, seq, rounds, last = c_int(), c_int64(), c_uint32(), c_int()
        target = create_string_buffer(_lib.HASH_SIZE)
        status = _L.scout_session_kept(h, index, byref(is_list), target, byref(seq), byref(rounds), byref(last))
        if status == _lib.NOT_FOUND:
            return out
        if status != _lib.OK:
            raise error_for(status, "session_kept", last_error())
        err = None if last.value == _lib.OK else error_for(last.value, "keep", "")
        out.append(Kept(bool(is_list.value), target.raw, seq.value, rounds.value, err))
        index += 1


_END = object()  # the end of a watch's changes, in its queue


class Watch(_Run):
    """Follows an entry list (:meth:`Session.watch`, :meth:`Session.awatch`)
    until :meth:`stop`. Iterate it for its :class:`WatchChange` s: ``for``
    over a watch from :meth:`Session.watch`, ``async for`` over one from
    :meth:`Session.awatch`; the iteration ends once it has stopped (and
    raises what :meth:`wait` would)."""

    _NAME = "watch"

    def __init__(
        self,
        session: "Session",
        entries: Entries,
        on_entry: Optional[Callable[[Entry], Any]],
        on_removed: Optional[Callable[[Removed], Any]],
        on_change: Optional[Callable[[WatchChange], Any]],
        loop: Optional[asyncio.AbstractEventLoop],
    ) -> None:
        super().__init__(session)
        self._entries = entries
        self._on_entry = on_entry
        self._on_removed = on_removed
        self._on_change = on_change
        self._loop = loop
        self._updated: List[Entry] = []
        self._removed_now: List[Removed] = []
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._aqueue: "Optional[asyncio.Queue[Any]]" = asyncio.Queue() if loop is not None else None

    @property
    def entries(self) -> Entries:
        """The merged list as of the last version seen: the ``entries``
        given to watch (replaced in place), or the watch's own."""
        return self._entries

    def _entry(self, e: Entry) -> None:
        self._updated.append(e)
        if self._on_entry is not None:
            self._on_entry(e)

    def _removed(self, op: cb.Operation, ident: int, seq: int) -> None:
        r = Removed(ident, seq)
        self._removed_now.append(r)
        if self._on_removed is not None:
            op.call_user("on_removed", self._on_removed, r)

    def _changed(self, op: cb.Operation, seq: int) -> None:
        change = WatchChange(seq, self._updated, self._removed_now, self._entries.copy())
        self._updated, self._removed_now = [], []
        if self._on_change is not None:
            op.call_user("on_change", self._on_change, change)
        self._push(change)

    def _finished(self, op: cb.Operation, status: int, detail: str) -> None:
        super()._finished(op, status, detail)
        self._push(_END)

    def _push(self, item: Any) -> None:
        if self._aqueue is not None and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._aqueue.put_nowait, item)
            except RuntimeError:  # the loop is closed: nobody iterates any more
                pass
        else:
            self._queue.put(item)

    def __iter__(self) -> Iterator[WatchChange]:
        if self._aqueue is not None:
            raise TypeError("a watch from Session.awatch is iterated with async for")
        while True:
            item = self._queue.get()
            if item is _END:
                self._queue.put(_END)  # for another iteration
                self.wait()
                return
            yield item

    def __aiter__(self) -> AsyncIterator[WatchChange]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[WatchChange]:
        q = self._aqueue
        if q is None:
            raise TypeError("a watch from Session.watch is iterated with for; use Session.awatch for async for")
        while True:
            try:
                item = await q.get()
            except asyncio.CancelledError:
                self.stop()  # the task that iterates was cancelled: nobody wants more
                raise
            if item is _END:
                q.put_nowait(_END)
                self.wait()
                return
            yield item


def watch(
    session: "Session",
    shared: bytes,
    entries: Optional[Entries],
    interval: Optional[float],
    on_entry: Optional[Callable[[Entry], Any]],
    on_removed: Optional[Callable[[Removed], Any]],
    on_change: Optional[Callable[[WatchChange], Any]],
    loop: Optional[asyncio.AbstractEventLoop],
) -> Watch:
    secret = fixed(shared, "shared", _lib.KEY_SIZE)
    if entries is None:
        entries = Entries()
    elif not isinstance(entries, Entries):
        raise TypeError(f"entries must be scout.Entries or None, not {type(entries).__name__}")
    for fn, name in ((on_entry, "on_entry"), (on_removed, "on_removed"), (on_change, "on_change")):
        _callable(fn, name)
    opts = _lib.WatchOptions()
    _L.scout_watch_options_init(byref(opts))
    opts.interval_ms = _interval_ms(interval)
    w = Watch(session, entries, on_entry, on_removed, on_change, loop)
    eh = entries._h()

    def call(h: int, out: Any, user: int) -> int:
        return _L.scout_watch(
            h, secret, eh, byref(opts), out, cb.ENTRY_UPDATED, cb.ENTRY_REMOVED, cb.WATCH_CHANGED, cb.RUN_FINISHED, user
        )

    w._start(call, on_entry=w._entry)  # the operation keeps w, and so the list, alive while it runs
    return w
