//! The original libscout's example client, in Rust, on the safe binding.
//! Keys live in files holding the raw 32-byte secret key.
//!
//! ```text
//! cargo run --example client                     the demo: Alice and Bob on a
//!                                                loopback swarm (no public DHT)
//! cargo run --example client -- [--bootstrap HOST:PORT[,...]] [--listen HOST:PORT]
//!                               [--timeout MS] COMMAND [ARGS]
//!   gen-key FILE                  generate a key pair, store the secret key
//!   dump-key FILE                 print the public key of FILE's secret key
//!   sync FILE PEER_KEY ID VALUE   synchronize the entry list shared with the
//!                                 peer (PEER_KEY: 64 hex digits), setting
//!                                 entry ID to VALUE; print the list
//!   put MSG [--list FILE]         store MSG as an offline message; with
//!                                 --list, push it onto the list whose head
//!                                 FILE holds (hex) and save the new head
//!   get HASH [--all]              print the message stored under HASH (hex);
//!                                 with --all, walk the list from there
//! ```
//!
//! Without `--bootstrap` the commands join the public DHT, like the
//! original. The output is the C example client's, line for line.
use std::process::ExitCode;
use std::time::Duration;

use scout::{Entries, ListHead, Session, Swarm};

const USAGE: &str = "\
Usage: client [--bootstrap HOST:PORT[,...]] [--listen HOST:PORT] [--timeout MS] [COMMAND [ARGS]]
Commands:
  (none)                       demo: Alice and Bob on a loopback swarm
  gen-key FILE                 generate a key pair and store the secret key in FILE
  dump-key FILE                print the public key of the secret key in FILE
  sync FILE PEER_KEY ID VALUE  synchronize entries with the peer whose public key is
                               PEER_KEY (hex), setting entry ID to VALUE
  put MSG [--list FILE]        store MSG in the DHT as an offline message; with --list,
                               push it onto the list whose head FILE holds
  get HASH [--all]             get the message with the given hash; --all walks the list";

/// What went wrong, as printed before exiting with status 1 (2 for a bad
/// command line).
enum Failure {
    Usage,
    Scout(String, scout::Error),
    Other(String),
}

type Outcome = Result<(), Failure>;

fn scout_err(what: &str) -> impl FnOnce(scout::Error) -> Failure + '_ {
    move |e| Failure::Scout(what.to_string(), e)
}

#[derive(Default)]
struct Options {
    bootstrap: Option<String>,
    listen: Option<String>,
    timeout_ms: u64,
    list: Option<String>,
    all: bool,
    args: Vec<String>,
}

