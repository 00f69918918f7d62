# Interoperability tests (label "interop"): Scout against libtorrent's DHT
# (Debian python3-libtorrent under /usr/bin/python3) on loopback swarms, and
# every front end against every other. Included from the top CMakeLists.txt.
#
#   ctest -L interop             all of them
#   go test -tags interop ./tests/interop/        the Go side alone
#   /usr/bin/python3 -m pytest -q tests/interop    the libtorrent driver alone

set(SCOUT_INTEROP_DIR "${CMAKE_CURRENT_SOURCE_DIR}/tests/interop")

add_test(NAME interop-libtorrent-driver
  COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider "${SCOUT_INTEROP_DIR}"
  WORKING_DIRECTORY "${SCOUT_INTEROP_DIR}")
set_tests_properties(interop-libtorrent-driver PROPERTIES LABELS interop TIMEOUT 300
  ENVIRONMENT "SCOUT_VECTORS=${SCOUT_VECTORS_DIR}")

# Scout against libtorrent, and the four front ends (C, Python, Rust, the
# Go command) against each other: needs the built library and command.
add_test(NAME interop
  COMMAND "${GO_EXECUTABLE}" test -tags interop -count=1 -v ./tests/interop/
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(interop PROPERTIES LABELS interop TIMEOUT 900 RUN_SERIAL TRUE
  ENVIRONMENT "SCOUT_LIBRARY_DIR=${CMAKE_CURRENT_BINARY_DIR};SCOUT_CLI=${CMAKE_CURRENT_BINARY_DIR}/bin/scout;CARGO_TARGET_DIR=${CMAKE_CURRENT_BINARY_DIR}/cargo-target")
