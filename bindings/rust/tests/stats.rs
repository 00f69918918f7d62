//! Statistics and address families through the binding: `stats()` moves
//! with what the session does and is zero before the start; an IPv6 swarm
//! serves the sessions that join it or bootstrap from it, which see IPv6
//! nodes only; families and limits are checked, and a send bound reaches
//! the node.
mod common;

use std::mem;
use std::ptr;
use std::time::Duration;

use common::{session_with, swarm};
use scout::{ffi, ErrorCode, Families, Limits, ListHead, Session, Stats, Swarm};

fn put_one(s: &Session, msg: &[u8]) -> scout::Hash {
    let mut head = ListHead::new();
    let token = head.push_front(msg).unwrap();
    s.put(&token, msg).unwrap().hash
}

#[test]
fn zero_before_the_start() {
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .bootstrap(swarm().bootstrap().unwrap())
        .build()
        .unwrap();
    assert_eq!(s.stats().unwrap(), Stats::default());
    assert_eq!(s.addrs().unwrap_err().code(), ErrorCode::WrongState);
}

#[test]
fn stats_move_with_put_and_get() {
    let s = session_with(Session::builder().read_only(true));
    let before = s.stats().unwrap();
    assert!(before.nodes > 0 && before.nodes6 == 0 && before.good_nodes <= before.nodes);
    assert!(before.datagrams_out > 0 && before.bytes_out > before.datagrams_out);

    let hash = put_one(&s, b"counted once");
    assert_eq!(s.get(&hash).unwrap().body, b"counted once");
    let miss = s.get(&[0x5c; scout::HASH_SIZE]).unwrap_err();
    assert_eq!(miss.code(), ErrorCode::NotFound);

    let after = s.stats().unwrap();
    assert!(after.queries_out.put > before.queries_out.put);
    assert!(after.queries_out.get > before.queries_out.get);
    assert_eq!(after.queries_out.unknown, 0);
    assert_eq!(after.operations.ok, before.operations.ok + 2);
    assert_eq!(after.operations.not_found, before.operations.not_found + 1);
    assert_eq!((after.operations.timeout, after.operations.failed), (0, 0));
    assert!(before.replies < after.replies && after.replies <= after.datagrams_in);
    assert!(after.datagrams_out > before.datagrams_out && after.bytes_in > before.bytes_in);
    // A read-only node answers nothing and keeps nothing.
    assert_eq!((after.stored_items, after.queries_in.put), (0, 0));
    assert_eq!(
        after.queries_out.total(),
        after.queries_out.iter().map(|(_, n)| n).sum::<u64>()
    );
    assert_eq!(s.addrs().unwrap(), vec![s.addr().unwrap()]);
    assert_eq!(after.external_addr, None);

    s.stop().unwrap();
    let stopped = s.stats().unwrap();
    assert_eq!(stopped, s.stats().unwrap());
    assert_eq!(stopped.operations, after.operations);
}

#[test]
fn a_full_node_answers_and_stores() {
    let full = session_with(Session::builder().read_only(false));
    let client = session_with(Session::builder().read_only(true));
    // The full node is one of the swarm's nodes + 1 candidates for each
    // item's closest eight: put until it holds something.
    let mut st = full.stats().unwrap();
    for i in 0..40 {
        if st.stored_items > 0 {
            break;
        }
        put_one(&client, format!("item {i}").as_bytes());
        st = full.stats().unwrap();
    }
    assert!(st.stored_items > 0 && st.stored_bytes > 0 && st.queries_in.put > 0);
}

