# Checks that every copy of the release version says what its one home says:
# SCOUT_VERSION in include/scout.h, which scout_version() returns (capi's
# shim compiles it in) and CMakeLists.txt reads for the project's version.
#
#   cmake -DSOURCE_DIR=<repository> [-DCONFIGURED=<PROJECT_VERSION>] -P check_version.cmake
#
# The copies, which their languages need as literals: bindings/python's
# pyproject.toml and scout/__init__.py (__version__), bindings/rust's
# Cargo.toml and Cargo.lock, scout-dht-sys's Cargo.toml and src/lib.rs
# (SCOUT_VERSION), and the command's
# cmd/scout/help.go (scout --version). CONFIGURED, the
# version the build directory was configured with, must match too. The
# libraries as built are checked by the C, Python and Rust tests, which
# compare scout_version() with the header's and their package's version.
cmake_policy(VERSION 3.20)
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "check_version: -DSOURCE_DIR= is required")
endif()

# version_in(<var> <file> <regex>): the first capture of the first line of
# <file> that matches <regex>, or "(none)".
function(version_in var file regex)
  set(found "(none)")
  if(EXISTS "${SOURCE_DIR}/${file}")
    file(STRINGS "${SOURCE_DIR}/${file}" lines REGEX "${regex}")
    foreach(line IN LISTS lines)
      if(line MATCHES "${regex}")
        set(found "${CMAKE_MATCH_1}")
        break()
      endif()
    endforeach()
  else()
    set(found "(no such file)")
  endif()
  set(${var} "${found}" PARENT_SCOPE)
endfunction()

version_in(want include/scout.h "^#define SCOUT_VERSION \"([^\"]*)\"$")
if(NOT want MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  message(FATAL_ERROR "include/scout.h: SCOUT_VERSION is ${want}, want \"MAJOR.MINOR.PATCH\"")
endif()

set(wrong)
# expect(<file> <regex>): notes <file> in `wrong` unless its line matching
# <regex> captures the header's version.
function(expect file regex)
  version_in(got "${file}" "${regex}")
  if(NOT got STREQUAL want)
    list(APPEND wrong "${file}: ${got}")
    set(wrong "${wrong}" PARENT_SCOPE)
  endif()
endfunction()
expect(bindings/python/pyproject.toml "^version = \"([^\"]*)\"$")
expect(bindings/python/scout/__init__.py "^__version__ = \"([^\"]*)\"$")
expect(bindings/rust/Cargo.toml "^version = \"([^\"]*)\"$")
expect(bindings/rust/scout-dht-sys/Cargo.toml "^version = \"([^\"]*)\"$")
expect(bindings/rust/scout-dht-sys/src/lib.rs "^pub const SCOUT_VERSION: &\\[u8\\] = b\"([^\"]*)\\\\0\"")
expect(cmd/scout/help.go "^const version = \"([^\"]*)\"$")

# Cargo.lock: the version line right after each crate's name.
file(READ "${SOURCE_DIR}/bindings/rust/Cargo.lock" lock)
foreach(crate scout-dht scout-dht-sys)
  if(lock MATCHES "\nname = \"${crate}\"\nversion = \"([^\"]*)\"")
    set(got "${CMAKE_MATCH_1}")
  else()
    set(got "(none)")
  endif()
  if(NOT got STREQUAL want)
    list(APPEND wrong "bindings/rust/Cargo.lock (${crate}): ${got}")
  endif()
endforeach()

if(DEFINED CONFIGURED AND NOT CONFIGURED STREQUAL want)
  list(APPEND wrong "the build directory, configured with ${CONFIGURED} (run cmake again)")
endif()

if(wrong)
  list(JOIN wrong "\n  " wrong)
  message(FATAL_ERROR "include/scout.h says SCOUT_VERSION \"${want}\"; these differ:\n  ${wrong}")
endif()
message(STATUS "version ${want}: include/scout.h and every copy agree")
