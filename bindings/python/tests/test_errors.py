"""The exception hierarchy, argument checks, and finding the library."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Type

import pytest

import scout
from scout import _lib
from scout.errors import error_for

PACKAGE_ROOT = Path(scout.__file__).resolve().parent.parent


def source_header() -> Optional[Path]:
    """include/scout.h of the source tree the binding is in, if it is in one."""
    return next(
        (d / "include" / "scout.h" for d in PACKAGE_ROOT.parents if (d / "include" / "scout.h").is_file()),
        None,
    )


@pytest.mark.parametrize(
    "status, cls, builtin",
    [
        (1, scout.InvalidArgument, ValueError),
        (2, scout.TooLarge, ValueError),
        (3, scout.BufferTooSmall, None),
        (4, scout.NotFound, LookupError),
        (5, scout.Timeout, TimeoutError),
        (6, scout.Cancelled, None),
        (7, scout.DecryptError, ValueError),
        (8, scout.WrongState, RuntimeError),
        (9, scout.NetworkError, ConnectionError),
        (10, scout.InternalError, RuntimeError),
        (11, scout.Conflict, None),
    ],
)
def test_status_mapping(status: int, cls: Type[scout.ScoutError], builtin: Any) -> None:
    err = error_for(status, "ctx")
    assert type(err) is cls and err.status == status == cls.STATUS
    assert isinstance(err, scout.ScoutError)
    if builtin is not None:
        assert isinstance(err, builtin)
    assert str(err) == f"ctx: {scout.strerror(status)}"
    assert scout.strerror(status) and scout.strerror(status) != "unknown status"
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.status == status and str(again) == str(err)


def test_unknown_status_is_internal() -> None:
    err = error_for(999)
    assert type(err) is scout.InternalError and err.status == 999
    assert scout.strerror(999) == "unknown status"
    scout.check(0)
    with pytest.raises(scout.NotFound):
        scout.check(4)


def test_default_message() -> None:
    assert str(scout.Timeout()) == scout.strerror(5)
    assert scout.NotFound().status == 4


BAD_CALLS = [
    # (call, exception): wrong types raise TypeError, wrong sizes ValueError,
    # before anything reaches the library.
    (lambda: scout.public_key("a" * 32), TypeError),
    (lambda: scout.public_key(32), TypeError),
    (lambda: scout.public_key(None), TypeError),
    (lambda: scout.public_key(bytes(31)), ValueError),
    (lambda: scout.public_key(bytes(33)), ValueError),
    (lambda: scout.key_exchange(bytes(32), bytes(20)), ValueError),
    (lambda: scout.shared_target(bytes(20)), ValueError),
    (lambda: scout.mutable_sign(bytes(32), 2**63, b""), ValueError),
    (lambda: scout.mutable_sign(bytes(32), 1.0, b""), TypeError),
    (lambda: scout.mutable_verify(bytes(32), 0, b"", bytes(63)), ValueError),
    (lambda: scout.seal(bytes(32), "text"), TypeError),
    (lambda: scout.open_sealed(bytes(31), bytes(50)), ValueError),
    (lambda: scout.Entries().assign(-1, b""), ValueError),
    (lambda: scout.Entries().assign(2**32, b""), ValueError),
    (lambda: scout.Entries().assign("1", b""), TypeError),
    (lambda: scout.Entries().assign(True, b""), TypeError),
    (lambda: scout.Entries().assign(1, "v"), TypeError),
    (lambda: scout.Entries().assign(1, bytes(256)), scout.TooLarge),
    (lambda: scout.Entries().set(1, 2**63, b""), ValueError),
    (lambda: scout.Entries([(1, 2)]), TypeError),
    (lambda: scout.Entries([1]), TypeError),
    (lambda: scout.Entries.parse("0000"), TypeError),
    (lambda: scout.ListHead(bytes(19)), ValueError),
    (lambda: scout.ListHead().push_front("msg"), TypeError),
    (lambda: scout.encode_message(bytes(20), bytes(974)), scout.TooLarge),
    (lambda: scout.parse_message(None), TypeError),
    (lambda: scout.Swarm(-1), ValueError),
    (lambda: scout.Swarm(1, port=70000), ValueError),
    (lambda: scout.Session(b"127.0.0.1:1"), TypeError),
    (lambda: scout.Session("127.0.0.1:1", port=65536), ValueError),
    (lambda: scout.Session("127.0.0.1:1", timeout=0), ValueError),
    (lambda: scout.Session("127.0.0.1:1", timeout=float("nan")), ValueError),
    (lambda: scout.Session("127.0.0.1:1", timeout="1"), TypeError),
    (lambda: scout.Session("not an address"), scout.InvalidArgument),
    (lambda: scout.Session("127.0.0.1:1", host="256.1.1.1"), scout.ScoutError),
]


@pytest.mark.parametrize("call, exc", BAD_CALLS, ids=[f"bad{i}" for i in range(len(BAD_CALLS))])
def test_bad_arguments(call: Callable[[], Any], exc: Type[BaseException]) -> None:
    with pytest.raises(exc):
        call()


def test_library_identity() -> None:
    # One version: the header's SCOUT_VERSION, which the library was built
    # with, is this package's.
    assert scout.library_version() == scout.__version__
    header = source_header()
    if header is not None:
        m = re.search(r'^#define SCOUT_VERSION "([^"]*)"$', header.read_text(encoding="utf-8"), re.M)
        assert m is not None and m.group(1) == scout.__version__
    assert _lib.LIB.scout_abi_version() == scout.ABI_VERSION == 1
    assert os.path.exists(scout.library_path)


def test_abi_mismatch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lib, "ABI_VERSION", 2)
    tried: list = []
    assert _lib._try(scout.library_path, tried, "test") is None
    assert "ABI version 1, this binding needs 2" in tried[0]


def _import_scout(env_library: str, extra_env: dict = {}) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCOUT_LIBRARY=env_library, LD_LIBRARY_PATH="", **extra_env)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import scout; print(scout.library_path)"
    return subprocess.run(
        [sys.executable, "-c", code, str(PACKAGE_ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_loader_reports_every_attempt(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "libscout.so"
    r = _import_scout(str(missing))
    assert r.returncode != 0
    assert "LibraryError" in r.stderr
    assert "next to the package" in r.stderr
    assert f"SCOUT_LIBRARY: {missing}: no such file" in r.stderr
    assert "system loader" in r.stderr


def test_loader_rejects_another_library(tmp_path: Path) -> None:
    import _ctypes  # any shared object that is not libscout

    r = _import_scout(_ctypes.__file__)
    assert r.returncode != 0
    assert "not libscout (missing symbol" in r.stderr


def test_loader_takes_a_directory() -> None:
    r = _import_scout(str(Path(scout.library_path).parent))
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).parent == Path(scout.library_path).parent


def test_every_header_function_is_declared() -> None:
    """_lib declares exactly the functions include/scout.h declares."""
    header = source_header()
    if header is None:
        pytest.skip("include/scout.h not found beside the binding")
    text = header.read_text(encoding="utf-8")
    declared = set(re.findall(r"SCOUT_API[^;(]*?[ *](scout_[a-z0-9_]+)\s*\(", text))
    assert len(declared) > 10
    assert {name for name, _, _ in _lib._PROTOTYPES} == declared
    # Status codes and sizes agree with the header's.
    for name, value in re.findall(r"SCOUT_([A-Z_]+) = (\d+)", text):
        assert getattr(_lib, name) == int(value), name
    for name, value in re.findall(r"#define SCOUT_([A-Z_]+) (\d+)", text):
        if name == "ABI_VERSION":
            assert _lib.ABI_VERSION == int(value)
        else:
            assert getattr(_lib, name) == int(value), name
