//! A swarm on the emulated WAN (round trips, jitter, loss, nodes that die)
//! through the binding: sessions joined to it put and read each other's
//! messages, a quarter of the nodes die, everything is still read; and the
//! misuse of the swarm's WAN functions.
use std::time::Duration;

use scout::{ErrorCode, ListHead, Session, Swarm, Wan};

fn client() -> scout::SessionBuilder {
    Session::builder()
        .timeout(Duration::from_secs(15))
        .read_only(true)
}

#[test]
fn put_get_kill_a_quarter_still_read() {
    let wan = Wan::new()
        .rtt(Duration::from_millis(20))
        .jitter(0.1)
        .loss(0.01)
        .seed(7);
    let swarm = Swarm::builder().nodes(16).wan(wan).start().unwrap();
    assert_eq!(swarm.wan(), Some(wan));
    let a = swarm.join(client()).unwrap();
    let b = swarm.join(client()).unwrap();
    assert_eq!((a.swarm_index(), b.swarm_index()), (Some(16), Some(17)));

    let mut hashes = Vec::new();
    for i in 0..8 {
        let msg = format!("over the WAN {i}");
        let (writer, reader) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let mut head = ListHead::new();
        let token = head.push_front(msg.as_bytes()).unwrap();
        writer.put(&token, msg.as_bytes()).unwrap();
        assert_eq!(reader.get(&head.hash()).unwrap().body, msg.as_bytes());
        hashes.push((head.hash(), msg));
    }

    let dead = swarm.kill(0.25).unwrap();
    assert!((18 / 4..=18_usize.div_ceil(4)).contains(&dead.len()), "{dead:?}");
    assert!(dead.iter().all(|&i| (1..18).contains(&i)), "{dead:?}");

    let c = swarm.join(client()).unwrap();
    let mut readers = vec![&c];
    readers.extend(
        [&a, &b]
            .into_iter()
            .filter(|s| !dead.contains(&s.swarm_index().unwrap())),
    );
    for (hash, msg) in &hashes {
        for r in &readers {
            assert_eq!(r.get(hash).unwrap().body, msg.as_bytes());
        }
    }

    // A dead session reads nothing until it is brought back.
    let ic = c.swarm_index().unwrap();
    swarm.set_dead(ic, true).unwrap();
    let err = c
        .with_timeout(Duration::from_millis(1500))
        .get(&hashes[0].0)
        .unwrap_err();
    assert!(
        [ErrorCode::Timeout, ErrorCode::NotFound, ErrorCode::Network].contains(&err.code()),
        "{err}"
    );
    swarm.set_dead(ic, false).unwrap();
    assert_eq!(c.get(&hashes[0].0).unwrap().body, hashes[0].1.as_bytes());
}

#[test]
fn wan_misuse() {
    let code = |r: scout::Result<Swarm>| r.map(drop).map_err(|e| e.code());
    for wan in [
        Wan::new().loss(1.0),
        Wan::new().loss(-0.1),
        Wan::new().jitter(f64::NAN),
        Wan::new().rtt(Duration::from_micros(500)),
    ] {
        assert_eq!(
            code(Swarm::builder().nodes(2).wan(wan).start()),
            Err(ErrorCode::InvalidArgument),
            "{wan:?}"
        );
    }
    assert_eq!(
        code(Swarm::builder().nodes(100_000).start()),
        Err(ErrorCode::InvalidArgument)
    );

    // A plain swarm has no WAN to kill nodes on; it can still be joined.
    let plain = Swarm::builder().nodes(2).start().unwrap();
    assert_eq!(plain.wan(), None);
    assert_eq!(
        plain.kill(0.5).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(
        plain.set_dead(1, true).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
    assert_eq!(plain.join(client()).unwrap().swarm_index(), Some(2));

    let perfect = Swarm::builder().nodes(2).wan(Wan::new()).start().unwrap();
    for f in [1.5, -0.5, f64::NAN] {
        assert_eq!(
            perfect.kill(f).map_err(|e| e.code()),
            Err(ErrorCode::InvalidArgument)
        );
    }
    assert_eq!(
        perfect.set_dead(7, true).map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument)
    );
    assert_eq!(perfect.kill(0.5).unwrap(), [1], "never the first node");
    assert_eq!(perfect.kill(0.5).unwrap(), [] as [u32; 0], "nobody left");
    perfect.set_dead(1, false).unwrap();
    let s = perfect.join(client()).unwrap();
    drop(perfect); // stops the joined session too
    assert_eq!(
        s.get(&[1; 20]).map_err(|e| e.code()),
        Err(ErrorCode::WrongState)
    );
}
