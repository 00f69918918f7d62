"""Sessions (a DHT node running in the background) and loopback swarms.

Every network operation comes in three forms, each with a ``timeout=``
keyword, the operation's own deadline in seconds (default: the session's):

* blocking: ``session.put(token, msg)`` waits for the result;
* ``*_async``: ``session.put_async(token, msg)`` returns a
  :class:`concurrent.futures.Future` at once; its done callbacks run on
  the library's thread, and ``future.cancel()`` cancels the operation;
* asyncio: ``await session.aput(token, msg)`` (the ``a`` prefix, as in
  Django's ``aget``), resolved on the running loop with
  ``call_soon_threadsafe``; cancelling the task cancels the operation.

Cancelling one operation leaves the session and its other operations
alone; stopping or closing the session cancels every operation in flight,
which then fail with :class:`~scout.errors.Cancelled`.

Starting a session joins the DHT, which takes a few seconds when no node
answers: ``Session(...)`` does it at once (blocking), ``Session(...,
start=False)`` leaves it to :meth:`Session.start` or the awaitable
:meth:`Session.astart` (on a worker thread: the event loop never waits),
and ``async with`` or ``await scout.open_session(...)`` do it for you.

Callbacks given to :meth:`Session.synchronize` (``on_entry``,
``finalize``) run on the session's dispatcher thread, one at a time, in
every form; see :mod:`scout._callbacks` for what happens when they raise.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import enum
import logging
import math
import os
from ctypes import byref, c_double, c_int, c_size_t, c_uint16, c_uint32, c_void_p
from typing import Any, Callable, Generator, List, NamedTuple, Optional, Sequence, Tuple, TypeVar, Union

from . import _callbacks as cb
from . import _lib
from ._handle import Handle
from ._util import UINT32_MAX, bounded, fixed, handle_of, integer, read_str, u32
from .entries import Entries, Entry
from .errors import Timeout, check, error_for, last_error
from .keep import Keeper, KeepRound, Kept, Removed, Watch, WatchChange
from .keep import keep as _keep
from .keep import keep_list as _keep_list
from .keep import kept as _kept
from .keep import watch as _watch
from .messages import ListHead, ListMessage, Message, hash_arg
from .stats import Stats, _from_c

__all__ = ["Families", "Limits", "PortMapping", "Session", "Swarm", "WAN", "open_session"]

_L = _lib.LIB

_session_logger = logging.getLogger("scout.session")

#: A 20-byte hash argument: bytes-like, or a ListHead for its head.
HashLike = Union[bytes, bytearray, memoryview, ListHead]


def _slog_level(py_level: int) -> int:
    """The least severe log/slog level to ask for, for a logging level."""
    if py_level <= logging.DEBUG:
        return _lib.LOG_DEBUG
    if py_level <= logging.INFO:
        return _lib.LOG_INFO
    if py_level <= logging.WARNING:
        return _lib.LOG_WARN
    return _lib.LOG_ERROR


def _py_level(slog_level: int) -> int:
    if slog_level < _lib.LOG_INFO:
        return logging.DEBUG
    if slog_level < _lib.LOG_WARN:
        return logging.INFO
    if slog_level < _lib.LOG_ERROR:
        return logging.WARNING
    return logging.ERROR


class _LogSink:
    """Where a session's diagnostic lines go: the "scout.session" logger."""

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def __call__(self, level: int, message: str) -> None:
        self.logger.log(_py_level(level), "%s", message)


def _free_session(handle: int, log_id: int) -> None:
    # Pending operations get SCOUT_CANCELLED before this returns, and no
    # callback (the log's included) runs after it: the log sink can go.
    _L.scout_session_free(handle)
    cb.unregister(log_id)


T = TypeVar("T")


#: How long a blocking call waits beyond the operation's deadline, for a
#: completion held up behind a slow callback of the same session, before it
#: cancels the operation and raises Timeout.
_WAIT_GRACE = 2.0

#: The library's default operation deadline, in seconds.
_DEFAULT_TIMEOUT = _lib.DEFAULT_TIMEOUT_MS / 1000


