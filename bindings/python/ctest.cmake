# The Python binding's tests under ctest (label "python"):
#
#   ctest --test-dir build -L python --output-on-failure
#
# Included at the end of the top-level CMakeLists.txt, so the library's
# imported target `scout`, the `libscout` and `scout_cli` build targets and
# SCOUT_VECTORS_DIR are known. The suite runs `python3 -m pytest -q
# bindings/python/tests` from the source tree with
#   SCOUT_LIBRARY  the built libscout.so.1 (the imported target's file),
#   SCOUT_VECTORS  the shared wire-format vectors,
#   SCOUT_CLI      the built `scout` command, for the cross-language test.
# A setup test builds the library and the command first, so that ctest
# alone never runs the suite against a stale or missing library. (If the
# top-level file registers a `python` test itself, that one is kept and
# given this environment and setup.)

set(_scout_py_dir "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(_scout_py_root "${_scout_py_dir}/../.." ABSOLUTE)

if(TARGET scout)
  set(_scout_py_lib "$<TARGET_FILE:scout>")
else()
  set(_scout_py_lib "${CMAKE_CURRENT_BINARY_DIR}/libscout.so.1")
endif()
if(NOT SCOUT_VECTORS_DIR)
  get_filename_component(SCOUT_VECTORS_DIR "${CMAKE_CURRENT_SOURCE_DIR}/../shared/vectors" ABSOLUTE)
endif()
set(_scout_py_env
  "SCOUT_LIBRARY=${_scout_py_lib}"
  "SCOUT_VECTORS=${SCOUT_VECTORS_DIR}")
if(TARGET scout_cli)  # otherwise the test builds the command itself
  list(APPEND _scout_py_env "SCOUT_CLI=${CMAKE_CURRENT_BINARY_DIR}/bin/scout")
endif()

set(_scout_py_targets)
foreach(t libscout scout_cli)
  if(TARGET ${t})
    list(APPEND _scout_py_targets ${t})
  endif()
endforeach()
if(_scout_py_targets)
  add_test(NAME python-build
    COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target ${_scout_py_targets})
  set_tests_properties(python-build PROPERTIES
    LABELS python FIXTURES_SETUP scout_python_built TIMEOUT 600)
endif()

if(TEST python)
  # The top-level file registers `python` already: give it what the suite
  # needs rather than a second test of the same name.
  set_property(TEST python APPEND PROPERTY ENVIRONMENT ${_scout_py_env})
else()
  find_program(SCOUT_PYTHON3 python3)
  if(NOT SCOUT_PYTHON3)
    message(WARNING "python3 not found: the Python binding's tests are not registered")
    return()
  endif()
  add_test(NAME python
    COMMAND "${SCOUT_PYTHON3}" -m pytest -q bindings/python/tests
    WORKING_DIRECTORY "${_scout_py_root}")
  set_tests_properties(python PROPERTIES LABELS python TIMEOUT 600 ENVIRONMENT "${_scout_py_env}")
endif()
if(_scout_py_targets)
  set_property(TEST python APPEND PROPERTY FIXTURES_REQUIRED scout_python_built)
endif()

# What a new user does (labels install and python): a fresh venv in a
# temporary directory, `pip install ./bindings/python` with no SCOUT_*
# variable (the build backend builds libscout from the Go sources), this
# binding's README example, then `python -m build`: the wheel's tag and
# contents and the sdist's contents (tests/install/python_venv.py). It
# needs Go and the package index (setuptools, build).
if(SCOUT_PYTHON3 OR TEST python)
  find_program(SCOUT_PYTHON3 python3)
  add_test(NAME python-venv
    COMMAND "${SCOUT_PYTHON3}" "${_scout_py_root}/tests/install/python_venv.py" "${_scout_py_root}")
  set_tests_properties(python-venv PROPERTIES LABELS "install;python" TIMEOUT 600)
endif()