fn parse_args() -> Result<Options, Failure> {
    let mut o = Options::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bootstrap" => o.bootstrap = Some(it.next().ok_or(Failure::Usage)?),
            "--listen" => o.listen = Some(it.next().ok_or(Failure::Usage)?),
            "--timeout" => {
                o.timeout_ms = it
                    .next()
                    .and_then(|t| t.parse().ok())
                    .ok_or(Failure::Usage)?
            }
            "--list" => o.list = Some(it.next().ok_or(Failure::Usage)?),
            "--all" => o.all = true,
            "-h" | "--help" => return Err(Failure::Usage),
            _ if a.starts_with("--") => return Err(Failure::Usage),
            _ => o.args.push(a),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|o| {
        // The binding checks the library's ABI itself; say so plainly here.
        scout::check_abi().map_err(scout_err("loading libscout"))?;
        run(&o)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Scout(what, e)) => {
            eprintln!("client: {what}: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Other(msg)) => {
            eprintln!("client: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Options) -> Outcome {
    let args: Vec<&str> = o.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => demo(),
        ["gen-key", file] => {
            let (sk, _) = scout::generate_keypair().map_err(scout_err("generating a key pair"))?;
            std::fs::write(file, sk)
                .map_err(|e| Failure::Other(format!("cannot write {file}: {e}")))
        }
        ["dump-key", file] => {
            let pk = scout::public_key(&load_key(file)?)
                .map_err(scout_err("computing the public key"))?;
            println!("Public key: {}", hex(&pk));
            Ok(())
        }
        ["sync", file, peer, id, value] => {
            let sk = load_key(file)?;
            let peer: scout::Key = unhex(peer).ok_or(Failure::Usage)?;
            let id: u32 = id.parse().map_err(|_| Failure::Usage)?;
            let shared = scout::key_exchange(&sk, &peer).map_err(scout_err("key exchange"))?;
            let session = start(o)?;
            sync(&session, &shared, id, value)
        }
        ["put", msg] => {
            let mut head = match &o.list {
                Some(file) => read_head(file)?,
                None => ListHead::new(),
            };
            let session = start(o)?;
            let token = head.push_front(msg.as_bytes()).map_err(scout_err("put"))?;
            let stored = session
                .put(&token, msg.as_bytes())
                .map_err(scout_err("put"))?;
            println!(
                "inserted message with hash {} (stored on {} nodes)",
                hex(&stored.hash),
                stored.stored
            );
            if let Some(file) = &o.list {
                std::fs::write(file, format!("{}\n", hex(&head.hash())))
                    .map_err(|e| Failure::Other(format!("cannot write {file}: {e}")))?;
            }
            Ok(())
        }
        ["get", hash] => {
            let hash: scout::Hash = unhex(hash).ok_or(Failure::Usage)?;
            let session = start(o)?;
            if o.all {
                let messages = session.get_list(&hash, 0).map_err(scout_err("get"))?;
                for m in &messages {
                    println!("{} {}", hex(&m.hash), String::from_utf8_lossy(&m.body));
                }
                println!("{} messages", messages.len());
            } else {
                let m = session.get(&hash).map_err(scout_err("get"))?;
                println!("Got message: {}", String::from_utf8_lossy(&m.body));
                println!("Next hash: {}", hex(&m.next));
            }
            Ok(())
        }
        _ => Err(Failure::Usage),
    }
}

/// A short-lived client session: it asks, never answers (read-only).
fn start(o: &Options) -> Result<Session, Failure> {
    let mut b = Session::builder()
        .read_only(true)
        .timeout(Duration::from_millis(o.timeout_ms));
    if let Some(boot) = &o.bootstrap {
        b = b.bootstrap(boot.as_str());
    }
    if let Some(listen) = &o.listen {
        b = b.listen(listen.as_str());
    }
    b.start().map_err(scout_err("starting the session"))
}

/// Sets entry `id` to `value`, synchronizes, and prints the list as
/// written, then a summary line.
fn sync(session: &Session, shared: &scout::Key, id: u32, value: &str) -> Outcome {
    let mut list = Entries::new().map_err(scout_err("sync"))?;
    list.assign(id, value.as_bytes())
        .map_err(scout_err("setting the entry"))?;
    let value = value.as_bytes().to_vec();
    let synced = session
        .synchronize_with(shared, &mut list, move |merged| {
            // A newer value from the peer for our id loses to what we were
            // asked to set: assign it again, which bumps its seq.
            let current = merged.get(id).ok().flatten().map(|e| e.value);
            if current.as_deref() != Some(&value[..]) {
                let _ = merged.assign(id, &value);
            }
        })
        .map_err(scout_err("sync"))?;
    for e in list.to_vec().map_err(scout_err("sync"))? {
        println!("{} {}", e.id, String::from_utf8_lossy(&e.value));
    }
    println!(
        "synchronized: seq {}, stored on {} nodes, {} unreadable copies",
        synced.seq, synced.stored, synced.failed
    );
    Ok(())
}

/// Alice and Bob on a loopback swarm: keys, a synchronize each way, a list
/// of offline messages.
fn demo() -> Outcome {
    let fail = |what: &'static str| scout_err(what);
    println!("starting a loopback swarm of 16 nodes");
    let swarm = Swarm::start(16).map_err(fail("starting the swarm"))?;
    let boot = swarm.bootstrap().map_err(fail("starting the swarm"))?;
    let peer = || {
        Session::builder()
            .listen("127.0.0.1:0")
            .bootstrap(boot.as_str())
            .timeout(Duration::from_secs(20))
            .start()
            .map_err(fail("starting a session"))
    };
    let (alice, bob) = (peer()?, peer()?);

    let (a_sk, a_pk) = scout::generate_keypair().map_err(fail("keys"))?;
    let (b_sk, b_pk) = scout::generate_keypair().map_err(fail("keys"))?;
    let shared = scout::key_exchange(&a_sk, &b_pk).map_err(fail("keys"))?;
    println!("alice {}\nbob   {}", hex(&a_pk), hex(&b_pk));
    println!(
        "their list lives at {}",
        hex(&scout::shared_target(&shared).map_err(fail("keys"))?)
    );

    println!("\nalice synchronizes entry 1:");
    sync(&alice, &shared, 1, "hello bob")?;
    println!("\nbob synchronizes entry 2 (his shared secret is the same):");
    sync(
        &bob,
        &scout::key_exchange(&b_sk, &a_pk).map_err(fail("keys"))?,
        2,
        "hello alice",
    )?;

    println!("\nalice leaves bob two offline messages:");
    let mut head = ListHead::new();
    for msg in ["first message", "second message"] {
        let token = head.push_front(msg.as_bytes()).map_err(fail("put"))?;
        let stored = alice.put(&token, msg.as_bytes()).map_err(fail("put"))?;
        println!(
            "inserted message with hash {} (stored on {} nodes)",
            hex(&stored.hash),
            stored.stored
        );
    }
    println!("\nbob walks the list from its head:");
    let messages = bob.get_list(&head.hash(), 0).map_err(fail("get"))?;
    for m in &messages {
        println!("{} {}", hex(&m.hash), String::from_utf8_lossy(&m.body));
    }
    println!("{} messages", messages.len());
    if messages.len() != 2 {
        return Err(Failure::Other(
            "the demo did not read back both messages".into(),
        ));
    }
    alice.close().map_err(fail("stopping"))?;
    bob.close().map_err(fail("stopping"))?;
    Ok(())
}

fn load_key(path: &str) -> Result<scout::Key, Failure> {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.try_into().map_err(|_| {
        Failure::Other(format!(
            "cannot read a key from {path}. Generate one first with gen-key."
        ))
    })
}

fn read_head(path: &str) -> Result<ListHead, Failure> {
    match std::fs::read_to_string(path) {
        Err(_) => Ok(ListHead::new()), // a new list
        Ok(text) => unhex(text.trim())
            .map(ListHead::from_hash)
            .ok_or_else(|| Failure::Other(format!("{path} does not hold a list head"))),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}