class Session(Handle):
    """A DHT node running in the background, started on creation (unless
    ``start=False``).

    Args:
        bootstrap: nodes to join the DHT through: a ``"host:port"`` string
            (several separated by commas), a sequence of them, or a
            :class:`Swarm`. ``None`` (the default) joins the **public**
            mainline DHT; ``""`` means none (only the state file's nodes).
        port: UDP port to bind on all interfaces (IPv4, and IPv6 where the
            machine has it: see ``families``); 0 lets the system choose.
            ``None`` (with ``host`` None too): a random port in the
            original's range.
        host: address to bind instead of all interfaces, e.g.
            ``"127.0.0.1"`` (IPv4 only) or ``"::1"`` (IPv6 only).
        state_path: file keeping the node id and good nodes between runs.
        timeout: deadline of each operation, in seconds (default 30).
        read_only: announce the node as read-only (BEP 43), for short-lived
            nodes.
        port_map: whether to map the node's UDP port on the home router
            (PCP, NAT-PMP or UPnP IGD): ``None`` (the default) maps when
            the node is a full node of the public DHT behind a router (not
            read-only, ``bootstrap=None`` with ``$SCOUT_BOOTSTRAP`` unset,
            on all interfaces or a LAN or public IPv4 address), never on
            loopback or for a test swarm; ``True`` always, ``False`` never.
            The mapping is made in the background once the node has
            started; :attr:`port_mapping` reports it.
        show_removed: report removals: ``on_entry`` (synchronize, watch)
            also gets removed entries, as an entry with an empty value and
            its tombstone's seq. By default they are hidden, as lists hide
            them (:meth:`Entries.remove` leaves a tombstone that
            synchronize publishes).
        refresh_on_read: keep alive what the session reads: get and
            get_list put each message they read again, a watch its list
            (at most every half hour), byte for byte, to the closest nodes
            that answered.
        tombstone_ttl: how long, in seconds, a removed entry's tombstone
            stays in the list (synchronize then leaves it out of what it
            writes); ``None``: 30 days; a negative number: forever.
        listen_addr6: the IPv6 address, ``"[addr]:port"``, of a
            dual-stack node whose ``host`` is an IPv4 address, e.g.
            ``"[::1]:0"``. ``None``: all IPv6 interfaces on the same port
            (when the node runs IPv6 at all).
        families: which DHTs the node joins (BEP 32 makes IPv4's and
            IPv6's two DHTs): a :class:`Families` or its value,
            ``"auto"`` (the default: both when ``host`` is None and IPv6
            can be bound, both with ``listen_addr6``, else ``host``'s
            family), ``"ipv4"``, ``"ipv6"`` or ``"dual-stack"`` (every put
            goes to both DHTs and every get asks both).
        limits: what any one source may ask of the node, and the bytes it
            sends: a :class:`Limits`; ``None``: the defaults, which a
            public node can live with.
        start: start the node now (the default), which blocks until its
            first lookup through the bootstrap nodes has ended: milliseconds
            when a node answers, a few seconds when none does. With
            ``start=False``, call :meth:`start` or ``await``
            :meth:`astart`, or use ``async with``.

    ``bootstrap=None`` joins through the nodes ``$SCOUT_BOOTSTRAP`` lists
    (``"host:port[,...]"``) when it is set, else the public routers. If no
    node answered, the session still starts (it keeps trying in the
    background) and its operations fail with NetworkError or Timeout until
    it has joined.

    Diagnostics go to the ``"scout.session"`` logger, at the levels its
    effective level allows when the session is created.

    Raises:
        InvalidArgument: unusable options (e.g. a malformed address).
        NetworkError: the socket cannot be bound.
    """

    _WHAT = "session"

    def __init__(
        self,
        bootstrap: Union[str, Sequence[str], "Swarm", None] = None,
        port: Optional[int] = None,
        *,
        host: Optional[str] = None,
        state_path: Union[str, "os.PathLike[str]", None] = None,
        timeout: Optional[float] = None,
        read_only: bool = False,
        port_map: Optional[bool] = None,
        show_removed: bool = False,
        refresh_on_read: bool = False,
        tombstone_ttl: Optional[float] = None,
        listen_addr6: Optional[str] = None,
        families: Union[str, "Families", None] = None,
        limits: Optional["Limits"] = None,
        start: bool = True,
    ) -> None:
        boot: Optional[bytes] = None
        if isinstance(bootstrap, Swarm):
            bootstrap = bootstrap.bootstrap
        if bootstrap is not None:
            if isinstance(bootstrap, (bytes, bytearray)):
                raise TypeError("bootstrap must be str, a sequence of str or a Swarm, not bytes")
            if not isinstance(bootstrap, str):
                nodes = list(bootstrap)
                if not all(isinstance(b, str) for b in nodes):
                    raise TypeError("bootstrap must be str, a sequence of str or a Swarm")
                bootstrap = ",".join(nodes)
            boot = bootstrap.encode()
        listen: Optional[bytes] = None
        if port is not None or host is not None:
            p = 0 if port is None else integer(port, "port", 0, 65535)
            if host is not None and not isinstance(host, str):
                raise TypeError(f"host must be str, not {type(host).__name__}")
            bind = host or ""
            if ":" in bind and not bind.startswith("["):
                bind = f"[{bind}]"  # an IPv6 literal
            listen = f"{bind}:{p}".encode()
        opts = _options(timeout, read_only, port_map, state_path)
        _removal_options(opts, show_removed, refresh_on_read, tombstone_ttl)
        _limits_option(opts, limits)
        if listen_addr6 is not None:
            if not isinstance(listen_addr6, str):
                raise TypeError(f"listen_addr6 must be str, not {type(listen_addr6).__name__}")
            opts.listen_addr6 = listen_addr6.encode()
        opts.families = _FAMILIES[Families._of(families)]
        opts.bootstrap = boot
        opts.listen_addr = listen
        self._timeout: float = opts.timeout_ms / 1000 if opts.timeout_ms else _DEFAULT_TIMEOUT

        log_id = _attach_log(opts)
        out = c_void_p()
        status = _L.scout_session_new(byref(opts), byref(out))
        if status != _lib.OK:
            detail = last_error()
            cb.unregister(log_id)
            raise error_for(status, "session_new", detail)
        self._adopt(handle_of(out, "session_new"), log_id, started=False, swarm_index=None)
        if start:
            self.start()

    def _adopt(self, h: int, log_id: int, *, started: bool, swarm_index: Optional[int]) -> None:
        """Takes ownership of the session handle h, whose log sink is log_id."""
        self._own(h, _free_session, log_id)
        self._key: int = h
        self._started = started
        self._swarm_index = swarm_index

    # -- life ------------------------------------------------------------------

    def start(self) -> None:
        """Starts the node: binds its socket and joins the DHT, blocking
        until a first lookup has ended (milliseconds when a node answers, a
        few seconds when none does). A session starts once; the session is
        closed if its start fails.

        Raises:
            NetworkError: the socket cannot be bound. WrongState: it was
                started before. Cancelled: it was closed meanwhile.
        """
        status = _L.scout_session_start(self._h())
        if status != _lib.OK:
            detail = last_error()
            self.close()
            raise error_for(status, "session_start", detail)
        self._started = True

    async def astart(self) -> "Session":
        """As :meth:`start`, awaitable: the join runs on a worker thread, so
        the event loop goes on meanwhile. Cancelling the task stops the
        session (and closes it). Returns the session."""
        loop = asyncio.get_running_loop()
        h = self._h()
        joining = loop.run_in_executor(None, self.start)
        try:
            await asyncio.shield(joining)
        except asyncio.CancelledError:
            # Stop the join where it is (on a worker thread too); the
            # worker's start() then fails with Cancelled and closes the
            # session.
            loop.run_in_executor(None, _L.scout_session_stop, h)
            joining.add_done_callback(lambda f: f.cancelled() or f.exception())
            raise
        return self

    async def aclose(self) -> None:
        """As :meth:`close`, awaitable: waiting for the node to stop runs on
        a worker thread."""
        if self.closed:
            return
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def __aenter__(self) -> "Session":
        if not self._started:
            await self.astart()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def stop(self) -> None:
        """Stops the node: operations in flight fail with Cancelled, the
        state file is saved, the socket closed; new operations raise
        WrongState. Stopping a stopped session does nothing. The handle
        stays until :meth:`close`."""
        check(_L.scout_session_stop(self._h()), "session_stop")

    def close(self) -> None:
        """Stops the session if it runs and frees it. Operations in flight
        fail with Cancelled before this returns. Calling it again does
        nothing. May be called from the session's own callbacks."""
        super().close()

    @property
    def addr(self) -> str:
        """The address the socket is bound to, ``"ip:port"``."""
        h = self._h()
        return read_str(lambda buf, n: _L.scout_session_addr(h, buf, n), _lib.ADDR_STRLEN, "session_addr")

    @property
    def port(self) -> int:
        """The UDP port the socket is bound to."""
        p = c_uint16()
        check(_L.scout_session_port(self._h(), byref(p)), "session_port")
        return p.value

    @property
    def addrs(self) -> List[str]:
        """Every address the node listens on, ``"ip:port"`` (``"[ip]:port"``
        for IPv6), the IPv4 one first: two for a dual-stack node."""
        h = self._h()
        text = read_str(lambda buf, n: _L.scout_session_addrs(h, buf, n), 2 * _lib.ADDR_STRLEN, "session_addrs")
        return text.split(",")

    def stats(self) -> Stats:
        """A snapshot of the node's statistics: its routing tables, what it
        stores, queries by method each way, datagrams and bytes, what its
        limits refused, its external addresses, the session's operations by
        outcome. Zeros before the start; after :meth:`stop`, the counters
        as they were then."""
        raw = _lib.Stats()
        raw.size = ctypes.sizeof(raw)
        check(_L.scout_session_stats(self._h(), byref(raw)), "session_stats")
        return _from_c(raw)

    @property
    def port_mapping(self) -> Optional["PortMapping"]:
        """The port mapping the node holds on the router, or ``None``: while
        it holds none (port mapping off, not made yet, no router maps, not
        started or stopped). The mapping is made in the background after
        the start, renewed, and removed by :meth:`stop`; poll this property
        (the ``"scout.session"`` logger also gets an INFO line when it is
        made or changes)."""
        proto = c_int()
        bufs = [ctypes.create_string_buffer(_lib.ADDR_STRLEN) for _ in range(3)]
        lease = c_uint32()
        status = _L.scout_session_port_mapping(self._h(), byref(proto), bufs[0], bufs[1], bufs[2], byref(lease))
        if status == _lib.NOT_FOUND:
            return None
        check(status, "session_port_mapping")
        external, internal, gateway = (b.value.decode() for b in bufs)
        return PortMapping(
            _PROTOCOLS.get(proto.value, f"unknown ({proto.value})"),
            _host_port(external),
            _host_port(internal),
            gateway,
            float(lease.value),
        )

    @property
    def swarm_index(self) -> Optional[int]:
        """The node index of a session made by :meth:`Swarm.join` (as
        :meth:`Swarm.kill` reports it and :meth:`Swarm.set_dead` takes it);
        ``None`` for any other session."""
        return self._swarm_index

    def __repr__(self) -> str:
        if self.closed:
            return "<scout.Session closed>"
        try:
            return f"<scout.Session {self.addr}>"
        except Exception:
            return "<scout.Session>"

    # -- plumbing --------------------------------------------------------------

    def _start(
        self,
        op: cb.Operation,
        timeout: Optional[float],
        call: Callable[[int, Any, Any, int], int],
    ) -> None:
        """Registers op, then starts it with call(handle, opts, op_out,
        op_id) through a scout_*_op function; an operation that fails to
        start never calls back: unregister, raise with the cause's text."""
        h = self._h()
        opts = _lib.OpOptions()
        opts.size = ctypes.sizeof(_lib.OpOptions)
        opts.timeout_ms = _timeout_ms(timeout)
        out = c_void_p()
        op_id = cb.register(op)
        try:
            status = call(h, byref(opts), byref(out), op_id)
        except BaseException:
            cb.unregister(op_id)
            raise
        if status != _lib.OK:
            detail = last_error()
            cb.unregister(op_id)
            raise error_for(status, op.name, detail)
        op.attach(out.value)

    def _run_future(self, op: cb.Operation, timeout: Optional[float], call: Callable[..., int]) -> "cb.OperationFuture":
        """Starts op with a concurrent future as its sink."""
        fut = cb.OperationFuture()
        op.sink = cb.future_sink(fut)
        self._start(op, timeout, call)
        fut._scout_op = op
        return fut

    async def _run_async(self, op: cb.Operation, timeout: Optional[float], call: Callable[..., int]) -> Any:
        """Starts op with an asyncio future as its sink and awaits it;
        cancelling the awaiting task (or the future) cancels the operation."""
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[Any]" = loop.create_future()
        op.sink = cb.asyncio_sink(loop, fut)
        self._start(op, timeout, call)
        fut.add_done_callback(lambda f: op.cancel() if f.cancelled() else None)
        return await fut

    def _run_blocking(self, op: cb.Operation, timeout: Optional[float], call: Callable[..., int]) -> Any:
        """Starts op and waits for its result; an interrupted wait
        (KeyboardInterrupt) cancels the operation."""
        self._refuse_in_callback(op.name)
        fut = self._run_future(op, timeout, call)
        limit = (timeout if timeout is not None else self._timeout) + _WAIT_GRACE
        try:
            return fut.result(limit)
        except concurrent.futures.TimeoutError:  # an alias of TimeoutError from 3.11
            if fut.done():
                raise  # the operation's own Timeout
            fut.cancel()
            raise Timeout(
                f"{op.name}: no result within {limit:g} s (the session's callbacks are held up); cancelled"
            ) from None
        except BaseException:
            fut.cancel()
            raise

    def _refuse_in_callback(self, name: str) -> None:
        if cb.in_callback_of(self._key):
            raise RuntimeError(
                f"{name}() called from one of this session's callbacks would wait for the "
                f"thread it runs on; use {name}_async() there"
            )

    # -- synchronize -------------------------------------------------------------

    def _sync_op(
        self,
        shared: bytes,
        entries: Entries,
        on_entry: Optional[Callable[[Entry], Any]],
        finalize: Optional[Callable[[Entries], Any]],
    ) -> Tuple[cb.Operation, Callable[..., int]]:
        secret = fixed(shared, "shared", _lib.KEY_SIZE)
        if not isinstance(entries, Entries):
            raise TypeError(f"entries must be scout.Entries, not {type(entries).__name__}")
        if on_entry is not None and not callable(on_entry):
            raise TypeError("on_entry must be callable or None")
        if finalize is not None and not callable(finalize):
            raise TypeError("finalize must be callable or None")
        op = cb.Operation("synchronize", self, self._key, _no_sink, keep=entries)
        op.on_entry = on_entry
        op.finalize = finalize
        eh = entries._h()

        def call(h: int, opts: Any, out: Any, user: int) -> int:
            return _L.scout_synchronize_op(
                h,
                secret,
                eh,
                opts,
                out,
                cb.ENTRY_UPDATED if on_entry is not None else cb.NO_ENTRY_UPDATED,
                cb.FINALIZE if finalize is not None else cb.NO_FINALIZE,
                cb.SYNC_FINISHED,
                user,
            )

        return op, call

    def synchronize_async(
        self,
        shared: bytes,
        entries: Entries,
        on_entry: Optional[Callable[[Entry], Any]] = None,
        finalize: Optional[Callable[[Entries], Any]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> "concurrent.futures.Future[Entries]":
        """As :meth:`synchronize`, returning a future at once;
        ``future.cancel()`` cancels the operation."""
        return self._run_future(*_reorder(self._sync_op(shared, entries, on_entry, finalize), timeout))

    def synchronize(
        self,
        shared: bytes,
        entries: Entries,
        on_entry: Optional[Callable[[Entry], Any]] = None,
        finalize: Optional[Callable[[Entries], Any]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Entries:
        """Synchronizes an entry list with the peer that shares ``shared``.

        Reads the list the two peers share from the DHT, merges it into a
        copy of ``entries`` (the higher seq wins), calls ``on_entry(entry)``
        for each entry that is new or newer than the local one, calls
        ``finalize(merged)`` to allow a last change (``merged`` is valid
        during the call only), then seals, signs and writes it.

        Args:
            shared: the 32-byte shared secret (:func:`scout.key_exchange`).
            entries: this side's list; on success it is replaced, in place,
                by the list as written.
            timeout: this operation's deadline in seconds (default: the
                session's).

        Returns:
            ``entries``, now holding the list as written.

        Raises:
            Timeout, NetworkError, Conflict, TooLarge (the merged list does
            not fit once sealed), Cancelled, or the first exception raised
            by ``on_entry`` / ``finalize``.
        """
        return self._run_blocking(*_reorder(self._sync_op(shared, entries, on_entry, finalize), timeout))

    async def asynchronize(
        self,
        shared: bytes,
        entries: Entries,
        on_entry: Optional[Callable[[Entry], Any]] = None,
        finalize: Optional[Callable[[Entries], Any]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Entries:
        """As :meth:`synchronize`, awaitable; cancelling the task cancels
        the operation. The callbacks still run on the library's thread, not
        the event loop's."""
        return await self._run_async(*_reorder(self._sync_op(shared, entries, on_entry, finalize), timeout))

    # -- put ---------------------------------------------------------------------

    def _put_op(self, token: HashLike, msg: bytes) -> Tuple[cb.Operation, Callable[..., int]]:
        t = hash_arg(token, "token")
        m = bounded(msg, "msg", _lib.MAX_MESSAGE_SIZE)
        op = cb.Operation("put", self, self._key, _no_sink)
        return op, lambda h, opts, out, user: _L.scout_put_op(h, t, m, len(m), opts, out, cb.PUT_FINISHED, user)

    def put_async(
        self, token: HashLike, msg: bytes, *, timeout: Optional[float] = None
    ) -> "concurrent.futures.Future[bytes]":
        """As :meth:`put`, returning a future at once; ``future.cancel()``
        cancels the operation."""
        return self._run_future(*_reorder(self._put_op(token, msg), timeout))

    def put(self, token: HashLike, msg: bytes, *, timeout: Optional[float] = None) -> bytes:
        """Stores an offline message whose next hash is ``token``
        (from :meth:`scout.ListHead.push_front`).

        Args:
            timeout: this operation's deadline in seconds (default: the
                session's).

        Returns:
            The stored item's hash (20 bytes): the list's new head.

        Raises:
            TooLarge: msg is longer than 973 bytes (nothing is sent).
            Timeout, NetworkError, Cancelled.
        """
        return self._run_blocking(*_reorder(self._put_op(token, msg), timeout))

    async def aput(self, token: HashLike, msg: bytes, *, timeout: Optional[float] = None) -> bytes:
        """As :meth:`put`, awaitable; cancelling the task cancels the operation."""
        return await self._run_async(*_reorder(self._put_op(token, msg), timeout))

    # -- get ---------------------------------------------------------------------

    def _get_op(self, hash: HashLike) -> Tuple[cb.Operation, Callable[..., int]]:
        target = hash_arg(hash, "hash")
        op = cb.Operation("get", self, self._key, _no_sink)
        return op, lambda h, opts, out, user: _L.scout_get_op(h, target, opts, out, cb.GET_RECEIVED, user)

    def get_async(self, hash: HashLike, *, timeout: Optional[float] = None) -> "concurrent.futures.Future[Message]":
        """As :meth:`get`, returning a future at once; ``future.cancel()``
        cancels the operation."""
        return self._run_future(*_reorder(self._get_op(hash), timeout))

    def get(self, hash: HashLike, *, timeout: Optional[float] = None) -> Message:
        """Fetches the message stored under ``hash`` (bytes or a ListHead).

        Args:
            timeout: this operation's deadline in seconds (default: the
                session's).

        Returns:
            ``Message(message, next)``, which unpacks as ``msg, next``;
            ``next`` is 20 zero bytes at the list's end.

        Raises:
            NotFound: no node holds it. Timeout, NetworkError, Cancelled.
        """
        return self._run_blocking(*_reorder(self._get_op(hash), timeout))

    async def aget(self, hash: HashLike, *, timeout: Optional[float] = None) -> Message:
        """As :meth:`get`, awaitable; cancelling the task cancels the operation."""
        return await self._run_async(*_reorder(self._get_op(hash), timeout))

    # -- get_list ----------------------------------------------------------------

    def _get_list_op(self, head: HashLike, limit: int) -> Tuple[cb.Operation, Callable[..., int]]:
        target = hash_arg(head, "head")
        n = integer(limit, "limit", 0, 2**64 - 1)
        op = cb.Operation("get_list", self, self._key, _no_sink)
        return op, lambda h, opts, out, user: _L.scout_get_list_op(
            h, target, n, opts, out, cb.LIST_MESSAGE, cb.LIST_FINISHED, user
        )

    def get_list_async(
        self, head: HashLike, limit: int = 0, *, timeout: Optional[float] = None
    ) -> "concurrent.futures.Future[List[ListMessage]]":
        """As :meth:`get_list`, returning a future at once;
        ``future.cancel()`` cancels the operation."""
        return self._run_future(*_reorder(self._get_list_op(head, limit), timeout))

    def get_list(self, head: HashLike, limit: int = 0, *, timeout: Optional[float] = None) -> List[ListMessage]:
        """Walks the message list from ``head`` (bytes or a ListHead),
        newest first, for at most ``limit`` messages (0: to the end).

        Args:
            timeout: the deadline of the whole walk, in seconds (default:
                the session's).

        Returns:
            ``[ListMessage(hash, message, next), ...]``; an empty head
            gives ``[]``.

        Raises:
            NotFound, Timeout, NetworkError, Cancelled: a message could not
            be read; the exception's ``messages`` attribute holds those
            read before it.
        """
        return self._run_blocking(*_reorder(self._get_list_op(head, limit), timeout))

    async def aget_list(
        self, head: HashLike, limit: int = 0, *, timeout: Optional[float] = None
    ) -> List[ListMessage]:
        """As :meth:`get_list`, awaitable; cancelling the task cancels the operation."""
        return await self._run_async(*_reorder(self._get_list_op(head, limit), timeout))


    # -- keeping and watching (scout.keep) ------------------------------------

    def keep(
        self, shared: bytes, *, interval: Optional[float] = None, on_round: Optional[Callable[[KeepRound], Any]] = None
    ) -> Keeper:
        """Keeps the entry list shared with a peer alive: puts its newest
        signed item again, byte for byte, to the nodes now closest to it, at
        once and then every ``interval`` seconds (default 1800, a quarter
        of the 2-hour item lifetime), until the keeper is stopped (or the
        session stops). ``on_round(KeepRound)`` is told of each round, on
        the session's dispatcher thread. The list this session writes or
        watches meanwhile becomes the one kept.

        Returns:
            A :class:`Keeper`: ``stop()``, ``wait()``, ``rounds``, and
            ``with`` (stopped on exit).
        """
        return _keep(self, shared, interval, on_round)

    def keep_list(
        self,
        head: HashLike,
        *,
        interval: Optional[float] = None,
        on_round: Optional[Callable[[KeepRound], Any]] = None,
    ) -> Keeper:
        """Keeps the message list from ``head`` alive, as :meth:`keep` keeps
        an entry list: reads its messages and puts each again, byte for
        byte, to the nodes now closest to it, every ``interval``."""
        return _keep_list(self, head, interval, on_round)

    def kept(self) -> List[Kept]:
        """What the session keeps alive: its keepers still running, in the
        order they started."""
        return _kept(self)

    def watch(
        self,
        shared: bytes,
        entries: Optional[Entries] = None,
        *,
        interval: Optional[float] = None,
        on_entry: Optional[Callable[[Entry], Any]] = None,
        on_removed: Optional[Callable[[Removed], Any]] = None,
        on_change: Optional[Callable[[WatchChange], Any]] = None,
    ) -> Watch:
        """Watches the entry list shared with a peer: looks at once and
        then every ``interval`` seconds (default 60), asking the closest
        nodes for a version newer than the newest seen (they answer
        without the value until there is one), and for each new version
        calls ``on_entry`` per new or newer entry, ``on_removed`` per entry
        removed, then ``on_change(WatchChange)``, on the session's
        dispatcher thread. It never writes. ``entries`` (default: a list of
        its own) is what the caller has: only what is newer is reported,
        and it is replaced in place with the merged list at each version.

        Returns:
            A :class:`Watch`, which runs until ``stop()`` (or ``with``
            ends); iterate it for its changes (``for change in watch``).
        """
        return _watch(self, shared, entries, interval, on_entry, on_removed, on_change, None)

    def awatch(
        self,
        shared: bytes,
        entries: Optional[Entries] = None,
        *,
        interval: Optional[float] = None,
        on_entry: Optional[Callable[[Entry], Any]] = None,
        on_removed: Optional[Callable[[Removed], Any]] = None,
        on_change: Optional[Callable[[WatchChange], Any]] = None,
    ) -> Watch:
        """As :meth:`watch`, for asyncio: ``async for change in
        session.awatch(shared)`` gets each :class:`WatchChange` on the
        running loop; ``async with`` stops it on exit, and so does
        cancelling the task that iterates."""
        loop = asyncio.get_running_loop()
        return _watch(self, shared, entries, interval, on_entry, on_removed, on_change, loop)


class _Opening:
    """What :func:`open_session` returns: awaitable (a started session) and
    an async context manager (closed on exit)."""

    def __init__(self, args: Any, kwargs: Any) -> None:
        self._args, self._kwargs = args, kwargs
        self._session: Optional[Session] = None

    async def _open(self) -> Session:
        s = Session(*self._args, start=False, **self._kwargs)
        try:
            await s.astart()
        except BaseException:
            s.close()
            raise
        return s

    def __await__(self) -> Generator[Any, None, Session]:
        return self._open().__await__()

    async def __aenter__(self) -> Session:
        self._session = await self._open()
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.aclose()


def open_session(*args: Any, **kwargs: Any) -> _Opening:
    """Creates and starts a :class:`Session` without blocking the event
    loop: ``s = await scout.open_session(swarm)``, or ``async with
    scout.open_session(swarm) as s:`` (closed on exit). Takes Session's
    arguments (but ``start``)."""
    if "start" in kwargs:
        raise TypeError("open_session() starts the session: no start= argument")
    return _Opening(args, kwargs)


def _no_sink(value: Any, exc: Optional[BaseException]) -> None:
    """The sink of an operation not started yet (replaced before it is)."""


def _reorder(
    op_call: Tuple[cb.Operation, Callable[..., int]], timeout: Optional[float]
) -> Tuple[cb.Operation, Optional[float], Callable[..., int]]:
    op, call = op_call
    return op, timeout, call


def _options(
    timeout: Optional[float],
    read_only: bool,
    port_map: Optional[bool],
    state_path: Union[str, "os.PathLike[str]", None],
) -> _lib.SessionOptions:
    """A scout_session_options with what Session and Swarm.join share,
    every argument checked."""
    if port_map is not None and not isinstance(port_map, bool):
        raise TypeError(f"port_map must be True, False or None, not {type(port_map).__name__}")
    opts = _lib.SessionOptions()
    check(_L.scout_session_options_init(byref(opts)), "session_options_init")
    if state_path is not None:
        opts.state_file = os.fsencode(state_path)
    opts.timeout_ms = _timeout_ms(timeout)
    opts.read_only = 1 if read_only else 0
    opts.port_map = {None: _lib.PORT_MAP_AUTO, True: _lib.PORT_MAP_ON, False: _lib.PORT_MAP_OFF}[port_map]
    return opts


def _removal_options(
    opts: _lib.SessionOptions, show_removed: bool, refresh_on_read: bool, tombstone_ttl: Optional[float]
) -> None:
    """Sets scout_session_options' fields of keeping and removing."""
    opts.show_removed = 1 if show_removed else 0
    opts.refresh_on_read = 1 if refresh_on_read else 0
    if tombstone_ttl is not None:
        if isinstance(tombstone_ttl, bool) or not isinstance(tombstone_ttl, (int, float)):
            raise TypeError(f"tombstone_ttl must be a number of seconds, not {type(tombstone_ttl).__name__}")
        if not math.isfinite(tombstone_ttl):
            raise ValueError("tombstone_ttl must be a finite number of seconds")
        ms = round(tombstone_ttl * 1000)
        opts.tombstone_ttl_ms = -1 if tombstone_ttl < 0 else max(ms, 1)


class Families(str, enum.Enum):
    """Which DHTs a session joins (BEP 32: the IPv4 and the IPv6 DHT are two
    DHTs, with their own nodes). A session's ``families=`` takes a member or
    its value."""

    #: Both when ``host`` is None and an IPv6 socket can be bound, both with
    #: ``listen_addr6``; otherwise ``host``'s family.
    AUTO = "auto"
    #: The IPv4 DHT alone.
    IPV4 = "ipv4"
    #: The IPv6 DHT alone.
    IPV6 = "ipv6"
    #: Both, on one port: every put is written to both DHTs, every get asks
    #: both.
    DUAL_STACK = "dual-stack"

    @classmethod
    def _of(cls, value: Union[str, "Families", None]) -> "Families":
        if value is None:
            return cls.AUTO
        if not isinstance(value, str):
            raise TypeError(f"families must be a scout.Families or str, not {type(value).__name__}")
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(repr(f.value) for f in cls)
            raise ValueError(f"families must be one of {choices}, got {value!r}") from None


_FAMILIES = {
    Families.AUTO: _lib.FAMILIES_AUTO,
    Families.IPV4: _lib.FAMILIES_IPV4,
    Families.IPV6: _lib.FAMILIES_IPV6,
    Families.DUAL_STACK: _lib.FAMILIES_DUAL_STACK,
}


class Limits(NamedTuple):
    """What any one source (an IPv4 address, or an IPv6 /64) may ask of a
    node, and the bytes it sends (``Session(limits=...)``). Zero means the
    default in every field; ``Limits()`` is all defaults, which a public
    node can live with. :meth:`Session.stats` counts what they refuse
    (``rate_limited``, ``send_dropped``)."""

    #: The queries a second each source's token bucket refills with (0: 20).
    query_rate: float = 0.0
    #: The bucket's size: the bursts a source may send (0: 100).
    query_burst: int = 0
    #: How long, in seconds, a source over its rate is ignored (0: a minute).
    block: float = 0.0
    #: The bytes the node may send a second (0: no bound; the original
    #: libscout ran at 8000).
    send_rate: int = 0
    #: Apply the limits to loopback sources too, which are exempt by
    #: default (a test swarm is all on 127.0.0.1 or ::1).
    limit_loopback: bool = False


def _limits_option(opts: _lib.SessionOptions, limits: Optional[Limits]) -> None:
    """Sets scout_session_options' limits, each checked."""
    if limits is None:
        return
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a scout.Limits or None, not {type(limits).__name__}")
    rate = limits.query_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise TypeError(f"query_rate must be a number of queries a second, not {type(rate).__name__}")
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"query_rate must be a finite number, at least 0, got {rate}")
    opts.query_rate = float(rate)
    opts.query_burst = u32(limits.query_burst, "query_burst")
    opts.block_ms = _ms(limits.block, "block")
    opts.send_rate = u32(limits.send_rate, "send_rate")
    opts.limit_loopback = 1 if limits.limit_loopback else 0


def _attach_log(opts: _lib.SessionOptions) -> int:
    """Registers a log sink and names it in opts; the caller unregisters it
    if no session is made."""
    log_id = cb.register(_LogSink(_session_logger))
    opts.log = cb.LOG
    opts.log_user = log_id
    opts.log_level = _slog_level(_session_logger.getEffectiveLevel())
    return log_id


class PortMapping(NamedTuple):
    """The port mapping a session holds on the router
    (:attr:`Session.port_mapping`)."""

    #: The protocol that made it: ``"pcp"``, ``"natpmp"`` or ``"upnp"``.
    protocol: str
    #: ``(ip, port)`` where other DHT nodes reach the session: the router's
    #: external address and the port it forwards.
    external: Tuple[str, int]
    #: ``(ip, port)`` the router forwards to: this host's address towards
    #: the router and the session's port.
    internal: Tuple[str, int]
    #: The router's address.
    gateway: str
    #: The lease the router granted, in seconds; 0 for a router that grants
    #: only permanent mappings (removed on stop all the same).
    lease: float


_PROTOCOLS = {
    _lib.PORT_PROTOCOL_PCP: "pcp",
    _lib.PORT_PROTOCOL_NATPMP: "natpmp",
    _lib.PORT_PROTOCOL_UPNP: "upnp",
}


def _host_port(addr: str) -> Tuple[str, int]:
    """``"ip:port"`` (``"[ip]:port"`` for IPv6) as ``(ip, port)``."""
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port)


def _timeout_ms(timeout: Optional[float]) -> int:
    """A deadline in seconds as milliseconds for the library; None is 0,
    the session's."""
    if timeout is None:
        return 0
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
    if not math.isfinite(timeout):
        raise ValueError("timeout must be a finite number of seconds")
    ms = round(timeout * 1000)
    if not 1 <= ms <= UINT32_MAX:
        raise ValueError(f"timeout must be between 0.001 and {UINT32_MAX // 1000} seconds")
    return ms


class WAN(NamedTuple):
    """The emulated internet a :class:`Swarm` can run on (its WAN model):
    each node gets an access delay drawn from a lognormal distribution, so
    that the round trip between two nodes has the median ``rtt``, a p99
    about 3.6 times that and at most ``max_rtt``; each datagram between two
    nodes is delayed by both nodes' access delays plus jitter, and lost with
    probability ``loss``; nodes can die without a word (:meth:`Swarm.kill`,
    :meth:`Swarm.set_dead`). The delays and the choice of victims follow
    from ``seed``. ``WAN()`` is a perfect network whose nodes can still be
    killed.

    The model sits between the swarm's nodes and the sessions made by
    :meth:`Swarm.join`; a :class:`Session` given the swarm as its bootstrap
    reaches the nodes directly, without delay or loss, even dead ones.
    """

    #: The median round trip between two nodes, in seconds (0: no delay).
    rtt: float = 0.0
    #: The longest round trip, in seconds (0: 0.5 s or 8 times ``rtt``,
    #: whichever is more).
    max_rtt: float = 0.0
    #: Up to this fraction of a datagram's delay is added at random.
    jitter: float = 0.0
    #: The probability that a datagram is lost, each way (below 1).
    loss: float = 0.0
    #: Seeds the delays and the choice of victims.
    seed: int = 0


def _ms(seconds: Any, name: str) -> int:
    """A duration in seconds as whole milliseconds for the library."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds, at least 0")
    ms = round(seconds * 1000)
    if seconds > 0 and ms == 0 or ms > UINT32_MAX:
        raise ValueError(f"{name} must be 0 or between 0.001 and {UINT32_MAX // 1000} seconds")
    return ms


def _fraction(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


class Swarm(Handle):
    """A loopback swarm: ``nodes`` real DHT nodes on 127.0.0.1 in this
    process, for tests and local development. Pass it (or its
    :attr:`bootstrap` address) as a Session's ``bootstrap`` and sessions
    find each other without the public DHT::

        with Swarm(16) as swarm, Session(swarm, host="127.0.0.1") as s:
            ...

    On an emulated internet, with clients that see it::

        with Swarm(16, wan=WAN(rtt=0.08, loss=0.01, seed=7)) as swarm:
            with swarm.join() as alice, swarm.join() as bob:
                ...
                dead = swarm.kill(0.25)

    Args:
        nodes: how many nodes (0: the library's default, 32).
        port: the first node's UDP port, the others follow; 0 lets the
            system choose every port.
        wan: put the swarm on this :class:`WAN` model; ``None``: plain
            loopback (no :meth:`kill` or :meth:`set_dead`).
        item_ttl: how long, in seconds, the nodes keep an item after it
            was last put (``None``: 2 hours): a short one lets a test show
            in seconds what :meth:`Session.keep` keeps alive.
        ipv6: run the swarm on ::1, an IPv6 DHT (BEP 32), whose
            :attr:`bootstrap` is ``"[::1]:PORT"``; a session joins it with
            :meth:`join`, or with the swarm as bootstrap and
            ``host="::1"``.

    Raises:
        InvalidArgument: too many nodes, or a WAN the library refuses
            (loss of 1 or more). NetworkError: a socket cannot be bound.
            Timeout: the nodes did not join within 2 minutes.
    """

    _WHAT = "swarm"

    def __init__(
        self,
        nodes: int = 32,
        port: int = 0,
        *,
        wan: Optional[WAN] = None,
        item_ttl: Optional[float] = None,
        ipv6: bool = False,
    ) -> None:
        n = u32(nodes, "nodes")
        p = integer(port, "port", 0, 65535)
        if not isinstance(ipv6, bool):
            raise TypeError(f"ipv6 must be True or False, not {type(ipv6).__name__}")
        out = c_void_p()
        if wan is None and item_ttl is None and not ipv6:
            check(_L.scout_swarm_start(n, p, byref(out)), "swarm_start")
        else:
            opts = _lib.SwarmOptions()
            check(_L.scout_swarm_options_init(byref(opts)), "swarm_options_init")
            opts.nodes, opts.port = n, p
            if wan is not None:
                if not isinstance(wan, WAN):
                    raise TypeError(f"wan must be a scout.WAN or None, not {type(wan).__name__}")
                opts.wan = 1
                opts.rtt_ms = _ms(wan.rtt, "rtt")
                opts.max_rtt_ms = _ms(wan.max_rtt, "max_rtt")
                opts.jitter = _fraction(wan.jitter, "jitter")
                opts.loss = _fraction(wan.loss, "loss")
                opts.seed = integer(wan.seed, "seed", 0, 2**64 - 1)
            if item_ttl is not None:
                opts.item_ttl_ms = _ms(item_ttl, "item_ttl")
            opts.ipv6 = 1 if ipv6 else 0
            check(_L.scout_swarm_start_opts(byref(opts), byref(out)), "swarm_start_opts")
        h = handle_of(out, "swarm_start")
        self._own(h, _L.scout_swarm_free)
        self._wan = wan
        self._bootstrap = read_str(
            lambda buf, ln: _L.scout_swarm_bootstrap(h, buf, ln), _lib.ADDR_STRLEN, "swarm_bootstrap"
        )

    @property
    def bootstrap(self) -> str:
        """The swarm's bootstrap address, ``"127.0.0.1:PORT"`` (``"[::1]:PORT"``
        for an IPv6 swarm)."""
        self._h()  # ValueError once closed
        return self._bootstrap

    @property
    def wan(self) -> Optional[WAN]:
        """The WAN model the swarm runs on, or ``None``."""
        return self._wan

    def join(
        self,
        *,
        state_path: Union[str, "os.PathLike[str]", None] = None,
        timeout: Optional[float] = None,
        read_only: bool = False,
        port_map: Optional[bool] = None,
        limits: Optional[Limits] = None,
    ) -> Session:
        """Starts a :class:`Session` that is one more node of the swarm: on
        its WAN if it has one (so that the model's delays, loss and deaths
        apply to it), joined through the first node, started when this
        returns. Its node index is :attr:`Session.swarm_index`. The
        arguments are Session's; the swarm chooses the address, its family
        and the bootstrap. Closing the swarm stops the session too (its operations
        then raise WrongState); close it as any session.
        """
        opts = _options(timeout, read_only, port_map, state_path)
        _limits_option(opts, limits)
        h = self._h()
        log_id = _attach_log(opts)
        out = c_void_p()
        index = c_uint32()
        status = _L.scout_swarm_join(h, byref(opts), byref(out), byref(index))
        if status != _lib.OK:
            detail = last_error()
            cb.unregister(log_id)
            raise error_for(status, "swarm_join", detail)
        session = Session.__new__(Session)
        session._timeout = opts.timeout_ms / 1000 if opts.timeout_ms else _DEFAULT_TIMEOUT
        session._adopt(handle_of(out, "swarm_join"), log_id, started=True, swarm_index=index.value)
        return session

    def kill(self, fraction: float) -> List[int]:
        """Kills a fraction of the swarm's nodes (counting the joined
        sessions), chosen from the WAN's seed among the live ones, never
        the first: a dead node hears nothing and is heard by none of the
        swarm's nodes and joined sessions. Returns their node indices.

        Raises:
            WrongState: the swarm has no WAN. ValueError: fraction is not
                from 0 to 1.
        """
        f = _fraction(fraction, "fraction")
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"fraction must be from 0 to 1, got {f}")
        h = self._h()
        n = c_size_t(0)
        status = _L.scout_swarm_kill(h, f, None, byref(n))  # asks for the room to give
        if status != _lib.BUFFER_TOO_SMALL:
            check(status, "swarm_kill")
            return []
        indices = (c_uint32 * max(n.value, 1))()
        check(_L.scout_swarm_kill(h, c_double(f), indices, byref(n)), "swarm_kill")
        return list(indices[: n.value])

    def set_dead(self, node: Union[int, Session], dead: bool = True) -> None:
        """Kills a node (``dead=True``) or brings it back (``False``): a
        node index, or a session made by :meth:`join`.

        Raises:
            WrongState: the swarm has no WAN. InvalidArgument: no such node.
        """
        if isinstance(node, Session):
            if node.swarm_index is None:
                raise ValueError("the session did not join a swarm (use Swarm.join)")
            index = node.swarm_index
        else:
            index = u32(node, "node")
        check(_L.scout_swarm_set_dead(self._h(), index, 1 if dead else 0), "swarm_set_dead")

    def close(self) -> None:
        """Stops every node and frees the swarm (blocks until they are
        closed). Calling it again does nothing."""
        super().close()

    def __repr__(self) -> str:
        return "<scout.Swarm closed>" if self.closed else f"<scout.Swarm {self._bootstrap}>"
