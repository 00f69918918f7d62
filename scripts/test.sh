#!/usr/bin/env bash
# The project's test command: installs what the tests need (Debian packages
# as root, Python test packages with pip), builds libscout and everything
# around it with CMake, and runs every test through ctest.
#
#   scripts/test.sh [extra ctest arguments, e.g. -L go]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Debian packages: valgrind for the C tests, libtorrent and PyNaCl for the
# interoperability tests (they run with /usr/bin/python3), pkg-config for
# the Rust crate's build script, miniupnpd (its nftables build) and nftables
# for the port mapping tests' router (tests/natlab), Microsoft GSL for the
# C++ API's tests, python3-venv for the fresh-venv install test.
want=(valgrind python3-libtorrent python3-nacl python3-pytest pkg-config miniupnpd miniupnpd-nftables nftables
  libmsgsl-dev python3-venv)
missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: not root, cannot install ${missing[*]}; the tests that need them will fail" >&2
  fi
fi

# The Python binding's test dependencies, for the machine's python3.
python3 -c 'import pytest, hypothesis' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check 'pytest>=7' 'hypothesis>=6'

echo "== configure and build"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j "$(nproc)"

echo "== ctest"
cd "$root/build"
ctest --output-on-failure --timeout 600 "$@"
