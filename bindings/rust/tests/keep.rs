//! Keeping, watching, removing: on a swarm whose nodes drop items after one
//! second, what a keeper keeps is readable five seconds later and what
//! nobody keeps is gone; a watch (iterator and closure) sees a peer's change
//! within two intervals and its removal; a removal stays removed while both
//! peers synchronize ten times.
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{session_with, wait_for};
use scout::{Entries, ErrorCode, ListHead, Removed, Session, Swarm};

const LONG: Duration = Duration::from_secs(60);

fn shared_secret() -> scout::Key {
    let (a_sk, _) = scout::generate_keypair().unwrap();
    let (_, b_pk) = scout::generate_keypair().unwrap();
    scout::key_exchange(&a_sk, &b_pk).unwrap()
}

fn read_only() -> Session {
    session_with(Session::builder().read_only(true))
}

fn synced(s: &Session, shared: &scout::Key, values: &[(u32, &[u8])]) -> Entries {
    let mut e = Entries::new().unwrap();
    for (id, v) in values {
        e.assign(*id, v).unwrap();
    }
    s.synchronize(shared, &mut e).unwrap();
    e
}

#[test]
fn keep_outlives_the_item_lifetime() {
    let ttl = Duration::from_secs(1);
    let sw = Swarm::builder().nodes(16).item_ttl(ttl).start().unwrap();
    let on = |b: scout::SessionBuilder| {
        b.listen("127.0.0.1:0")
            .bootstrap(sw.bootstrap().unwrap())
            .timeout(Duration::from_secs(20))
            .read_only(true)
            .start()
            .unwrap()
    };
    let alice = on(Session::builder());
    let (kept, unkept) = (shared_secret(), shared_secret());
    synced(&alice, &kept, &[(1, b"kept 10.0.0.1:4000")]);
    synced(&alice, &unkept, &[(1, b"unkept 10.0.0.2:4000")]);
    let mut head = ListHead::new();
    for m in [&b"kept one"[..], b"kept two"] {
        let token = head.push_front(m).unwrap();
        alice.put(&token, m).unwrap();
    }
    let mut other = ListHead::new();
    let token = other.push_front(b"nobody keeps this").unwrap();
    let lost = alice.put(&token, b"nobody keeps this").unwrap().hash;

    let rounds = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rounds);
    let slot = alice
        .keeper(&kept)
        .interval(ttl / 4)
        .on_round(move |r| seen.lock().unwrap().push(r))
        .start()
        .unwrap();
    let list = alice
        .list_keeper(&head.hash())
        .interval(ttl / 4)
        .start()
        .unwrap();
    wait_for("first rounds", LONG, || {
        slot.rounds() > 0 && list.rounds() > 0
    });
    let first = rounds.lock().unwrap()[0];
    assert!(first.error.is_none() && first.seq == 1 && first.items == 1 && first.stored > 0);
    let last = list.last_round().unwrap();
    assert!(last.error.is_none() && last.items == 2 && last.seq == 0);
    let mut kept_now = alice.kept().unwrap();
    kept_now.sort_by_key(|k| k.is_list);
    assert_eq!(kept_now.len(), 2);
    assert_eq!(kept_now[0].target, scout::shared_target(&kept).unwrap());
    assert_eq!(kept_now[1].target, head.hash());
    assert!(kept_now[1].is_list && kept_now.iter().all(|k| k.rounds > 0 && k.error.is_none()));

    std::thread::sleep(5 * ttl);

    let bob = on(Session::builder());
    // A read that misses on a loaded machine is tried again: what is kept
    // is found by one of three; what expired, by none.
    let mut got = Entries::new().unwrap();
    for _ in 0..3 {
        bob.synchronize(&kept, &mut got).unwrap();
        if got.get(1).unwrap().is_some() {
            break;
        }
    }
    assert_eq!(got.get(1).unwrap().unwrap().value, b"kept 10.0.0.1:4000");
    let mut gone = Entries::new().unwrap();
    bob.synchronize(&unkept, &mut gone).unwrap();
    assert!(gone.is_empty().unwrap(), "the list nobody keeps is gone");
    let msgs = common::retry("the kept list", || bob.get_list(&head.hash(), 0));
    let bodies: Vec<&[u8]> = msgs.iter().map(|m| &m.body[..]).collect();
    assert_eq!(bodies, [&b"kept two"[..], b"kept one"]);
    assert_eq!(bob.get(&lost).unwrap_err().code(), ErrorCode::NotFound);

    assert!(slot.stop());
    slot.wait(LONG).unwrap();
    assert!(slot.is_done() && !slot.stop());
    drop(list); // stops it too
    wait_for("nothing kept", LONG, || alice.kept().unwrap().is_empty());
}

