"""Fixtures shared by the binding's tests.

The library comes from $SCOUT_LIBRARY (CMake sets it for ctest); without
it, a CMake build in <repo>/build is used if there is one. The sessions
always bootstrap from a loopback swarm: no test contacts the public DHT.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator, List

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Nothing written into the source tree or the directory the tests run from:
# no example database, and Hypothesis's caches in a temporary directory.
_hypothesis_home = tempfile.mkdtemp(prefix="scout-hypothesis-")
atexit.register(shutil.rmtree, _hypothesis_home, True)
set_hypothesis_home_dir(_hypothesis_home)
settings.register_profile("scout", database=None)
settings.load_profile("scout")

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent  # bindings/python
REPO = next((d for d in HERE.parents if (d / "go.mod").is_file()), None)

if not os.environ.get("SCOUT_LIBRARY") and REPO is not None:
    built = REPO / "build" / "libscout.so"
    if built.exists():
        os.environ["SCOUT_LIBRARY"] = str(built)

# Test the source tree, never an installed copy.
sys.path.insert(0, str(PACKAGE_ROOT))
import scout  # noqa: E402
from scout import _callbacks  # noqa: E402

assert Path(scout.__file__).resolve().parent == PACKAGE_ROOT / "scout", scout.__file__
# $SCOUT_LIBRARY wins over a library next to the package (an editable
# install's build): make sure the one under test was loaded.
_wanted = os.environ.get("SCOUT_LIBRARY")
if _wanted and os.path.isfile(_wanted) and not os.path.samefile(_wanted, scout.library_path):
    raise RuntimeError(
        f"scout loaded {scout.library_path}, not SCOUT_LIBRARY={_wanted}: "
        "it could not be loaded"
    )

#: Nodes in the loopback swarm the session tests share.
SWARM_NODES = 16
#: Each operation's deadline in the test sessions, in seconds.
OP_TIMEOUT = 10.0
#: How long a test waits for any one result before calling it a hang.
WAIT = 30.0


def pytest_report_header(config: pytest.Config) -> List[str]:
    return [f"libscout {scout.library_version()} from {scout.library_path}"]


@pytest.fixture(scope="session")
def swarm() -> Iterator[scout.Swarm]:
    with scout.Swarm(SWARM_NODES) as s:
        yield s


@pytest.fixture
def make_session(swarm: scout.Swarm) -> Iterator[Callable[..., scout.Session]]:
    """A factory of sessions on the loopback swarm, closed after the test."""
    made: List[scout.Session] = []

    def make(**kw: object) -> scout.Session:
        kw.setdefault("host", "127.0.0.1")
        kw.setdefault("port", 0)
        kw.setdefault("timeout", OP_TIMEOUT)
        s = scout.Session(swarm, **kw)  # type: ignore[arg-type]
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def session(make_session: Callable[..., scout.Session]) -> scout.Session:
    return make_session()


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Every test frees the handles it creates and leaves no operation or
    log sink registered. Autouse, so it is set up before (and torn down
    after) the test's other function fixtures; the session-scoped swarm
    exists before it."""
    handles, registered = scout.handle_count(), _callbacks.registered_count()
    yield
    if (scout.handle_count(), _callbacks.registered_count()) != (handles, registered):
        gc.collect()  # only then: a full collection costs ~50 ms here
    # <=: the baseline may count garbage of an earlier test, collected since.
    assert scout.handle_count() <= handles, "library handles leaked"
    assert _callbacks.registered_count() <= registered, "callback registry entries leaked"


@pytest.fixture(scope="session")
def scout_cli(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Go `scout` command: $SCOUT_CLI, else built from cmd/scout."""
    env = os.environ.get("SCOUT_CLI")
    if env:
        return env
    go = shutil.which("go")
    if REPO is None or go is None or not (REPO / "cmd" / "scout").is_dir():
        pytest.skip("no scout command: set SCOUT_CLI or install Go")
    out = tmp_path_factory.mktemp("cli") / "scout"
    subprocess.run([go, "build", "-o", str(out), "./cmd/scout"], cwd=REPO, check=True, timeout=300)
    return str(out)
