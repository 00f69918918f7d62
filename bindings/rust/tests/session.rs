//! Sessions on a loopback swarm: Alice and Bob synchronizing, offline
//! message lists, the callback variants and their promises (exactly once,
//! cancelled on stop and drop, never unwinding), and misuse.
mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{session, session_with, swarm, wait_for};
use scout::{Entries, Entry, ErrorCode, ListHead, Session, Swarm};

const LONG: Duration = Duration::from_secs(60);

fn pair() -> (scout::Key, scout::Key) {
    let (a_sk, a_pk) = scout::generate_keypair().unwrap();
    let (b_sk, b_pk) = scout::generate_keypair().unwrap();
    let shared = scout::key_exchange(&a_sk, &b_pk).unwrap();
    assert_eq!(shared, scout::key_exchange(&b_sk, &a_pk).unwrap());
    (shared, a_pk)
}

fn entry(id: u32, seq: i64, value: &[u8]) -> Entry {
    Entry {
        id,
        seq,
        value: value.to_vec(),
    }
}

/// A session whose swarm is gone: its operations stay in flight until
/// their deadline, so stop and drop find them pending.
fn orphan_session(timeout: Duration) -> Session {
    let lonely = Swarm::start(2).unwrap();
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .bootstrap(lonely.bootstrap().unwrap())
        .timeout(timeout)
        .start()
        .unwrap();
    drop(lonely);
    s
}

#[test]
fn alice_and_bob_synchronize() {
    let (shared, _) = pair();
    let alice = session();
    let bob = session();

    let mut a = Entries::new().unwrap();
    a.assign(1, b"alice's value").unwrap();
    let first = alice.synchronize(&shared, &mut a).unwrap();
    assert!(first.stored > 0, "someone stored the list");
    assert_eq!(first.failed, 0);
    assert!(first.updated.is_empty(), "nothing to read yet");
    assert_eq!(a.to_vec().unwrap(), [entry(1, 1, b"alice's value")]);

    let mut b = Entries::new().unwrap();
    b.assign(2, b"bob's value").unwrap();
    let second = bob.synchronize(&shared, &mut b).unwrap();
    assert!(second.seq > first.seq, "bob writes over alice's item");
    assert_eq!(second.updated, [entry(1, 1, b"alice's value")]);
    assert_eq!(b.get(1).unwrap(), Some(entry(1, 1, b"alice's value")));
    assert_eq!(b.get(2).unwrap(), Some(entry(2, 1, b"bob's value")));

    let third = alice.synchronize(&shared, &mut a).unwrap();
    assert_eq!(third.updated, [entry(2, 1, b"bob's value")]);
    assert_eq!(a.len().unwrap(), 2);

    // Alice changes her entry; Bob sees the new seq and value.
    assert_eq!(a.assign(1, b"changed").unwrap(), 2);
    alice.synchronize(&shared, &mut a).unwrap();
    let fourth = bob.synchronize(&shared, &mut b).unwrap();
    assert_eq!(fourth.updated, [entry(1, 2, b"changed")]);
    assert_eq!(b.get(1).unwrap(), Some(entry(1, 2, b"changed")));

    alice.close().unwrap();
    bob.close().unwrap();
}

#[test]
fn finalize_edits_the_list_before_it_is_written() {
    let (shared, _) = pair();
    let s = session();
    let mut list = Entries::new().unwrap();
    list.assign(1, b"one").unwrap();
    list.assign(2, b"two").unwrap();
    let synced = s
        .synchronize_with(&shared, &mut list, |merged| {
            assert_eq!(merged.len().unwrap(), 2);
            assert!(merged.remove(2).unwrap());
            assert!(!merged.remove(2).unwrap());
            merged.assign(3, b"added in finalize").unwrap();
        })
        .unwrap();
    assert!(synced.stored > 0);
    let written = vec![entry(1, 1, b"one"), entry(3, 1, b"added in finalize")];
    assert_eq!(list.to_vec().unwrap(), written);

    // What another reader finds is what finalize left.
    let mut fresh = Entries::new().unwrap();
    let read = session().synchronize(&shared, &mut fresh).unwrap();
    assert_eq!(read.updated, written);
}

