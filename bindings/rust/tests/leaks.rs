//! Every handle the binding creates is freed: one test alone in its
//! binary, so that the library's live-handle count is this test's own.

use std::sync::mpsc;
use std::time::Duration;

use scout::{Entries, ErrorCode, ListHead, Session, Swarm};

fn live() -> usize {
    scout::handle_count().unwrap()
}

#[test]
fn every_handle_is_freed() {
    let base = live();

    // Entry lists: made, cloned, parsed, failed parses, raw round trips.
    {
        let mut a = Entries::new().unwrap();
        a.assign(1, b"x").unwrap();
        let b = a.try_clone().unwrap();
        let c = Entries::parse(&b.serialize().unwrap()).unwrap();
        assert_eq!(live(), base + 3);
        for bad in [&[][..], &[1], &[1, 0, 0]] {
            assert_eq!(
                Entries::parse(bad).map_err(|e| e.code()).err(),
                Some(ErrorCode::InvalidArgument)
            );
        }
        assert_eq!(live(), base + 3, "a failed parse leaves no handle");
        // SAFETY: the raw handle from into_raw is live and owned once.
        let d = unsafe { Entries::from_raw(c.into_raw()) }.unwrap();
        drop(d);
    }
    assert_eq!(live(), base);

    // A swarm and sessions, with operations finished, failed to start, in
    // flight at drop, and a finalize's temporary list.
    {
        let swarm = Swarm::start(8).unwrap();
        let boot = swarm.bootstrap().unwrap();
        let start = || {
            Session::builder()
                .listen("127.0.0.1:0")
                .bootstrap(boot.as_str())
                .timeout(Duration::from_secs(20))
                .start()
                .unwrap()
        };
        let (alice, bob) = (start(), start());
        let (sk, pk) = scout::generate_keypair().unwrap();
        let shared = scout::key_exchange(&sk, &pk).unwrap();
        let mut list = Entries::new().unwrap();
        list.assign(1, b"one").unwrap();
        alice
            .synchronize_with(&shared, &mut list, |merged| {
                merged.assign(2, b"two").unwrap();
            })
            .unwrap();
        let mut other = Entries::new().unwrap();
        assert_eq!(
            bob.synchronize(&shared, &mut other).unwrap().updated.len(),
            2
        );

        let mut head = ListHead::new();
        let token = head.push_front(b"m").unwrap();
        alice.put(&token, b"m").unwrap();
        assert_eq!(bob.get_list(&head.hash(), 0).unwrap().len(), 1);
        assert_eq!(
            (alice.put(&token, &[0; scout::MAX_MESSAGE_SIZE + 1])).map_err(|e| e.code()),
            Err(ErrorCode::TooLarge)
        );

        // Operations in flight when the sessions go.
        let (tx, rx) = mpsc::channel();
        for i in 1..=3u8 {
            let tx1 = tx.clone();
            alice
                .start_synchronize(&shared, &list, move |r| tx1.send(r.map(|_| ())).unwrap())
                .unwrap();
            let tx2 = tx.clone();
            bob.start_get(&[i; 20], move |r| tx2.send(r.map(|_| ())).unwrap())
                .unwrap();
        }
        drop(tx);
        drop(alice);
        bob.close().unwrap();
        assert_eq!(rx.iter().count(), 6, "every completion ran");
        drop((list, other));
        drop(swarm);
    }
    assert_eq!(live(), base, "no handle left behind");

    // A swarm on the emulated WAN, sessions joined to it (one refused),
    // dropped before and after the swarm.
    {
        let swarm = Swarm::builder()
            .nodes(2)
            .wan(scout::Wan::new())
            .start()
            .unwrap();
        let a = swarm.join(Session::builder()).unwrap();
        let b = swarm.join(Session::builder()).unwrap();
        assert_eq!(
            swarm
                .join(Session::builder().bootstrap(""))
                .map(drop)
                .map_err(|e| e.code()),
            Err(ErrorCode::InvalidArgument)
        );
        assert_eq!(live(), base + 3);
        swarm.kill(0.5).unwrap();
        drop(a);
        drop(swarm);
        drop(b);
    }
    assert_eq!(live(), base, "no handle left behind by the WAN swarm");
}
