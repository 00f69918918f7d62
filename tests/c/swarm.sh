# Sourced by the scripts that run a client program against a loopback
# swarm in another process (tests/c/run_client.sh, tests/cpp/run_dht_client.sh).
#   . swarm.sh; start_swarm HELPER NODES    sets $dir (a temporary directory,
#                                           removed on exit) and $boot (the
#                                           swarm's "127.0.0.1:PORT")
# The swarm runs until the script exits (its standard input closes).
dir=$(mktemp -d "${TMPDIR:-/tmp}/scout-client-XXXXXX")
hpid=
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$hpid" ]; then wait "$hpid" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

start_swarm() {
  mkfifo "$dir/ctl"
  "$1" "$2" "$dir/addr" <"$dir/ctl" &
  hpid=$!
  exec 3>"$dir/ctl"
  i=0
  while [ ! -s "$dir/addr" ]; do
    i=$((i + 1))
    [ $i -le 600 ] || fail "the swarm did not start"
    kill -0 "$hpid" 2>/dev/null || fail "the swarm helper exited"
    sleep 0.1
  done
  boot=$(cat "$dir/addr")
}
