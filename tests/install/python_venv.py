#!/usr/bin/env python3
"""What a new Python user does, in a temporary directory, with no SCOUT_*
variable in the environment:

1. a fresh venv, ``pip install ./bindings/python`` (the build backend
   builds libscout from the Go sources into a wheel), then the example of
   bindings/python/README.md, run from elsewhere: it imports the installed
   package, which loads the library it bundles;
2. ``python -m build``: an sdist, then a wheel built from that sdist alone
   (so the sdist carries everything the library is built from). The
   wheel's name, tag and contents, and the sdist's contents, are checked.

    python_venv.py REPOSITORY
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path


def run(cmd: list, cwd: Path, env: dict) -> str:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stdout.write(r.stdout)
        sys.stdout.write(r.stderr)
        raise SystemExit(f"FAIL: exit status {r.returncode}")
    return r.stdout


def check(cond: bool, what: str) -> None:
    if not cond:
        raise SystemExit("FAIL: " + what)
    print("ok:", what)


def main() -> None:
    repo = Path(sys.argv[1]).resolve()
    pkg = repo / "bindings" / "python"
    version = re.search(r'^version = "([^"]+)"$', (pkg / "pyproject.toml").read_text(), re.M).group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOUT_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    with tempfile.TemporaryDirectory(prefix="scout-venv-") as t:
        tmp = Path(t)
        venv = tmp / "venv"
        run([sys.executable, "-m", "venv", venv], tmp, env)
        py = venv / "bin" / "python"

        # 1. pip install from the source directory, then the README's example.
        run([py, "-m", "pip", "install", "-q", pkg], tmp, env)
        where = run([py, "-c", "import scout; print(scout.__file__); print(scout.library_path)"], tmp, env).split()
        check(where[0].startswith(str(venv)) and where[1] == str(Path(where[0]).parent / "libscout.so.1"),
              f"import scout loads the installed package and its bundled library ({where[1]})")
        readme = (pkg / "README.md").read_text(encoding="utf-8")
        example = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
        (tmp / "example.py").write_text(example)
        out = run([py, "example.py"], tmp, env)
        sys.stdout.write(out)
        check("Bob sees Entry(id=1, seq=1, value=b'laptop 10.0.0.5:4000')" in out, "the README's example runs")

        # 2. An sdist, and a wheel built from it.
        run([py, "-m", "pip", "install", "-q", "build"], tmp, env)
        dist = tmp / "dist"
        run([py, "-m", "build", "--outdir", dist, pkg], tmp, env)
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        wheel = dist / f"scout_dht-{version}-py3-none-{platform}.whl"
        sdist = dist / f"scout_dht-{version}.tar.gz"
        check(sorted(p.name for p in dist.iterdir()) == sorted([sdist.name, wheel.name]),
              f"python -m build made {sdist.name} and {wheel.name}")

        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
            meta = z.read(f"scout_dht-{version}.dist-info/WHEEL").decode()
            lib = z.read("scout/libscout.so.1")
        check(f"Tag: py3-none-{platform}" in meta and "Root-Is-Purelib: false" in meta,
              "the wheel is tagged for this platform, not pure")
        check(lib[:4] == b"\x7fELF" and b"libscout.so.1" in lib, "the wheel holds libscout.so.1 (ELF, its soname)")
        files = {n for n in names if not n.startswith(f"scout_dht-{version}.dist-info/")}
        want = {"scout/" + f.name for f in (pkg / "scout").iterdir() if f.suffix in (".py", ".typed")}
        check(files == want | {"scout/libscout.so.1"}, f"the wheel holds the package and the library only: {sorted(files - want)}")

        with tarfile.open(sdist) as tar:
            members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
        go = {m for m in members if m.startswith("gosrc/")}
        for need in ("gosrc/go.mod", "gosrc/go.sum", "gosrc/include/scout.h", "gosrc/capi/scout.map",
                     "gosrc/capi/shim.c", "gosrc/capi/shim.h", "gosrc/capi/session.go", "gosrc/scout/session.go",
                     "setup.py", "pyproject.toml", "README.md", "scout/__init__.py", "scout/_lib.py"):
            check(need in members, f"the sdist holds {need}")
        check(any(m.startswith("gosrc/internal/") for m in go), "the sdist holds the internal packages")
        check(not any(m.endswith("_test.go") for m in go), "the sdist holds no Go test")
        check(not any(".so" in Path(m).name or m.endswith((".a", ".dylib", ".dll")) for m in members),
              "the sdist holds no binary")
        print(f"python-venv: pip install, the README's example, {wheel.name} and {sdist.name} ({len(go)} Go files)")


if __name__ == "__main__":
    main()
