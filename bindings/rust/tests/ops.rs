//! Errors that carry the library's text of their cause, one operation
//! cancelled through its `Operation` handle, and a per-operation deadline.
//!
//! The in-flight cases use a session whose peers are gone (their swarm was
//! dropped after it joined): its lookups wait for answers that never come,
//! so an operation stays in flight long enough to cancel or to reach a
//! short deadline.
mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::session;
use scout::{Entries, ErrorCode, ListHead, Session, Swarm};

const LONG: Duration = Duration::from_secs(30);

/// A started session whose peers are gone.
fn stranded() -> Session {
    let swarm = Swarm::start(8).unwrap();
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .bootstrap(swarm.bootstrap().unwrap())
        .timeout(Duration::from_secs(30))
        .start()
        .unwrap();
    drop(swarm);
    s
}

#[test]
fn errors_carry_the_cause() {
    let e = Session::builder()
        .bootstrap("127.0.0.1:6881,nowhere")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(
        e.message()
            .starts_with("scout_session_new: invalid argument: bootstrap node \"nowhere\""),
        "{e}"
    );
    assert_eq!(e.to_string(), e.message());

    let e = Entries::parse(&[1, 0, 1]).unwrap_err();
    assert_eq!(e, ErrorCode::InvalidArgument);
    assert!(
        e.message()
            .starts_with("scout_entries_parse: malformed entry list at byte"),
        "{e}"
    );

    let e = ListHead::new().push_front(&[0; 974]).unwrap_err();
    assert_eq!(
        e.message(),
        "scout_list_push_front: message too large: 974 > 973"
    );
}

#[test]
fn completion_errors_carry_the_cause() {
    let s = session();
    let e = s.get(&[0x5a; 20]).unwrap_err();
    assert_eq!(e, ErrorCode::NotFound);
    assert!(e.message().starts_with("scout_get_op: not found"), "{e}");

    let (tx, rx) = mpsc::channel();
    let _op = s
        .start_get(&[0x5b; 20], move |r| tx.send(r).unwrap())
        .unwrap();
    let e = rx.recv_timeout(LONG).unwrap().unwrap_err();
    assert!(e.message().starts_with("scout_get_op: not found"), "{e}");

    s.stop().unwrap();
    let e = s.get(&[0x5a; 20]).unwrap_err();
    assert_eq!(e, ErrorCode::WrongState);
    assert!(
        e.message()
            .starts_with("scout_get_op: the session is not running"),
        "{e}"
    );
}

#[test]
fn cancel_one_operation_through_its_handle() {
    let s = stranded();
    let (tx_a, rx_a) = mpsc::channel();
    let (tx_b, rx_b) = mpsc::channel();
    let a = s
        .start_get(&[1; 20], move |r| tx_a.send(r).unwrap())
        .unwrap();
    let b = s
        .start_get(&[2; 20], move |r| tx_b.send(r).unwrap())
        .unwrap();
    assert!(a.cancel(), "in flight: cancelled");
    let e = rx_a.recv_timeout(LONG).unwrap().unwrap_err();
    assert_eq!(e, ErrorCode::Cancelled);
    assert_eq!(
        e.message(),
        "scout_get_op: cancelled: scout_op_cancel was called"
    );
    assert!(!a.cancel(), "ended: nothing to cancel");
    assert!(
        rx_a.recv_timeout(Duration::from_millis(50)).is_err(),
        "exactly once"
    );
    assert!(rx_b.try_recv().is_err(), "the other operation goes on");
    assert!(b.cancel());
    assert_eq!(
        rx_b.recv_timeout(LONG).unwrap().unwrap_err(),
        ErrorCode::Cancelled
    );

    // A walk and a synchronize cancel the same way.
    let (tx, rx) = mpsc::channel();
    let walk = s
        .start_get_list(&[3; 20], 0, |_| {}, move |r| tx.send(r).unwrap())
        .unwrap();
    assert!(walk.cancel());
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().unwrap_err(),
        ErrorCode::Cancelled
    );
    let (tx, rx) = mpsc::channel();
    let mut list = Entries::new().unwrap();
    list.assign(1, b"x").unwrap();
    let sync = s
        .start_synchronize(&[9; 32], &list, move |r| tx.send(r.map(drop)).unwrap())
        .unwrap();
    assert!(sync.cancel());
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().unwrap_err(),
        ErrorCode::Cancelled
    );
}

#[test]
fn dropping_the_handle_does_not_cancel() {
    let s = session();
    let mut head = ListHead::new();
    let token = head.push_front(b"kept").unwrap();
    let (tx, rx) = mpsc::channel();
    drop(
        s.start_put(&token, b"kept", move |r| tx.send(r).unwrap())
            .unwrap(),
    );
    assert_eq!(rx.recv_timeout(LONG).unwrap().unwrap().hash, head.hash());
    assert_eq!(s.get(&head.hash()).unwrap().body, b"kept");
}

#[test]
fn a_deadline_of_its_own() {
    let s = stranded();
    let start = Instant::now();
    let e = s
        .with_timeout(Duration::from_millis(300))
        .get(&[4; 20])
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(e, ErrorCode::Timeout);
    assert!(e.message().starts_with("scout_get_op: timed out"), "{e}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(10),
        "{took:?}: the session's deadline is 30 s"
    );
    let (tx, rx) = mpsc::channel();
    let _op = s
        .with_timeout(Duration::from_millis(200))
        .start_get(&[5; 20], move |r| tx.send(r).unwrap())
        .unwrap();
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().unwrap_err(),
        ErrorCode::Timeout
    );
    assert_eq!(
        s.with_timeout(Duration::ZERO).get(&[6; 20]).unwrap_err(),
        ErrorCode::InvalidArgument
    );
}
