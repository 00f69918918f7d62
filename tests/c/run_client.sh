#!/bin/sh
# Runs the example client, as built against the installed package, through
# every command on a loopback swarm: two key pairs, a synchronize each way,
# a list of two offline messages put and read back.
#   run_client.sh CLIENT SWARM_HELPER
set -eu
client=$1
helper=$2
. "$(dirname "$0")/swarm.sh"
start_swarm "$helper" 16
c() { "$client" --bootstrap "$boot" --timeout 20000 "$@"; }

c gen-key "$dir/alice.key"
c gen-key "$dir/bob.key"
[ "$(wc -c <"$dir/alice.key")" -eq 32 ] || fail "key file is not 32 bytes"
apk=$(c dump-key "$dir/alice.key" | sed -n 's/^Public key: //p')
bpk=$(c dump-key "$dir/bob.key" | sed -n 's/^Public key: //p')
[ ${#apk} -eq 64 ] && [ ${#bpk} -eq 64 ] || fail "dump-key: $apk $bpk"

out=$(c sync "$dir/alice.key" "$bpk" 1 "hello bob")
echo "$out"
echo "$out" | grep -qx "1 hello bob" || fail "alice's sync"
out=$(c sync "$dir/bob.key" "$apk" 2 "hello alice")
echo "$out"
echo "$out" | grep -qx "1 hello bob" || fail "bob did not receive alice's entry"
echo "$out" | grep -qx "2 hello alice" || fail "bob's sync"

out=$(c put "first message" --list "$dir/list")
echo "$out"
first=$(echo "$out" | sed -n 's/^inserted message with hash \([0-9a-f]*\).*/\1/p')
[ "$first" = "$(cat "$dir/list")" ] || fail "put: the list head is not the hash"
out=$(c put "second message" --list "$dir/list")
echo "$out"
second=$(cat "$dir/list")

out=$(c get "$second")
echo "$out"
echo "$out" | grep -qx "Got message: second message" || fail "get"
echo "$out" | grep -qx "Next hash: $first" || fail "get: next hash"
out=$(c get "$second" --all)
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "$second second message" ] || fail "walk: first line"
[ "$(echo "$out" | sed -n 2p)" = "$first first message" ] || fail "walk: second line"
echo "$out" | grep -qx "2 messages" || fail "walk: count"

# Errors: a bad command line, a hash nobody stored.
if c frobnicate 2>/dev/null; then fail "a bad command succeeded"; fi
if c get 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a 2>"$dir/err"; then fail "get of nothing succeeded"; fi
grep -q "not found" "$dir/err" || fail "get of nothing: $(cat "$dir/err")"
echo "client_test: all commands work"
