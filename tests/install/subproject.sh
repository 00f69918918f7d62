#!/bin/sh
# A project that pulls Scout in with add_subdirectory gets scout::scout and
# none of Scout's tests; SCOUT_BUILD_TESTS=ON brings them back. Configures
# only (nothing is built), in a temporary directory.
#   subproject.sh SCOUT_SOURCE_DIR CMAKE
set -eu
src=$1 cmake=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/scout-subproject-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$dir/app"
cat >"$dir/app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(app LANGUAGES C CXX)
enable_testing()
add_subdirectory("$src" scout)
add_executable(app app.c)
target_link_libraries(app PRIVATE scout::scout)
add_test(NAME app-only COMMAND app)
CMAKE
printf '#include <scout.h>\nint main(void) { return scout_abi_version() == SCOUT_ABI_VERSION ? 0 : 1; }\n' >"$dir/app/app.c"

"$cmake" -S "$dir/app" -B "$dir/build" >"$dir/log" 2>&1 || { cat "$dir/log"; fail "configure"; }
n=$(cd "$dir/build" && ctest -N | sed -n 's/^Total Tests: //p')
[ "$n" = 1 ] || { (cd "$dir/build" && ctest -N); fail "$n tests registered, want the app's 1"; }
"$cmake" --build "$dir/build" --target help >"$dir/targets"
if grep -q test_session "$dir/targets"; then fail "Scout's test programs are targets"; fi
grep -q libscout "$dir/targets" || fail "no libscout target"
echo "add_subdirectory: the app's test only"

"$cmake" -S "$dir/app" -B "$dir/build" -DSCOUT_BUILD_TESTS=ON >"$dir/log" 2>&1 || { cat "$dir/log"; fail "configure with tests"; }
n=$(cd "$dir/build" && ctest -N | sed -n 's/^Total Tests: //p')
[ "$n" -gt 10 ] || fail "SCOUT_BUILD_TESTS=ON registered $n tests"
echo "add_subdirectory with SCOUT_BUILD_TESTS=ON: $n tests"
