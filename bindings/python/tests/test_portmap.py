"""Port mapping through the binding: the option is accepted and checked, a
session on a loopback swarm maps nothing (the default rule), and what the
query reports. Mapping against a real router is tested in Go
(tests/natlab); nothing here asks a router."""

from __future__ import annotations

import ctypes
import logging
from ctypes import byref, c_void_p
from typing import Any

import pytest

import scout
from scout import _lib
from scout.session import _host_port


@pytest.mark.parametrize("mode", [None, True, False])
def test_every_mode_is_accepted(mode: Any) -> None:
    # Not started: no router is asked, whatever the mode.
    with scout.Session("", host="127.0.0.1", port=0, port_map=mode, start=False) as s:
        assert s.port_mapping is None


@pytest.mark.parametrize("mode", [1, 0, "on", "auto"])
def test_only_booleans_and_none(mode: Any) -> None:
    with pytest.raises(TypeError, match="port_map"):
        scout.Session("", host="127.0.0.1", port=0, port_map=mode, start=False)


@pytest.mark.parametrize("raw", [3, -1, 1000])
def test_the_library_refuses_other_values(raw: int) -> None:
    opts = _lib.SessionOptions()
    assert _lib.LIB.scout_session_options_init(byref(opts)) == _lib.OK
    opts.bootstrap = b""
    opts.port_map = raw
    out = c_void_p()
    assert _lib.LIB.scout_session_new(byref(opts), byref(out)) == _lib.INVALID_ARGUMENT
    assert "port mapping mode" in scout.last_error()
    assert not out.value


def test_options_layout() -> None:
    """The appended field starts past 0.2.0's 64 bytes, padding included,
    and the structs are the size the library's _init functions write."""
    assert _lib.SessionOptions.port_map.offset >= 64
    opts = _lib.SessionOptions()
    assert _lib.LIB.scout_session_options_init(byref(opts)) == _lib.OK
    assert opts.size == ctypes.sizeof(_lib.SessionOptions)
    assert opts.port_map == _lib.PORT_MAP_AUTO and opts.reserved == 0
    sw = _lib.SwarmOptions()
    assert _lib.LIB.scout_swarm_options_init(byref(sw)) == _lib.OK
    assert sw.size == ctypes.sizeof(_lib.SwarmOptions)


@pytest.mark.parametrize("mode", [None, False])
def test_loopback_session_maps_nothing(
    swarm: scout.Swarm, caplog: pytest.LogCaptureFixture, mode: Any
) -> None:
    """A full node (not read-only) on a test swarm: the default rule leaves
    it unmapped, and no router is asked."""
    with caplog.at_level(logging.DEBUG, logger="scout.session"):
        with scout.Session(swarm, host="127.0.0.1", port=0, port_map=mode) as s:
            assert s.port_mapping is None
            s.stop()
            assert s.port_mapping is None
    assert any("port mapping: off" in r.getMessage() for r in caplog.records)


def test_host_port() -> None:
    assert _host_port("203.0.113.5:51413") == ("203.0.113.5", 51413)
    assert _host_port("[2001:db8::1]:6881") == ("2001:db8::1", 6881)
    m = scout.PortMapping("pcp", ("203.0.113.5", 51413), ("192.168.1.10", 51413), "192.168.1.1", 7200.0)
    assert m.external == ("203.0.113.5", 51413) and m.lease == 7200.0
