# Lint (label "lint"): checks of the source itself, which build nothing.
# Included from the top CMakeLists.txt.
#
#   ctest -L lint
#
#   lint-version      every copy of the version says what include/scout.h
#                     says (check_version.cmake)

add_test(NAME lint-version
  COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}" "-DCONFIGURED=${PROJECT_VERSION}"
          -P "${CMAKE_CURRENT_LIST_DIR}/check_version.cmake")
set_tests_properties(lint-version PROPERTIES LABELS lint TIMEOUT 120)
