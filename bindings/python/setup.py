"""Builds the scout-dht distributions: libscout from the Go sources, at build
time, into the wheel.

pyproject.toml holds the project's metadata; this file adds three commands
to setuptools (the build backend):

* build_py also runs ``go build -buildmode=c-shared`` (Go and a C compiler
  are needed, as for the CMake build) and puts ``libscout.so.1`` next to the
  package, where ``scout._lib`` looks first. The Go sources are those of the
  repository this directory belongs to (``../..``), or, in an sdist, the
  copy under ``gosrc/``.
* bdist_wheel tags the wheel for the platform it was built on,
  ``py3-none-<platform>``: the binding is ctypes and the standard library
  (any Python 3), the library is a native binary (this platform only).
* sdist copies the Go sources the library needs into ``gosrc/``: the
  packages ``go list -deps ./capi`` names in the module (their non-test Go,
  C and header files), go.mod, go.sum, include/scout.h and
  capi/scout.map. No binary goes into an sdist.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
MODULE = "github.com/scout-dht/scout"
ABI = 1
SONAME = f"libscout.so.{ABI}"


def go_root() -> Path:
    """Where the Go module is: gosrc/ in an sdist, else the repository."""
    for root in (HERE / "gosrc", HERE.parent.parent):
        mod = root / "go.mod"
        if mod.is_file() and mod.read_text().startswith(f"module {MODULE}\n"):
            return root
    raise SystemExit(
        "scout-dht: the Go sources of libscout are not here (no gosrc/, and "
        f"{HERE.parent.parent} is not the {MODULE} repository)"
    )


def go() -> str:
    exe = shutil.which("go")
    if exe is None:
        raise SystemExit(
            "scout-dht: building libscout needs Go (https://go.dev/dl/, 1.26 or newer) "
            "and a C compiler for cgo; `go` is not on PATH"
        )
    return exe


def build_library(out_dir: Path) -> Path:
    """go build -buildmode=c-shared, as CMakeLists.txt does: the soname, the
    version script that exports exactly the header's functions, and the
    header's hash in CGO_CFLAGS (Go does not track headers outside a cgo
    package's directory)."""
    root = go_root()
    out_dir = out_dir.resolve()  # go runs in the module's directory
    out_dir.mkdir(parents=True, exist_ok=True)
    lib = out_dir / SONAME
    header_hash = hashlib.sha256((root / "include" / "scout.h").read_bytes()).hexdigest()[:16]
    env = dict(os.environ)
    env["CGO_ENABLED"] = "1"
    env["CGO_CFLAGS"] = env.get("CGO_CFLAGS", "-O2 -g") + f" -DSCOUT_HEADER_HASH={header_hash}"
    cmd = [
        go(),
        "build",
        "-buildmode=c-shared",
        "-trimpath",
        "-buildvcs=false",
        "-o",
        str(lib),
        # -s -w: no Go symbol table or DWARF (the exported C symbols stay).
        f"-ldflags=-s -w -extldflags=-Wl,-soname,{SONAME},--version-script={root / 'capi' / 'scout.map'}",
        "./capi",
    ]
    print("scout-dht: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=root, env=env, check=True)
    for h in ("libscout.so.h", "libscout.h"):  # cgo's export header: not the library's
        (out_dir / h).unlink(missing_ok=True)
    return lib


class BuildPy(build_py):
    """build_py, plus libscout built from the Go sources next to the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            build_library(HERE / "scout")  # an editable install runs from the source tree
        else:
            build_library(Path(self.build_lib) / "scout")


class BinaryDistribution(Distribution):
    """A distribution with a native library: installed to platlib, and its
    wheel is not pure."""

    def has_ext_modules(self) -> bool:
        return True


class BdistWheel(bdist_wheel):
    """A platform wheel (it holds a native library) for any Python 3."""

    def get_tag(self) -> tuple:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class Sdist(sdist):
    """An sdist with the Go sources the library is built from."""

    def make_release_tree(self, base_dir: str, files: list) -> None:
        super().make_release_tree(base_dir, files)
        copy_go_sources(Path(base_dir) / "gosrc")


def copy_go_sources(dest: Path) -> None:
    root = go_root()
    listed = subprocess.run(
        [go(), "list", "-deps", "-json", "./capi"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    decoder = json.JSONDecoder()
    at = 0
    files = [root / "go.mod", root / "go.sum", root / "include" / "scout.h", root / "capi" / "scout.map"]
    while at < len(listed):
        pkg, end = decoder.raw_decode(listed, at)
        at = end
        while at < len(listed) and listed[at].isspace():
            at += 1
        if not pkg.get("ImportPath", "").startswith(MODULE):
            continue  # the standard library and other modules: go fetches those
        d = Path(pkg["Dir"])
        for key in ("GoFiles", "CgoFiles", "CFiles", "HFiles", "EmbedFiles"):
            files += [d / f for f in pkg.get(key, [])]
    for f in files:
        target = dest / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    print(f"scout-dht: {len(files)} Go source files in {dest}", file=sys.stderr)


setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel, "sdist": Sdist})
