# The Rust binding's tests under ctest (label "rust"):
#
#   ctest --test-dir build -L rust --output-on-failure
#
# Included at the end of the top-level CMakeLists.txt, so the `libscout` and
# `scout_cli` build targets and SCOUT_VECTORS_DIR are known. The test runs
#
#   cargo test --locked --manifest-path bindings/rust/Cargo.toml
#   cargo clippy --locked --workspace --all-targets -- -D warnings   (when clippy is installed)
#
# with
#   SCOUT_LIB_DIR     the build directory holding libscout.so (scout-dht-sys
#                     links it instead of building its bundled copy, and
#                     the crate's build.rs writes it as an rpath into the
#                     test binaries),
#   SCOUT_VECTORS     the shared wire-format vectors,
#   SCOUT_CLI         the built `scout` command, for the cross-language tests,
#   CARGO_TARGET_DIR  <build>/cargo-target, so that nothing is written to the
#                     source tree (the interop tests build the example client
#                     there too, sharing the compiled crate).
# A setup test builds the library and the command first, so that ctest alone
# never runs the suite against a stale or missing library. (If the top-level
# file registers a `rust` test itself, that one is kept and given this
# environment and setup, and clippy runs as `rust-clippy`.)

find_program(CARGO_EXECUTABLE cargo)
if(NOT CARGO_EXECUTABLE)
  message(WARNING "cargo not found: the Rust binding's tests are not registered")
  return()
endif()

set(_scout_rs_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_scout_rs_manifest "${_scout_rs_dir}/Cargo.toml")
if(NOT SCOUT_VECTORS_DIR)
  get_filename_component(SCOUT_VECTORS_DIR "${CMAKE_CURRENT_SOURCE_DIR}/../shared/vectors" ABSOLUTE)
endif()
set(_scout_rs_env
  "SCOUT_LIB_DIR=${CMAKE_CURRENT_BINARY_DIR}"
  "SCOUT_VECTORS=${SCOUT_VECTORS_DIR}"
  "CARGO_TARGET_DIR=${CMAKE_CURRENT_BINARY_DIR}/cargo-target")
if(TARGET scout_cli)  # otherwise the test builds the command itself
  list(APPEND _scout_rs_env "SCOUT_CLI=${CMAKE_CURRENT_BINARY_DIR}/bin/scout")
endif()

# Build what the tests link and run.
set(_scout_rs_targets)
foreach(t libscout scout_cli)
  if(TARGET ${t})
    list(APPEND _scout_rs_targets ${t})
  endif()
endforeach()
if(_scout_rs_targets)
  add_test(NAME rust-build
    COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target ${_scout_rs_targets})
  set_tests_properties(rust-build PROPERTIES
    LABELS rust FIXTURES_SETUP scout_rust_built TIMEOUT 600)
endif()

# Is clippy installed? (`cargo clippy` is a rustup component.)
execute_process(COMMAND "${CARGO_EXECUTABLE}" clippy --version
  RESULT_VARIABLE _scout_rs_no_clippy OUTPUT_QUIET ERROR_QUIET)
set(_scout_rs_test "\"${CARGO_EXECUTABLE}\" test --locked --manifest-path \"${_scout_rs_manifest}\"")
set(_scout_rs_clippy "\"${CARGO_EXECUTABLE}\" clippy --locked --manifest-path \"${_scout_rs_manifest}\" --workspace --all-targets -- -D warnings")
if(NOT _scout_rs_no_clippy EQUAL 0)
  message(STATUS "cargo clippy not installed: the rust test runs cargo test only")
endif()

set(_scout_rs_tests)
if(TEST rust)
  # The top-level file registers `rust` already (cargo test in the crate):
  # give it what the suite needs rather than a second test of that name.
  set_property(TEST rust APPEND PROPERTY ENVIRONMENT ${_scout_rs_env})
  list(APPEND _scout_rs_tests rust)
  if(_scout_rs_no_clippy EQUAL 0)
    add_test(NAME rust-clippy COMMAND sh -c "${_scout_rs_clippy}")
    # After the tests: both take cargo's lock on the same target directory.
    set_tests_properties(rust-clippy PROPERTIES DEPENDS rust ENVIRONMENT "${_scout_rs_env}")
    list(APPEND _scout_rs_tests rust-clippy)
  endif()
else()
  if(_scout_rs_no_clippy EQUAL 0)
    set(_scout_rs_cmd "${_scout_rs_test} && ${_scout_rs_clippy}")
  else()
    set(_scout_rs_cmd "${_scout_rs_test}")
  endif()
  add_test(NAME rust COMMAND sh -c "${_scout_rs_cmd}" WORKING_DIRECTORY "${_scout_rs_dir}")
  set_tests_properties(rust PROPERTIES ENVIRONMENT "${_scout_rs_env}")
  list(APPEND _scout_rs_tests rust)
endif()
set_tests_properties(${_scout_rs_tests} PROPERTIES LABELS rust TIMEOUT 900)
if(_scout_rs_targets)
  set_tests_properties(${_scout_rs_tests} PROPERTIES FIXTURES_REQUIRED scout_rust_built)
endif()

# What a new user does (labels install and rust): `cargo new` in a temporary
# directory, a dependency on scout-dht by path, the crate README's program,
# `cargo run`, with no SCOUT_* variable: scout-dht-sys's bundled feature
# builds libscout from the Go sources (tests/install/cargo_new.sh). It
# needs Go and crates.io (the pkg-config crate) or cargo's cache.
add_test(NAME rust-cargo-new
  COMMAND sh "${CMAKE_CURRENT_SOURCE_DIR}/tests/install/cargo_new.sh" "${CMAKE_CURRENT_SOURCE_DIR}" "${CARGO_EXECUTABLE}")
set_tests_properties(rust-cargo-new PROPERTIES LABELS "install;rust" TIMEOUT 600)
