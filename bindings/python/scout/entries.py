"""Entry lists: the small (id, seq, value) lists two peers synchronize.

:class:`Entries` is a read-only mapping from entry id to :class:`Entry`,
kept in list order (the wire format does not sort), with explicit methods
to change it: :meth:`Entries.assign` for this side's own values (bumps the
seq so the next synchronize publishes them), :meth:`Entries.set` for
entries received from elsewhere, ``del entries[id]`` to remove one.
"""

from __future__ import annotations

from ctypes import byref, c_int64, c_size_t, c_uint32, c_void_p, create_string_buffer
from typing import Iterable, Iterator, List, Mapping, NamedTuple, Optional, Tuple

from . import _lib
from ._handle import Handle
from ._util import as_bytes, bounded, handle_of, i64, read_var, u32
from .errors import check

__all__ = ["Entry", "Entries", "MAX_VALUE_SIZE", "MAX_ENTRIES"]

MAX_VALUE_SIZE = _lib.MAX_VALUE_SIZE
MAX_ENTRIES = _lib.MAX_ENTRIES

_L = _lib.LIB


class Entry(NamedTuple):
    """One entry: a 32-bit id, a 64-bit sequence number, a value of at most
    255 bytes. When two lists merge, the entry with the higher seq wins."""

    id: int
    seq: int
    value: bytes


def _free_entries(handle: int) -> None:
    _L.scout_entries_free(handle)


