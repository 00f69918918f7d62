#!/bin/sh
# Runs a C test under valgrind's memcheck and fails on any error in our
# code or the tests, and on any definite or indirect leak.
#   valgrind.sh SUPPRESSIONS PROGRAM [ARGS...]
#
# Valgrind cannot follow the Go runtime's goroutine stack switches: it takes
# a switch for a push or pop, marks parts of the runtime's own mappings
# (goroutine stacks, the Go heap) inaccessible or undefined, and reports Go
# code's later use of them. This script recognizes exactly those reports and
# counts them apart:
#   - "Invalid read/write" whose address "is in a rw- anonymous segment":
#     memory mapped by the Go runtime, which no C code here touches (the
#     library gives callbacks copies in malloc'd memory, never Go memory);
#   - uninitialised-value and syscall-parameter reports whose innermost frame
#     is Go code: in libscout, and not one of the shim's scout_* C functions.
# Every other report fails the test: any error in a C frame (the tests, the
# shim, libc called from C), Go code reading or writing outside a malloc'd
# block, and every definite or indirect leak. Leaks of the Go runtime's own
# threads are in the suppression file.
set -u
supp=$1
shift
xml=$(mktemp "${TMPDIR:-/tmp}/scout-valgrind-XXXXXX.xml") || exit 2
trap 'rm -f "$xml"' EXIT
valgrind --xml=yes --xml-file="$xml" --error-limit=no --partial-loads-ok=no --leak-check=full \
  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --suppressions="$supp" "$@"
rc=$?
awk '
  /<error>/   { inerr = 1; kind = ""; what = ""; anon = 0; fns = ""; nf = 0; obj = ""; fn0 = ""; next }
  inerr && /<kind>/ { k = $0; gsub(/.*<kind>|<\/kind>.*/, "", k); kind = k }
  inerr && /<what>|<text>/ { w = $0; gsub(/.*<(what|text)>|<\/(what|text)>.*/, "", w); what = w }
  inerr && /<fn>/ { f = $0; gsub(/.*<fn>|<\/fn>.*/, "", f); if (nf == 0) fn0 = f; if (nf++ < 12) fns = fns "\n    " f }
  inerr && /<obj>/ && obj == "" { o = $0; gsub(/.*<obj>|<\/obj>.*/, "", o); obj = o }
  inerr && /is in a rw- anonymous segment/ { anon = 1 }
  /<\/error>/ {
    inerr = 0
    gocode = (obj ~ /libscout\.so/ && fn0 !~ /^scout_/)
    if ((kind == "InvalidRead" || kind == "InvalidWrite") && anon) { goruntime++ }
    else if ((kind ~ /^Uninit/ || kind == "SyscallParam") && gocode) { goruntime++ }
    else { ours++; print "valgrind: " kind ": " what fns > "/dev/stderr" }
  }
  /<\/valgrindoutput>/ { complete = 1 }
  END {
    if (!complete) { print "valgrind: incomplete output: valgrind failed" > "/dev/stderr"; exit 1 }
    printf "valgrind: %d errors or leaks in our code; %d reports about Go runtime memory ignored\n", ours, goruntime
    exit ours > 0
  }' "$xml"
vrc=$?
if [ "$rc" -ne 0 ]; then
  echo "valgrind: the test exited with status $rc"
  exit "$rc"
fi
exit "$vrc"
