#!/bin/sh
# Checks what `cmake --install` laid out under PREFIX, and runs the
# installed command.
#   installed_tree.sh PREFIX LIBDIR INCLUDEDIR BINDIR
set -eu
prefix=$1 libdir=$2 includedir=$3 bindir=$4
fail() { echo "FAIL: $*"; exit 1; }
for f in "$libdir/libscout.so.1" "$libdir/libscout.so" "$includedir/scout.h" \
  "$includedir/scout/scout.hpp" "$includedir/scout/dht_session.hpp" "$includedir/scout/libscout.hpp" \
  "$bindir/scout" "$libdir/pkgconfig/scout.pc" "$libdir/cmake/scout/scoutConfig.cmake" \
  "$libdir/cmake/scout/scoutConfigVersion.cmake"; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
  echo "installed: $f"
done
[ -x "$prefix/$bindir/scout" ] || fail "$bindir/scout is not executable"
out=$("$prefix/$bindir/scout" version)
echo "$out"
want=$(sed -n 's/^#define SCOUT_VERSION "\(.*\)"$/\1/p' "$prefix/$includedir/scout.h")
echo "$out" | grep -q "^scout $want" || fail "scout version says \"$out\", the header $want"