class Entries(Handle, Mapping[int, Entry]):
    """An entry list, backed by a library handle.

    A mapping ``id -> Entry`` that iterates in list order::

        mine = Entries()
        mine.assign(1, b"laptop 10.0.0.5:4000")   # -> seq 1
        mine[1]                                    # Entry(id=1, seq=1, value=b'laptop ...')
        data = mine.serialize()                    # the wire format
        assert Entries.parse(data) == mine

    The handle is freed by :meth:`close` (idempotent), at the end of a
    ``with`` block, or when the object is collected. Methods of a closed
    list raise ValueError. Thread-safe: calls are serialized in the library.
    A list being synchronized is replaced by the result when the operation
    succeeds: changes made to it meanwhile are lost.

    Args:
        entries: entries to :meth:`set` into the new list, in order.
    """

    __slots__ = ()
    _WHAT = "entry list"

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        h = c_void_p()
        check(_L.scout_entries_new(byref(h)), "entries_new")
        self._own(handle_of(h, "entries_new"), _free_entries)
        try:
            for e in entries:
                if not isinstance(e, tuple) or len(e) != 3:
                    raise TypeError(f"entries must hold Entry(id, seq, value), not {type(e).__name__}")
                self.set(*e)
        except BaseException:
            self.close()
            raise

    # -- handle life ---------------------------------------------------------

    @classmethod
    def _from_handle(cls, handle: int) -> "Entries":
        obj = cls.__new__(cls)
        obj._own(handle, _free_entries)
        return obj

    @classmethod
    def _borrowed(cls, handle: Optional[int]) -> "Entries":
        """Wraps a handle the library owns (a finalize callback's); the
        caller closes the wrapper when the library takes the handle back."""
        obj = cls.__new__(cls)
        obj._borrow(handle)
        return obj

    # -- reading -------------------------------------------------------------

    def __len__(self) -> int:
        n = c_size_t()
        check(_L.scout_entries_count(self._h(), byref(n)), "entries_count")
        return n.value

    def _at(self, index: int) -> Optional[Entry]:
        ident, seq = c_uint32(), c_int64()
        buf = create_string_buffer(MAX_VALUE_SIZE)
        n = c_size_t(MAX_VALUE_SIZE)
        status = _L.scout_entries_at(self._h(), index, byref(ident), byref(seq), buf, byref(n))
        if status == _lib.NOT_FOUND:
            return None
        check(status, "entries_at")
        return Entry(ident.value, seq.value, buf.raw[: n.value])

    def to_list(self) -> List[Entry]:
        """Every entry, in list order: one consistent snapshot."""
        out: List[Entry] = []
        i = 0
        while True:
            e = self._at(i)
            if e is None:
                return out
            out.append(e)
            i += 1

    def __iter__(self) -> Iterator[int]:
        return iter([e.id for e in self.to_list()])

    def __getitem__(self, id: int) -> Entry:
        ident = u32(id, "id")
        seq = c_int64()
        buf = create_string_buffer(MAX_VALUE_SIZE)
        n = c_size_t(MAX_VALUE_SIZE)
        status = _L.scout_entries_get(self._h(), ident, byref(seq), buf, byref(n))
        if status == _lib.NOT_FOUND:
            raise KeyError(id)
        check(status, "entries_get")
        return Entry(ident, seq.value, buf.raw[: n.value])

    def __contains__(self, id: object) -> bool:
        try:
            ident = u32(id, "id")
        except (TypeError, ValueError):
            return False
        status = _L.scout_entries_get(self._h(), ident, None, None, None)
        if status == _lib.NOT_FOUND:
            return False
        check(status, "entries_get")
        return True

    def values(self) -> List[Entry]:  # type: ignore[override]
        """The entries, in list order (a list; one snapshot)."""
        return self.to_list()

    def items(self) -> List[Tuple[int, Entry]]:  # type: ignore[override]
        """(id, entry) pairs, in list order (a list; one snapshot)."""
        return [(e.id, e) for e in self.to_list()]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Entries):
            return dict(self.items()) == dict(other.items())
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.closed:
            return "Entries(<closed>)"
        return f"Entries({self.to_list()!r})"

    # -- changing ------------------------------------------------------------

    def assign(self, id: int, value: bytes) -> int:
        """Adds an entry with this id and value, or updates the existing
        one's value; either way its seq is incremented (a new entry gets 1)
        and it is marked changed, so the next synchronize publishes it.

        Returns:
            The entry's new seq.

        Raises:
            TooLarge: value is longer than 255 bytes, or the list already
                holds 255 entries and id is new.
        """
        ident = u32(id, "id")
        v = bounded(value, "value", MAX_VALUE_SIZE)
        seq = c_int64()
        check(_L.scout_entries_assign(self._h(), ident, v, len(v), byref(seq)), "entries_assign")
        return seq.value

    def set(self, id: int, seq: int, value: bytes) -> None:
        """Adds or replaces the entry with this id, with exactly this seq and
        value, as received from elsewhere (not marked changed).

        Raises:
            TooLarge: as :meth:`assign`.
        """
        ident = u32(id, "id")
        q = i64(seq, "seq")
        v = bounded(value, "value", MAX_VALUE_SIZE)
        check(_L.scout_entries_set(self._h(), ident, q, v, len(v)), "entries_set")

    def __delitem__(self, id: int) -> None:
        ident = u32(id, "id")
        status = _L.scout_entries_remove(self._h(), ident)
        if status == _lib.NOT_FOUND:
            raise KeyError(id)
        check(status, "entries_remove")

    def remove(self, id: int) -> None:
        """Removes the entry with this id (KeyError if there is none); the
        others keep their order. The removal reaches the other peers: the
        entry becomes a tombstone, which the list hides, with an empty value
        and a higher seq, so that the next synchronize publishes it and it
        wins over the entry's older copies (``del entries[id]`` does the
        same). :meth:`assign` brings the entry back."""
        del self[id]

    def copy(self) -> "Entries":
        """An independent copy of the list."""
        h = c_void_p()
        check(_L.scout_entries_clone(self._h(), byref(h)), "entries_clone")
        return Entries._from_handle(handle_of(h, "entries_clone"))

    __copy__ = copy

    # -- wire format ---------------------------------------------------------

    def serialize(self) -> bytes:
        """The list in the wire format (the plaintext that is sealed)."""
        h = self._h()
        return read_var(lambda buf, n: _L.scout_entries_serialize(h, buf, n), 512, "entries_serialize")

    @classmethod
    def parse(cls, data: bytes) -> "Entries":
        """Parses a list in the wire format; bytes after the last entry are
        ignored (see :meth:`parse_prefix` to learn how many were read).

        Raises:
            InvalidArgument: truncated or inconsistent input.
        """
        return cls.parse_prefix(data)[0]

    @classmethod
    def parse_prefix(cls, data: bytes) -> Tuple["Entries", int]:
        """As :meth:`parse`, and also returns the number of bytes read."""
        b = as_bytes(data, "data")
        h = c_void_p()
        consumed = c_size_t()
        check(_L.scout_entries_parse(b, len(b), byref(h), byref(consumed)), "entries_parse")
        return cls._from_handle(handle_of(h, "entries_parse")), consumed.value
