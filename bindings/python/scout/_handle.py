"""The life of a library handle, shared by Entries, Session and Swarm."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Optional, TypeVar

H = TypeVar("H", bound="Handle")


class Handle:
    """Owns one library handle (a registry id): :meth:`close` frees it,
    once; so does ``with`` and, failing both, garbage collection or the
    interpreter's exit (through :class:`weakref.finalize`, which never
    refers to the object itself). Methods of a closed handle raise
    ValueError."""

    __slots__ = ("_handle", "_finalizer", "__weakref__")

    #: What the handle is, for error messages.
    _WHAT = "handle"

    def _own(self, handle: int, free: Callable[..., Any], *args: Any) -> None:
        """Takes ownership: free(handle, *args) runs exactly once."""
        self._handle: Optional[int] = handle
        self._finalizer: Optional[Callable[[], Any]] = weakref.finalize(self, free, handle, *args)

    def _borrow(self, handle: Optional[int]) -> None:
        """Refers to a handle the library owns and frees: never freed here."""
        self._handle = handle
        self._finalizer = None

    def _h(self) -> int:
        h: Optional[int] = getattr(self, "_handle", None)
        if h is None:
            raise ValueError(f"the {self._WHAT} is closed")
        return h

    def close(self) -> None:
        """Frees the handle. Calling it again does nothing."""
        self._handle = None
        fin = getattr(self, "_finalizer", None)
        if fin is not None:
            fin()

    @property
    def closed(self) -> bool:
        """Whether the handle was closed (or, borrowed, has expired)."""
        return getattr(self, "_handle", None) is None

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
