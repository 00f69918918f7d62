#!/usr/bin/env bash
# Checks run.sh's reading of a fuzz run's end with a stand-in for go
# (fake/go): a clean pass and the -fuzztime race pass, a crasher and a
# failed check fail, whatever else is printed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fails=0
expect() { # ENDING WANT_STATUS
  SCOUT_FAKE_FUZZ=$1 "$here/run.sh" "$here/fake/go" ./pkg FuzzX 20s >/dev/null 2>&1
  got=$?
  if { [ "$2" = 0 ] && [ "$got" -ne 0 ]; } || { [ "$2" != 0 ] && [ "$got" -eq 0 ]; }; then
    echo "FAIL: $1: run.sh exited $got, want $2"
    fails=$((fails + 1))
  else
    echo "ok: $1: exit $got"
  fi
}
expect pass 0
expect deadline 0
expect crasher 1
expect deadline-and-check 1
expect unknown 1
exit $((fails > 0))