#[test]
fn ipv6_swarm() {
    let sw = Swarm::builder().nodes(8).ipv6(true).start().unwrap();
    let boot = sw.bootstrap().unwrap();
    assert!(boot.starts_with("[::1]:"), "{boot}");

    let joined = sw
        .join(Session::builder().timeout(Duration::from_secs(20)))
        .unwrap();
    let hash = put_one(&joined, b"over IPv6");
    assert_eq!(joined.get(&hash).unwrap().body, b"over IPv6");
    let st = joined.stats().unwrap();
    assert!(
        st.nodes6 > 0 && st.good_nodes6 > 0 && st.nodes == 0,
        "{st:?}"
    );
    assert_eq!(st.operations.ok, 2);
    assert!(joined.addrs().unwrap()[0].starts_with("[::1]:"));

    let s = Session::builder()
        .listen("[::1]:0")
        .bootstrap(boot)
        .timeout(Duration::from_secs(20))
        .start()
        .unwrap();
    assert_eq!(s.get(&hash).unwrap().body, b"over IPv6");
    let st = s.stats().unwrap();
    assert!(st.nodes6 > 0 && st.nodes == 0, "{st:?}");

    // The swarm chooses a joined session's family.
    let refused = sw.join(Session::builder().families(Families::Ipv6));
    assert_eq!(refused.unwrap_err().code(), ErrorCode::InvalidArgument);
    let refused = sw.join(Session::builder().listen_addr6("[::1]:0"));
    assert_eq!(refused.unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn families_accepted_and_refused() {
    let build = |listen: &str, families: Families| {
        Session::builder()
            .listen(listen)
            .bootstrap("")
            .families(families)
            .build()
    };
    assert_eq!(Families::default(), Families::Auto);
    for (listen, families) in [
        ("127.0.0.1:0", Families::Auto),
        ("127.0.0.1:0", Families::Ipv4),
        ("[::1]:0", Families::Ipv6),
        ("127.0.0.1:0", Families::DualStack),
    ] {
        build(listen, families).unwrap();
    }
    for (listen, families, why) in [
        ("[::1]:0", Families::Ipv4, "IPv4Only"),
        ("127.0.0.1:0", Families::Ipv6, "IPv6Only"),
        ("[::1]:0", Families::DualStack, "dual-stack"),
    ] {
        let e = build(listen, families).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.message().contains(why), "{e}");
    }
    let e = Session::builder()
        .listen("127.0.0.1:0")
        .listen_addr6("127.0.0.1:0")
        .bootstrap("")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    let e = Session::builder()
        .listen_addr6("[::1\0]:0")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
}

#[test]
fn dual_stack_listens_on_both() {
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .listen_addr6("[::1]:0")
        .families(Families::DualStack)
        .bootstrap("")
        .start()
        .unwrap();
    let addrs = s.addrs().unwrap();
    assert_eq!(addrs.len(), 2, "{addrs:?}");
    assert!(addrs[0].starts_with("127.0.0.1:") && addrs[1].starts_with("[::1]:"));
    assert_eq!(addrs[0], s.addr().unwrap());
}

#[test]
fn limits_refused() {
    for limits in [
        Limits {
            query_rate: -1.0,
            ..Default::default()
        },
        Limits {
            query_rate: f64::NAN,
            ..Default::default()
        },
        Limits {
            query_rate: f64::INFINITY,
            ..Default::default()
        },
        Limits {
            block: Duration::from_micros(10),
            ..Default::default()
        },
        Limits {
            block: Duration::from_secs(u64::from(u32::MAX)),
            ..Default::default()
        },
    ] {
        let e = Session::builder()
            .listen("127.0.0.1:0")
            .bootstrap("")
            .limits(limits)
            .build()
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{limits:?}");
    }
}

#[test]
fn a_send_bound_reaches_the_node() {
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .bootstrap(swarm().bootstrap().unwrap())
        .timeout(Duration::from_secs(2))
        .limits(Limits {
            send_rate: 1, // one byte a second: no datagram fits
            query_rate: 5.0,
            query_burst: 10,
            block: Duration::from_secs(1),
            limit_loopback: true,
        })
        .start()
        .unwrap();
    let st = s.stats().unwrap();
    assert!(
        st.send_dropped > 0 && st.datagrams_out == 0 && st.nodes == 0,
        "{st:?}"
    );
}

#[test]
fn ffi_layout_and_a_short_struct() {
    assert_eq!(mem::size_of::<ffi::scout_stats>(), 448);
    assert_eq!(mem::size_of::<ffi::scout_session_options>(), 128);
    assert_eq!(
        mem::offset_of!(ffi::scout_session_options, listen_addr6),
        88
    );
    assert_eq!(mem::offset_of!(ffi::scout_swarm_options, ipv6), 64);
    // scout_stats' fields where the header puts them.
    assert_eq!(mem::offset_of!(ffi::scout_stats, stored_items), 32);
    assert_eq!(mem::offset_of!(ffi::scout_stats, queries_out), 112);
    assert_eq!(mem::offset_of!(ffi::scout_stats, replies), 176);
    assert_eq!(mem::offset_of!(ffi::scout_stats, send_dropped), 256);
    assert_eq!(mem::offset_of!(ffi::scout_stats, external_addr6), 328);
    assert_eq!(mem::offset_of!(ffi::scout_stats, id_secure6), 396);
    assert_eq!(mem::offset_of!(ffi::scout_stats, ops_failed), 440);

    let s = session_with(Session::builder());
    // SAFETY: scout_stats is plain data, for which all zeros is valid.
    let mut raw: ffi::scout_stats = unsafe { mem::zeroed() };
    raw.size = mem::size_of::<ffi::scout_stats>() - 8;
    raw.nodes = 7;
    // SAFETY: s is live; raw is writable (the library refuses the size).
    let status = unsafe { ffi::scout_session_stats(s.as_ptr(), &mut raw) };
    assert_eq!(status, ffi::SCOUT_INVALID_ARGUMENT);
    assert!(scout::last_error().contains("size"));
    assert_eq!(raw.nodes, 7); // nothing written
                              // SAFETY: a NULL session is refused.
    let status = unsafe { ffi::scout_session_stats(ptr::null(), &mut raw) };
    assert_eq!(status, ffi::SCOUT_INVALID_ARGUMENT);
}
