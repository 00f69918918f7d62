# Port mapping against a real router (label "natlab"): Debian's miniupnpd
# (UPnP IGD, NAT-PMP, PCP) in network namespaces the test makes itself,
# under a prefix of its own, and tears down when it ends (lab_test.go).
# Also BEP 42 (node ids tied to the external address): six nodes on
# documentation addresses (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
# in the lab's WAN namespace, none routed anywhere (bep42_test.go).
# Included from the top CMakeLists.txt; scripts/test.sh installs miniupnpd,
# miniupnpd-nftables and nftables.
#
#   ctest -L natlab
#   go test -tags natlab -v ./tests/natlab/      (as root)
#
# It needs root: without it, or where network namespaces cannot be made,
# it prints "natlab: skipped: <why>" and ctest counts it as skipped.

add_test(NAME natlab
  COMMAND "${GO_EXECUTABLE}" test -tags natlab -count=1 -v -timeout 10m ./tests/natlab/
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
set_tests_properties(natlab PROPERTIES LABELS natlab TIMEOUT 900
  SKIP_REGULAR_EXPRESSION "natlab: skipped:"
  ENVIRONMENT "SCOUT_CLI=${CMAKE_CURRENT_BINARY_DIR}/bin/scout")
