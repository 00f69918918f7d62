#!/bin/sh
# Runs the C++ example client (examples/dht_client.cpp, a program in the
# original libscout's style, built against the installed package) through
# every command on a loopback swarm. The program cannot choose its
# bootstrap, as the original could not: SCOUT_BOOTSTRAP points it at the
# swarm, which is what the variable is for.
#   run_dht_client.sh CLIENT SWARM_HELPER [WRAPPER...]
# A WRAPPER (e.g. tests/c/valgrind.sh SUPPRESSIONS) runs every command of
# the client under it.
set -eu
client=$1
helper=$2
shift 2
. "$(dirname "$0")/../c/swarm.sh"
start_swarm "$helper" 16
SCOUT_BOOTSTRAP=$boot
export SCOUT_BOOTSTRAP
# c ARGS...: the client, under the wrapper if any.
c() {
  if [ -n "${wrapper:-}" ]; then
    # shellcheck disable=SC2086
    $wrapper "$client" "$@"
  else
    "$client" "$@"
  fi
}
wrapper="$*"

apk=$(c gen-key "$dir/alice.key" | sed -n 's/^Public key: //p')
bpk=$(c gen-key "$dir/bob.key" | sed -n 's/^Public key: //p')
[ ${#apk} -eq 64 ] && [ ${#bpk} -eq 64 ] || fail "gen-key: $apk $bpk"
c dump-key "$dir/alice.key" | grep -qx "Public key: $apk" || fail "dump-key"

out=$(c sync "$dir/alice.key" "$bpk" 1 "hello bob")
echo "$out"
echo "$out" | grep -qx "1 1 hello bob" || fail "alice's sync"
out=$(c sync "$dir/bob.key" "$apk" 2 "hello alice")
echo "$out"
echo "$out" | grep -qx "1 1 hello bob" || fail "bob did not receive alice's entry"
echo "$out" | grep -qx "2 1 hello alice" || fail "bob's sync"
out=$(c sync "$dir/alice.key" "$bpk" 1 "hello again")
echo "$out"
echo "$out" | grep -qx "1 2 hello again" || fail "alice's second sync"
echo "$out" | grep -qx "2 1 hello alice" || fail "alice did not receive bob's entry"

out=$(c put "first message" "$dir/list")
echo "$out"
first=$(echo "$out" | sed -n 's/^inserted message with hash //p')
[ "$first" = "$(cat "$dir/list")" ] || fail "put: the list file does not hold the new head"
out=$(c put "second message" "$dir/list")
echo "$out"
second=$(cat "$dir/list")

out=$(c get "$second")
echo "$out"
echo "$out" | grep -qx "Got message: second message" || fail "get"
echo "$out" | grep -qx "Next hash: $first" || fail "get: next hash"
out=$(c get "$first")
echo "$out" | grep -qx "Next hash: 0000000000000000000000000000000000000000" || fail "get: the list's end"
out=$(c get 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a)
echo "$out"
echo "$out" | grep -qx "No message found" || fail "get of nothing"
echo "dht_client: every command works"
