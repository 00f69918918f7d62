# Lint (label "lint"): checks of the source itself, which build nothing.
# Included from the top CMakeLists.txt.
#
#   ctest -L lint
#
#   lint-version      every copy of the version says what include/scout.h
#                     says (check_version.cmake)
#   lint-gofmt        gofmt -l lists no Go file of the module (gofmt.sh)
#   lint-staticcheck  staticcheck over ./..., the interop and natlab tests
#                     included; run with `go run` at a pinned version, which
#                     the Go module proxy serves to a fresh machine (and the
#                     Go build cache keeps afterwards)

set(SCOUT_STATICCHECK_VERSION v0.8.2)

add_test(NAME lint-version
  COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}" "-DCONFIGURED=${PROJECT_VERSION}"
          -P "${CMAKE_CURRENT_LIST_DIR}/check_version.cmake")
add_test(NAME lint-gofmt
  COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/gofmt.sh" "${GO_EXECUTABLE}"
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
add_test(NAME lint-staticcheck
  COMMAND "${GO_EXECUTABLE}" run "honnef.co/go/tools/cmd/staticcheck@${SCOUT_STATICCHECK_VERSION}"
          -tags interop,natlab ./...
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(lint-version lint-gofmt PROPERTIES LABELS lint TIMEOUT 120)
set_tests_properties(lint-staticcheck PROPERTIES LABELS lint TIMEOUT 900)
