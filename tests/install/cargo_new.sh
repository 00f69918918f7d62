#!/bin/sh
# What a new Rust user does, in a temporary directory, with no SCOUT_*
# variable: `cargo new`, a dependency on the scout-dht crate by path, the
# program of bindings/rust/README.md as src/main.rs, `cargo run`. The
# crate's default `bundled` feature builds libscout from the Go sources and
# links it statically: the program runs with nothing installed and no
# LD_LIBRARY_PATH.
#   cargo_new.sh REPOSITORY CARGO
set -eu
repo=$1 cargo=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/scout-cargo-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for v in $(env | sed -n 's/^\(SCOUT_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset CARGO_TARGET_DIR RUSTFLAGS

cd "$dir"
"$cargo" new --quiet --bin --vcs none app
cd app
printf 'scout-dht = { path = "%s/bindings/rust" }\n' "$repo" >>Cargo.toml
# The README's program: its first rust block.
awk '/^```rust$/ { if (!done) { inblock = 1; next } } /^```$/ { if (inblock) { inblock = 0; done = 1 } } inblock' \
  "$repo/bindings/rust/README.md" >src/main.rs
grep -q "fn main" src/main.rs || fail "no program in bindings/rust/README.md"

"$cargo" run --quiet >"$dir/out" 2>"$dir/err" || { cat "$dir/err"; fail "cargo run"; }
cat "$dir/out"
grep -q "^written with seq 1 to [1-9][0-9]* nodes$" "$dir/out" || fail "synchronize"
grep -qx "back at six" "$dir/out" || fail "put and get"
grep -q "^scout_get_op: not found" "$dir/out" || fail "the error's text"
if ldd target/debug/app | grep -q libscout; then fail "the program links a shared libscout"; fi
echo "cargo new + cargo run: works, libscout linked statically ($(du -h target/debug/app | cut -f1))"
