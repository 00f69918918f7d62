//! Port mapping through the binding: the option is accepted and checked,
//! a session on a loopback swarm maps nothing (the default rule), and the
//! query says so. Mapping against a real router is tested in Go
//! (tests/natlab); nothing here asks a router.
mod common;

use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{session_with, swarm};
use scout::{ffi, ErrorCode, LogLevel, PortMap, Session};

#[test]
fn every_mode_is_accepted() {
    assert_eq!(PortMap::default(), PortMap::Auto);
    for mode in [PortMap::Auto, PortMap::On, PortMap::Off] {
        // Built, not started: no router is asked, whatever the mode.
        let s = Session::builder()
            .listen("127.0.0.1:0")
            .bootstrap("")
            .port_map(mode)
            .build()
            .unwrap();
        assert_eq!(s.port_mapping().unwrap(), None);
    }
}

#[test]
fn the_library_refuses_other_values() {
    for raw in [3, -1, 1000] {
        let mut opts = std::mem::MaybeUninit::<ffi::scout_session_options>::zeroed();
        // SAFETY: a zeroed options struct is valid and writable.
        assert_eq!(
            unsafe { ffi::scout_session_options_init(opts.as_mut_ptr()) },
            ffi::SCOUT_OK
        );
        // SAFETY: initialized above.
        let mut opts = unsafe { opts.assume_init() };
        opts.bootstrap = c"".as_ptr();
        opts.port_map = raw;
        let mut out = ptr::null_mut();
        // SAFETY: opts is valid for the call; out a valid place.
        let status = unsafe { ffi::scout_session_new(&opts, &mut out) };
        assert_eq!(status, ffi::SCOUT_INVALID_ARGUMENT, "port_map {raw}");
        assert!(scout::last_error().contains("port mapping mode"));
        assert!(out.is_null());
    }
}

#[test]
fn a_loopback_session_maps_nothing() {
    // A full node (not read-only) on the test swarm: the default rule
    // leaves it unmapped; so does PortMap::Off.
    for mode in [PortMap::Auto, PortMap::Off] {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = lines.clone();
        let s = session_with(
            Session::builder()
                .port_map(mode)
                .log(LogLevel::Debug, move |_, line| {
                    seen.lock().unwrap().push(line.to_owned())
                }),
        );
        assert_eq!(s.port_mapping().unwrap(), None);
        common::wait_for(
            "the 'port mapping: off' line",
            Duration::from_secs(10),
            || {
                lines
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|l| l.contains("port mapping: off"))
            },
        );
        s.stop().unwrap();
        assert_eq!(s.port_mapping().unwrap(), None);
        assert!(s.swarm_index().is_none());
    }
    // A session joined to the swarm is a loopback session too.
    let joined = swarm().join(Session::builder()).unwrap();
    assert_eq!(joined.port_mapping().unwrap(), None);
    assert_eq!(
        swarm()
            .join(Session::builder().listen("127.0.0.1:0"))
            .map(drop)
            .map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument),
        "the swarm chooses the address"
    );
}