#[test]
fn start_synchronize_calls_back_once_and_leaves_the_list_alone() {
    let (shared, _) = pair();
    let s = session();
    let mut list = Entries::new().unwrap();
    list.assign(9, b"nine").unwrap();
    let before = list.serialize().unwrap();
    let (tx, rx) = mpsc::channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    s.start_synchronize_with(
        &shared,
        &list,
        |merged| {
            merged.assign(10, b"ten").unwrap();
        },
        move |result| {
            c.fetch_add(1, Ordering::SeqCst);
            tx.send(result).unwrap();
        },
    )
    .unwrap();
    // The caller's list is never changed; the written one comes back.
    assert_eq!(list.serialize().unwrap(), before);
    let (synced, written) = rx.recv_timeout(LONG).unwrap().unwrap();
    assert!(synced.stored > 0);
    assert_eq!(
        written.to_vec().unwrap(),
        [entry(9, 1, b"nine"), entry(10, 1, b"ten")]
    );
    assert_eq!(list.serialize().unwrap(), before);
    drop(s); // no callback after drop returns: the count is final
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn offline_message_list() {
    let alice = session();
    let bob = session();
    let mut head = ListHead::new();
    let texts: [&[u8]; 3] = [b"first", b"", b"third, the newest"];
    for text in texts {
        let token = head.push_front(text).unwrap();
        let stored = alice.put(&token, text).unwrap();
        assert_eq!(stored.hash, head.hash());
        assert!(stored.stored > 0);
    }

    let newest = bob.get(&head.hash()).unwrap();
    assert_eq!(newest.body, b"third, the newest");
    assert_eq!(newest.hash, head.hash());
    assert!(!newest.is_last());

    let all = bob.get_list(&head.hash(), 0).unwrap();
    let bodies: Vec<&[u8]> = all.iter().map(|m| &m.body[..]).collect();
    assert_eq!(bodies, [&b"third, the newest"[..], b"", b"first"]);
    assert!(all[2].is_last());
    assert_eq!(all[0].next, all[1].hash);
    assert_eq!(all[1].next, all[2].hash);

    assert_eq!(bob.get_list(&head.hash(), 2).unwrap().len(), 2);
    assert!(bob.get_list(&ListHead::new().hash(), 0).unwrap().is_empty());

    // The callback variant: messages in order, then done with the count.
    let (tx, rx) = mpsc::channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    bob.start_get_list(
        &head.hash(),
        0,
        move |m| sink.lock().unwrap().push(m),
        move |r| tx.send(r).unwrap(),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(LONG).unwrap(), Ok(3));
    assert_eq!(*seen.lock().unwrap(), all);
}

#[test]
fn get_reports_what_is_missing() {
    let s = session();
    assert_eq!(
        (s.get(&[0x5a; 20])).map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    // A list whose second message was never stored: the callback variant
    // delivers the first, then the error.
    let mut head = ListHead::new();
    head.push_front(b"never stored").unwrap();
    let token = head.push_front(b"stored").unwrap();
    s.put(&token, b"stored").unwrap();
    assert_eq!(
        (s.get_list(&head.hash(), 0)).map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    let (tx, rx) = mpsc::channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&seen);
    s.start_get_list(
        &head.hash(),
        0,
        move |m| {
            assert_eq!(m.body, b"stored");
            n.fetch_add(1, Ordering::SeqCst);
        },
        move |r| tx.send(r).unwrap(),
    )
    .unwrap();
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[test]
fn operations_that_fail_to_start_never_call_back() {
    let s = session();
    let called = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&called);
    let big = vec![0u8; scout::MAX_MESSAGE_SIZE + 1];
    assert_eq!(
        (s.start_put(&[0; 20], &big, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        }))
        .map(drop)
        .map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    assert_eq!(
        (s.put(&[0; 20], &big)).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );

    let idle = Session::builder().bootstrap("").build().unwrap();
    let (shared, _) = pair();
    let mut list = Entries::new().unwrap();
    let c = Arc::clone(&called);
    assert_eq!(
        (idle.start_get(&[1; 20], move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        }))
        .map(drop)
        .map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    let c = Arc::clone(&called);
    assert_eq!(
        (idle.start_synchronize(&shared, &list, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        }))
        .map(drop)
        .map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(
        (idle.synchronize(&shared, &mut list)).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(
        (idle.get_list(&[1; 20], 0)).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(
        idle.addr().map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(
        idle.stop().map_err(|e| e.code()),
        Err(ErrorCode::WrongState),
        "never started"
    );
    idle.close().unwrap();
    drop(s);
    assert_eq!(called.load(Ordering::SeqCst), 0);
}

#[test]
fn session_life_and_options() {
    let s = session();
    assert_eq!(
        s.start().map_err(|e| e.code()),
        Err(ErrorCode::WrongState),
        "a session runs once"
    );
    let addr = s.addr().unwrap();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_eq!(addr, format!("127.0.0.1:{}", s.port().unwrap()));
    assert_eq!(s.timeout(), Duration::from_secs(20));
    s.stop().unwrap();
    s.stop().unwrap(); // stopping twice does nothing
    assert_eq!(
        (s.put(&[0; 20], b"late")).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(s.start().map_err(|e| e.code()), Err(ErrorCode::WrongState));
    s.close().unwrap();

    // A state file that cannot be written is the caller's mistake, reported
    // by close (the session stops regardless).
    let nowhere = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir/node.state");
    let s = session_with(Session::builder().state_file(nowhere));
    assert_eq!(
        s.close().map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument)
    );

    let nul = Session::builder().bootstrap("127.0.0.1:1\0").build();
    assert_eq!(
        nul.map_err(|e| e.code()).err(),
        Some(ErrorCode::InvalidArgument)
    );
    let listen = Session::builder()
        .listen("not an address")
        .bootstrap("")
        .build();
    assert_eq!(
        listen.map_err(|e| e.code()).err(),
        Some(ErrorCode::InvalidArgument)
    );
    let huge = Session::builder()
        .timeout(Duration::from_secs(u64::MAX / 4))
        .build();
    assert_eq!(
        huge.map_err(|e| e.code()).err(),
        Some(ErrorCode::InvalidArgument)
    );
    assert_eq!(
        Session::builder().build().unwrap().timeout(),
        Duration::from_secs(30),
        "the default"
    );
}

#[test]
fn state_file_and_log_lines() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("node.state");
    std::fs::write(&state, b"not a state file").unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let s = session_with(
        Session::builder()
            .state_file(&state)
            .log(scout::LogLevel::Debug, move |level, line| {
                sink.lock().unwrap().push((level, line.to_string()))
            }),
    );
    wait_for("the malformed state file's log line", LONG, || {
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|(_, l)| l.contains("malformed"))
    });
    s.close().unwrap();
    assert!(
        std::fs::metadata(&state).unwrap().len() > 0,
        "stop saved the state file"
    );
    // The saved file loads without complaint.
    lines.lock().unwrap().clear();
    let sink = Arc::clone(&lines);
    let again = session_with(Session::builder().state_file(&state).log(
        scout::LogLevel::Debug,
        move |_, l| {
            sink.lock()
                .unwrap()
                .push((scout::LogLevel::Debug, l.to_string()))
        },
    ));
    again.close().unwrap();
    assert!(!lines
        .lock()
        .unwrap()
        .iter()
        .any(|(_, l)| l.contains("malformed")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_session_dropped_inside_its_own_log_callback() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("log-drop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("node.state");
    std::fs::write(&state, b"not a state file").unwrap(); // logs a line on start
    let holder = Arc::new(Mutex::new(None::<Session>));
    let (tx, rx) = mpsc::channel();
    let h = Arc::clone(&holder);
    let s = Session::builder()
        .listen("127.0.0.1:0")
        .bootstrap(swarm().bootstrap().unwrap())
        .state_file(&state)
        .log(scout::LogLevel::Debug, move |_, line| {
            if line.contains("malformed") {
                // Waits until the test has stored the session, then frees
                // it from inside this callback.
                let own = h.lock().unwrap().take();
                let _ = tx.send(own.is_some());
                drop(own);
            }
        })
        .build()
        .unwrap();
    let mut held = holder.lock().unwrap();
    s.start().unwrap();
    *held = Some(s);
    drop(held);
    assert_eq!(rx.recv_timeout(LONG), Ok(true));
    wait_for("the session to be gone", LONG, || {
        holder.lock().unwrap().is_none()
    });
    // (The node finishes stopping, and saves its state file, in the
    // background: the directory may not be empty yet.)
    let _ = std::fs::remove_dir_all(&dir);
}

/// Counts completions by outcome.
#[derive(Default)]
struct Tally {
    calls: AtomicUsize,
    cancelled: AtomicUsize,
}

impl Tally {
    fn record<T>(&self, r: &scout::Result<T>) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if matches!(r, Err(e) if *e == ErrorCode::Cancelled) {
            self.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Starts one of each operation, `n` times, counting into `tally`.
fn start_many(s: &Session, n: usize, tally: &Arc<Tally>) -> usize {
    let (shared, _) = pair();
    let list = Entries::new().unwrap();
    for i in 1..=n {
        // (Never a zero head: that empty list would complete at once.)
        let t = Arc::clone(tally);
        s.start_get(&[i as u8; 20], move |r| t.record(&r)).unwrap();
        let t = Arc::clone(tally);
        s.start_put(&[i as u8; 20], b"in flight", move |r| t.record(&r))
            .unwrap();
        let t = Arc::clone(tally);
        s.start_synchronize(&shared, &list, move |r| t.record(&r))
            .unwrap();
        let t = Arc::clone(tally);
        s.start_get_list(&[i as u8; 20], 0, |_| {}, move |r| t.record(&r))
            .unwrap();
    }
    4 * n
}

#[test]
fn dropping_a_session_cancels_operations_in_flight() {
    let s = orphan_session(Duration::from_secs(30));
    let tally = Arc::new(Tally::default());
    let n = start_many(&s, 5, &tally);
    drop(s);
    // Every completion ran, once, before drop returned.
    assert_eq!(tally.calls.load(Ordering::SeqCst), n);
    assert_eq!(tally.cancelled.load(Ordering::SeqCst), n);
}

#[test]
fn stopping_a_session_cancels_operations_in_flight() {
    let s = orphan_session(Duration::from_secs(30));
    let tally = Arc::new(Tally::default());
    let n = start_many(&s, 3, &tally);
    s.stop().unwrap();
    // Delivered on the dispatcher after stop returns.
    wait_for("every cancellation", LONG, || {
        tally.calls.load(Ordering::SeqCst) == n
    });
    assert_eq!(tally.cancelled.load(Ordering::SeqCst), n);
    drop(s);
    assert_eq!(tally.calls.load(Ordering::SeqCst), n, "exactly once");
}

#[test]
fn operations_time_out_at_the_session_deadline() {
    let s = orphan_session(Duration::from_millis(300));
    assert!(matches!(
        s.get(&[7; 20]).map_err(|e| e.code()),
        Err(ErrorCode::Timeout | ErrorCode::Network | ErrorCode::NotFound)
    ));
    let (shared, _) = pair();
    let mut list = Entries::new().unwrap();
    list.assign(1, b"x").unwrap();
    let before = list.serialize().unwrap();
    let r = s.synchronize(&shared, &mut list);
    assert!(
        matches!(
            r.as_ref().map_err(|e| e.code()),
            Err(ErrorCode::Timeout | ErrorCode::Network)
        ),
        "{r:?}"
    );
    assert_eq!(list.serialize().unwrap(), before, "left alone on failure");
}

#[test]
fn a_session_dropped_inside_its_own_callback() {
    let s = orphan_session(Duration::from_secs(30));
    let tally = Arc::new(Tally::default());
    let n = start_many(&s, 2, &tally);
    let holder = Arc::new(Mutex::new(None::<Session>));
    let (tx, rx) = mpsc::channel();
    let h = Arc::clone(&holder);
    let mut held = holder.lock().unwrap();
    // A cheap operation that completes on its own: an empty list walk. Its
    // callback waits for the lock until the session is in the holder.
    s.start_get_list(
        &[0; 20],
        0,
        |_| {},
        move |r| {
            let own = h.lock().unwrap().take();
            drop(own); // frees the session from its own dispatcher
            tx.send(r).unwrap();
        },
    )
    .unwrap();
    *held = Some(s);
    drop(held);
    assert_eq!(rx.recv_timeout(LONG).unwrap(), Ok(0));
    // The pending operations were cancelled, nested in that callback.
    assert_eq!(tally.calls.load(Ordering::SeqCst), n);
    assert_eq!(tally.cancelled.load(Ordering::SeqCst), n);
    assert!(holder.lock().unwrap().is_none());
}

#[test]
fn blocking_calls_from_a_callback_fail_instead_of_deadlocking() {
    let s = Arc::new(session());
    let (tx, rx) = mpsc::channel();
    let inner = Arc::clone(&s);
    s.start_get_list(
        &[0; 20],
        0,
        |_| {},
        move |_| {
            tx.send(inner.get(&[1; 20])).unwrap();
        },
    )
    .unwrap();
    assert_eq!(
        rx.recv_timeout(LONG).unwrap().map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    // The callback variants work from a callback.
    let (tx, rx) = mpsc::channel();
    let inner = Arc::clone(&s);
    s.start_get_list(
        &[0; 20],
        0,
        |_| {},
        move |_| {
            inner
                .start_get_list(&[0; 20], 0, |_| {}, move |r| tx.send(r).unwrap())
                .unwrap();
        },
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(LONG).unwrap(), Ok(0));
}

#[test]
fn panics_in_closures_never_unwind_into_the_library() {
    let s = session();
    // A panicking completion: caught; the session goes on.
    s.start_get_list(&[0; 20], 0, |_| {}, |_| panic!("boom in done"))
        .unwrap();
    assert!(s.get_list(&[0; 20], 0).unwrap().is_empty());

    // A panicking message closure is not called again; done still runs.
    let mut head = ListHead::new();
    for m in [&b"a"[..], b"b"] {
        let token = head.push_front(m).unwrap();
        s.put(&token, m).unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let (tx, rx) = mpsc::channel();
    s.start_get_list(
        &head.hash(),
        0,
        move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            panic!("boom in on_message");
        },
        move |r| tx.send(r).unwrap(),
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(LONG).unwrap(), Ok(2));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A panicking finalize in a blocking call: the list is written as it
    // stood, then the panic resumes here.
    let (shared, _) = pair();
    let mut list = Entries::new().unwrap();
    list.assign(1, b"kept").unwrap();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        s.synchronize_with(&shared, &mut list, |_| panic!("boom in finalize"))
    }));
    let payload = caught.expect_err("the panic resumes on the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in finalize"));
    let mut fresh = Entries::new().unwrap();
    let read = s.synchronize(&shared, &mut fresh).unwrap();
    assert_eq!(read.updated, [entry(1, 1, b"kept")]);
}

#[test]
fn handles_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<Session>();
    both::<Entries>();
    both::<Swarm>();
    // And a session works from several threads at once.
    let s = Arc::new(session());
    let threads: Vec<_> = (0..4u8)
        .map(|i| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                let mut head = ListHead::new();
                let token = head.push_front(&[i; 8]).unwrap();
                s.put(&token, &[i; 8]).unwrap();
                assert_eq!(s.get(&head.hash()).unwrap().body, [i; 8]);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let _ = swarm();
}