#[test]
fn keeper_ends_with_its_session() {
    let s = read_only();
    let k = s
        .keeper(&shared_secret())
        .interval(Duration::from_secs(3600))
        .start()
        .unwrap();
    wait_for("a round", LONG, || k.rounds() > 0);
    assert_eq!(k.last_round().unwrap().error, Some(ErrorCode::NotFound)); // nothing there yet
    s.stop().unwrap();
    k.wait(LONG).unwrap();
    assert_eq!(
        s.keeper(&shared_secret()).start().unwrap_err().code(),
        ErrorCode::WrongState
    );
    let t = read_only();
    assert_eq!(
        t.list_keeper(&[0; 20]).start().unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        t.watcher(&shared_secret())
            .interval(Duration::ZERO)
            .start()
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn watch_sees_a_change_and_a_removal() {
    let (alice, bob) = (read_only(), read_only());
    let shared = shared_secret();
    let mut mine = synced(
        &alice,
        &shared,
        &[(1, b"laptop 10.0.0.5:4000"), (2, b"old phone")],
    );
    let interval = Duration::from_millis(500);
    let w = bob.watcher(&shared).interval(interval).start().unwrap();
    let first = w.recv_timeout(LONG).unwrap().unwrap();
    let mut ids: Vec<u32> = first.updated.iter().map(|e| e.id).collect();
    ids.sort();
    assert_eq!(ids, [1, 2]);
    assert_eq!(first.entries.get(2).unwrap().unwrap().value, b"old phone");

    mine.assign(1, b"laptop 10.0.0.9:4000").unwrap();
    alice.synchronize(&shared, &mut mine).unwrap();
    let wrote = Instant::now();
    let change = w.recv_timeout(LONG).unwrap().unwrap();
    let took = wrote.elapsed();
    assert!(took <= 2 * interval, "the change took {took:?}");
    assert_eq!(change.updated.len(), 1);
    assert_eq!(change.updated[0].value, b"laptop 10.0.0.9:4000");

    assert!(mine.remove(2).unwrap());
    alice.synchronize(&shared, &mut mine).unwrap();
    let change = w.recv_timeout(LONG).unwrap().unwrap();
    assert_eq!(change.removed, [Removed { id: 2, seq: 2 }]);
    assert!(change.updated.is_empty());
    assert!(change.entries.get(2).unwrap().is_none());

    assert!(w.stop());
    w.wait(LONG).unwrap();
    let rest: Vec<_> = w.collect();
    assert!(rest.is_empty(), "the iterator ends once the watch stopped");
}

#[test]
fn watch_with_a_closure_and_known_entries() {
    let (alice, bob) = (read_only(), read_only());
    let shared = shared_secret();
    let mut mine = synced(&alice, &shared, &[(7, b"desk")]);
    let known = synced(&bob, &shared, &[]);
    let changes = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&changes);
    let w = bob
        .watcher(&shared)
        .interval(Duration::from_millis(200))
        .known(&known)
        .unwrap()
        .on_change(move |c| sink.lock().unwrap().push((c.seq, c.updated)))
        .start()
        .unwrap();
    // Bob's own write is the first version seen: nothing in it is newer.
    wait_for("the first version", LONG, || {
        !changes.lock().unwrap().is_empty()
    });
    assert!(changes.lock().unwrap()[0].1.is_empty());
    mine.assign(7, b"desk 2").unwrap();
    alice.synchronize(&shared, &mut mine).unwrap();
    wait_for("alice's change", LONG, || {
        changes.lock().unwrap().len() >= 2
    });
    let got = changes.lock().unwrap()[1].1.clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value, b"desk 2");
    drop(w);
}

#[test]
fn removal_sticks() {
    let (alice, bob) = (read_only(), read_only());
    let shared = shared_secret();
    let mut mine = synced(
        &alice,
        &shared,
        &[(1, b"alice laptop"), (2, b"alice old phone")],
    );
    let stale = synced(&bob, &shared, &[(11, b"bob desktop")]);
    assert!(stale.get(2).unwrap().is_some());
    assert!(mine.remove(2).unwrap());
    assert!(!mine.remove(2).unwrap());
    alice.synchronize(&shared, &mut mine).unwrap();
    for round in 0..10 {
        let synced = alice.synchronize(&shared, &mut mine).unwrap();
        assert!(synced.updated.iter().all(|e| e.id != 2), "round {round}");
        let mut theirs = stale.try_clone().unwrap();
        let synced = bob.synchronize(&shared, &mut theirs).unwrap();
        assert!(synced.updated.iter().all(|e| e.id != 2), "round {round}");
        assert!(mine.get(2).unwrap().is_none() && theirs.get(2).unwrap().is_none());
        let mut ids: Vec<u32> = theirs.to_vec().unwrap().iter().map(|e| e.id).collect();
        ids.sort();
        assert_eq!(ids, [1, 11], "round {round}");
    }
    // With show_removed, a peer is told of the removal: an empty value.
    let carol = session_with(Session::builder().read_only(true).show_removed(true));
    let mut fresh = Entries::new().unwrap();
    let synced = carol.synchronize(&shared, &mut fresh).unwrap();
    let removed: Vec<_> = synced.updated.iter().filter(|e| e.id == 2).collect();
    assert_eq!(removed.len(), 1);
    assert!(removed[0].value.is_empty() && removed[0].seq == 2);
}
