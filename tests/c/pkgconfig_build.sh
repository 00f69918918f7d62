#!/bin/sh
# Builds the example client with pkg-config against the installed package
# and runs it once: scout.pc must give working flags.
#   pkgconfig_build.sh PREFIX CC SOURCE OUTPUT
set -eu
prefix=$1 cc=$2 src=$3 out=$4
pc=$(find "$prefix" -name scout.pc | head -n 1)
[ -n "$pc" ] || { echo "no scout.pc under $prefix"; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir scout)
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags scout) "$src" -o "$out" \
  $(pkg-config --libs scout) -lpthread -Wl,-rpath,"$libdir"
"$out" gen-key "$out.key"
"$out" dump-key "$out.key" | grep -q "^Public key: [0-9a-f]\{64\}$"
rm -f "$out.key"
echo "pkg-config build works: $(pkg-config --modversion scout)"
