"""Loads the shared wire-format vectors (../shared/vectors) for the tests.

Where they are: $SCOUT_VECTORS, else $SCOUT_VECTORS_DIR (what CMake
passes), else the first ``shared/vectors`` found walking up from here.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Dict, List


@functools.lru_cache(maxsize=None)
def vectors_dir() -> Path:
    for var in ("SCOUT_VECTORS", "SCOUT_VECTORS_DIR"):
        env = os.environ.get(var)
        if env:
            p = Path(env)
            if not (p / "keypairs.json").is_file():
                raise RuntimeError(f"{var}={env} holds no keypairs.json")
            return p
    for d in Path(__file__).resolve().parents:
        p = d / "shared" / "vectors"
        if (p / "keypairs.json").is_file():
            return p
    raise RuntimeError("shared/vectors not found: set SCOUT_VECTORS to the vectors directory")


@functools.lru_cache(maxsize=None)
def load(name: str) -> Dict[str, Any]:
    with open(vectors_dir() / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


def cases(file: str, section: str) -> List[Dict[str, Any]]:
    """The cases of one section, for pytest.mark.parametrize."""
    return load(file)[section]


def ids(file: str, section: str) -> List[str]:
    """Each case's name: the subtest id."""
    return [c["name"] for c in cases(file, section)]


def h(s: str) -> bytes:
    return bytes.fromhex(s)
