# Fuzzing (label "fuzz"): every Go fuzz target of a parser of network
# input, each run for a bounded time with the Go fuzzer (go test -fuzz),
# starting from its seed corpus (the crash classes of internal/krpc/krpctest
# and the targets' own seeds). A crasher fails the test and is written
# under the package's testdata/fuzz/, where `go test` replays it from then
# on. Included from the top CMakeLists.txt. run.sh runs each: a run that
# Go 1.26 fails only on its -fuzztime race (golang/go#75804: "context
# deadline exceeded", no failing input) passes; run_test.sh checks that
# reading with a stand-in for go (fuzz-runner).
#
#   ctest -L fuzz
#   cmake -DSCOUT_FUZZ_TIME=10m build && ctest --test-dir build -L fuzz   a long run
#
# The README gives the figures of a ten-minute run of each.

set(SCOUT_FUZZ_TIME 20s CACHE STRING "How long ctest runs each fuzz target")

# name  package  target
set(SCOUT_FUZZ_TARGETS
  krpc-decode    ./internal/krpc  FuzzDecode
  dht-node       ./internal/dht   FuzzNode
  dht-store-put  ./internal/dht   FuzzStorePut
  entries        ./scout          FuzzParseEntries
  message        ./scout          FuzzParseMessage
  sealed         ./scout          FuzzOpen
  portmap-pcp    ./internal/portmap FuzzParsePCP
  portmap-ssdp   ./internal/portmap FuzzParseSSDP)

list(LENGTH SCOUT_FUZZ_TARGETS _n)
math(EXPR _last "${_n} - 1")
foreach(i RANGE 0 ${_last} 3)
  math(EXPR j "${i} + 1")
  math(EXPR k "${i} + 2")
  list(GET SCOUT_FUZZ_TARGETS ${i} name)
  list(GET SCOUT_FUZZ_TARGETS ${j} pkg)
  list(GET SCOUT_FUZZ_TARGETS ${k} target)
  add_test(NAME fuzz-${name}
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz/run.sh" "${GO_EXECUTABLE}" "${pkg}" "${target}" "${SCOUT_FUZZ_TIME}"
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
  set_tests_properties(fuzz-${name} PROPERTIES LABELS fuzz TIMEOUT 1200 RUN_SERIAL TRUE
    ENVIRONMENT "SCOUT_VECTORS=${SCOUT_VECTORS_DIR}")
endforeach()

add_test(NAME fuzz-runner
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz/run_test.sh")
set_tests_properties(fuzz-runner PROPERTIES LABELS fuzz TIMEOUT 60)
