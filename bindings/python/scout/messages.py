"""Offline messages: immutable DHT items chained into a list, newest first.

Each message is stored as a blob, ``next hash (20) || u16 length || u8
offset || message``, under the target ``SHA1(b"<len>:" + blob)``. A list's
head is the target of its newest message; a message's *token* is the head
before it was pushed, and 20 zero bytes end the list::

    head = ListHead()                     # an empty list
    token = head.push_front(b"back at six")
    session.put(token, b"back at six")    # stored under head.hash
    msg, next = session.get(head.hash)    # next == token
"""

from __future__ import annotations

import threading
from ctypes import byref, c_size_t, create_string_buffer
from typing import Any, NamedTuple, Union

from . import _lib
from ._util import as_bytes, bounded, fixed, read_var
from .errors import check

__all__ = [
    "EMPTY_HEAD",
    "MAX_MESSAGE_SIZE",
    "ListHead",
    "Message",
    "ListMessage",
    "encode_message",
    "parse_message",
    "message_hash",
]

MAX_MESSAGE_SIZE = _lib.MAX_MESSAGE_SIZE

#: The head of an empty list, and the next hash of a list's last message.
EMPTY_HEAD = bytes(_lib.HASH_SIZE)

_L = _lib.LIB


class Message(NamedTuple):
    """A message read back: its contents and the hash of the next (older)
    message, :data:`EMPTY_HEAD` at the list's end. Unpacks as
    ``msg, next = ...``."""

    message: bytes
    next: bytes


class ListMessage(NamedTuple):
    """One message of a list walk: its hash (DHT target), contents and next hash."""

    hash: bytes
    message: bytes
    next: bytes


def hash_arg(value: Any, name: str) -> bytes:
    """A 20-byte hash argument: bytes-like or a ListHead."""
    if isinstance(value, ListHead):
        return value.hash
    return fixed(value, name, _lib.HASH_SIZE)


class ListHead:
    """The head of an offline message list, kept locally.

    :meth:`push_front` makes a message the list's newest: it returns the
    token to store with it (``Session.put(token, msg)``) and moves the head
    to the message's hash. Thread-safe.

    Args:
        head: the current head (20 bytes); an empty list by default.
    """

    __slots__ = ("_head", "_lock")

    def __init__(self, head: Union[bytes, "ListHead"] = EMPTY_HEAD) -> None:
        self._head = hash_arg(head, "head")
        self._lock = threading.Lock()

    @property
    def hash(self) -> bytes:
        """The head: the hash of the newest message (20 bytes)."""
        return self._head

    @property
    def empty(self) -> bool:
        """Whether no message was pushed (the head is 20 zero bytes)."""
        return self._head == EMPTY_HEAD

    def push_front(self, msg: bytes) -> bytes:
        """Makes msg the newest message; returns its token (the old head).

        Raises:
            TooLarge: msg is longer than 973 bytes (the head is unchanged).
        """
        m = bounded(msg, "msg", MAX_MESSAGE_SIZE)
        with self._lock:
            head = create_string_buffer(self._head, _lib.HASH_SIZE)
            token = create_string_buffer(_lib.HASH_SIZE)
            check(_L.scout_list_push_front(head, m, len(m), token), "list_push_front")
            self._head = head.raw
        return token.raw

    def __bytes__(self) -> bytes:
        return self._head

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ListHead):
            return self._head == other._head
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._head)

    def __repr__(self) -> str:
        return f"ListHead({self._head.hex()!r})"


def encode_message(next: bytes, msg: bytes) -> bytes:
    """The blob storing msg with next hash next (``next || u16 len || 0 || msg``)."""
    n = hash_arg(next, "next")
    m = bounded(msg, "msg", MAX_MESSAGE_SIZE)
    return read_var(
        lambda buf, ln: _L.scout_message_encode(n, m, len(m), buf, ln),
        len(m) + _lib.MESSAGE_HEADER_SIZE,
        "message_encode",
    )


def parse_message(blob: bytes) -> Message:
    """Parses a blob; bytes after the message are ignored.

    Raises:
        InvalidArgument: the header or message runs past the end.
    """
    b = as_bytes(blob, "blob")
    msg = create_string_buffer(_lib.MAX_BLOB_SIZE)
    n = c_size_t(_lib.MAX_BLOB_SIZE)
    nxt = create_string_buffer(_lib.HASH_SIZE)
    status = _L.scout_message_parse(b, len(b), msg, byref(n), nxt)
    if status == _lib.BUFFER_TOO_SMALL:  # cannot happen: MAX_BLOB_SIZE always suffices
        msg = create_string_buffer(n.value)
        status = _L.scout_message_parse(b, len(b), msg, byref(n), nxt)
    check(status, "message_parse")
    return Message(msg.raw[: n.value], nxt.raw)


def message_hash(blob: bytes) -> bytes:
    """A blob's DHT target: ``SHA1(b"<len>:" + blob)``."""
    b = as_bytes(blob, "blob")
    h = create_string_buffer(_lib.HASH_SIZE)
    check(_L.scout_message_hash(b, len(b), h), "message_hash")
    return h.raw
