# What a new user does, in temporary directories and with no environment
# variable (label install, and the language's label):
#
#   install-tree        `cmake --install` lays out the library, the C and C++
#                       headers, the `scout` command, scout.pc and the CMake
#                       package; the installed command runs
#   install-subproject  a project that add_subdirectory()s Scout gets
#                       scout::scout and none of our tests (SCOUT_BUILD_TESTS
#                       brings them back)
#   (and python-venv, rust-cargo-new: in the bindings' ctest.cmake files)
#
# (The CMake project built against the installed package is c-example-build,
# the C++ program in the original's style cxx-example-run.)
# Included at the end of the top-level CMakeLists.txt.

set(_scout_install_dir "${CMAKE_CURRENT_LIST_DIR}")

add_test(NAME install-tree
  COMMAND sh "${_scout_install_dir}/installed_tree.sh" "${SCOUT_TEST_PREFIX}" "${CMAKE_INSTALL_LIBDIR}"
          "${CMAKE_INSTALL_INCLUDEDIR}" "${CMAKE_INSTALL_BINDIR}")
set_tests_properties(install-tree PROPERTIES FIXTURES_REQUIRED scout_installed LABELS "install;c" TIMEOUT 60)

add_test(NAME install-subproject
  COMMAND sh "${_scout_install_dir}/subproject.sh" "${CMAKE_CURRENT_SOURCE_DIR}" "${CMAKE_COMMAND}")
set_tests_properties(install-subproject PROPERTIES LABELS "install;c" TIMEOUT 300)
