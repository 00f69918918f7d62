//! A Rust peer and the Go command-line client (cmd/scout) on one loopback
//! swarm, seeing each other's entries and messages; and the Rust example
//! client against the Go one.
//!
//! The Go command is `SCOUT_CLI` if set, else built from the repository
//! with `go build`; without either (no Go toolchain, a vendored crate) the
//! tests say so and pass. They never touch the public DHT: every process
//! bootstraps from this process's loopback swarm.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{hex, parse_json, session, swarm, unhex, JsonExt};
use scout::{Entries, Entry, ListHead};

/// The Go command, or `None` (with the reason printed) if there is none.
fn cli() -> Option<&'static Path> {
    static CLI: OnceLock<Option<PathBuf>> = OnceLock::new();
    CLI.get_or_init(|| {
        if let Some(p) = std::env::var_os("SCOUT_CLI").filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            assert!(p.exists(), "SCOUT_CLI={} does not exist", p.display());
            return Some(p);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .find(|d| d.join("go.mod").exists() && d.join("cmd/scout").is_dir());
        let Some(root) = root else {
            eprintln!("skipped: no SCOUT_CLI and no cmd/scout above the crate");
            return None;
        };
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scout-cli");
        match Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&out)
            .arg("./cmd/scout")
            .current_dir(root)
            .output()
        {
            Err(e) => {
                eprintln!("skipped: no SCOUT_CLI and `go` cannot run: {e}");
                None
            }
            Ok(o) if !o.status.success() => panic!(
                "go build ./cmd/scout failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Ok(_) => Some(out),
        }
    })
    .as_deref()
}

/// Runs the Go command on the test swarm; fails on a nonzero exit.
fn go(cli: &Path, args: &[&str]) -> String {
    let boot = swarm().bootstrap().unwrap();
    let out = Command::new(cli)
        .args(args)
        .args([
            "--bootstrap",
            &boot,
            "--listen",
            "127.0.0.1:0",
            "--no-state",
            "--timeout",
            "20s",
        ])
        .output()
        .unwrap();
    checked("scout", args, out)
}

fn checked(name: &str, args: &[&str], out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?} exited with {}:\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Entries from the Go command's `sync --json` output.
fn go_entries(json: &str) -> Vec<Entry> {
    let doc = parse_json(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut v: Vec<Entry> = doc
        .field("entries")
        .arr()
        .iter()
        .map(|e| Entry {
            id: e.field("id").u32(),
            seq: e.field("seq").i64(),
            value: e.field("value_hex").hex(),
        })
        .collect();
    v.sort_by_key(|e| e.id);
    v
}

fn tmp(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn rust_and_go_share_an_entry_list() {
    let Some(cli) = cli() else { return };
    // Bob's key comes from the Go command; its file is 32 raw bytes, the
    // same format this crate's example client uses.
    let bob_key = tmp("bob.key");
    let bob_pk = go(cli, &["gen-key", bob_key.to_str().unwrap()])
        .trim()
        .to_string();
    assert_eq!(
        go(cli, &["dump-key", bob_key.to_str().unwrap()]).trim(),
        bob_pk
    );
    let bob_sk: scout::Key = std::fs::read(&bob_key).unwrap().try_into().unwrap();
    assert_eq!(hex(&scout::public_key(&bob_sk).unwrap()), bob_pk);

    let (alice_sk, alice_pk) = scout::generate_keypair().unwrap();
    let shared = scout::key_exchange(&alice_sk, &unhex(&bob_pk).try_into().unwrap()).unwrap();
    let alice = session();

    // Alice (Rust) writes first.
    let mut list = Entries::new().unwrap();
    list.assign(1, b"from rust").unwrap();
    alice.synchronize(&shared, &mut list).unwrap();

    // Bob (Go) reads it and adds his own.
    let out = go(
        cli,
        &[
            "sync",
            bob_key.to_str().unwrap(),
            &hex(&alice_pk),
            "2",
            "from go",
            "--json",
        ],
    );
    let want = vec![
        Entry {
            id: 1,
            seq: 1,
            value: b"from rust".to_vec(),
        },
        Entry {
            id: 2,
            seq: 1,
            value: b"from go".to_vec(),
        },
    ];
    assert_eq!(go_entries(&out), want);

    // Alice sees Bob's entry.
    let synced = alice.synchronize(&shared, &mut list).unwrap();
    assert_eq!(
        synced.updated,
        [Entry {
            id: 2,
            seq: 1,
            value: b"from go".to_vec()
        }]
    );
    let mut mine = list.to_vec().unwrap();
    mine.sort_by_key(|e| e.id);
    assert_eq!(mine, want);

    // Alice changes hers; Bob's next sync shows the new seq and value.
    list.assign(1, b"changed in rust").unwrap();
    alice.synchronize(&shared, &mut list).unwrap();
    let out = go(
        cli,
        &[
            "sync",
            bob_key.to_str().unwrap(),
            &hex(&alice_pk),
            "2",
            "from go",
            "--json",
        ],
    );
    let got = go_entries(&out);
    assert_eq!(
        got[0],
        Entry {
            id: 1,
            seq: 2,
            value: b"changed in rust".to_vec()
        }
    );
    assert_eq!(got[1].value, b"from go");
}

#[test]
fn rust_and_go_share_offline_messages() {
    let Some(cli) = cli() else { return };
    let s = session();
    // Rust stores a list of two; Go walks it.
    let mut head = ListHead::new();
    for msg in [&b"rust one"[..], b"rust two"] {
        let token = head.push_front(msg).unwrap();
        s.put(&token, msg).unwrap();
    }
    let out = go(cli, &["get", &hex(&head.hash()), "--all", "--json"]);
    let doc = parse_json(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let walked: Vec<(Vec<u8>, String)> = doc
        .arr()
        .iter()
        .map(|m| {
            (
                m.field("message_hex").hex(),
                m.field("hash").str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        walked,
        [
            (b"rust two".to_vec(), hex(&head.hash())),
            (b"rust one".to_vec(), walked[1].1.clone())
        ]
    );

    // Go pushes a message onto that list; Rust reads it and walks on.
    let list_file = tmp("list");
    std::fs::write(&list_file, format!("{}\n", hex(&head.hash()))).unwrap();
    let out = go(
        cli,
        &[
            "put",
            "go three",
            "--list",
            list_file.to_str().unwrap(),
            "--json",
        ],
    );
    let put = parse_json(out.trim()).unwrap();
    let new_head: scout::Hash = put.field("hash").fixed();
    assert_eq!(put.field("token").fixed::<20>(), head.hash());
    let m = s.get(&new_head).unwrap();
    assert_eq!((m.body.as_slice(), m.next), (&b"go three"[..], head.hash()));
    let bodies: Vec<Vec<u8>> = s
        .get_list(&new_head, 0)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        bodies,
        [
            b"go three".to_vec(),
            b"rust two".to_vec(),
            b"rust one".to_vec()
        ]
    );
}

/// The example client, built by `cargo test` next to the test binaries.
fn example_client() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("examples/client");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: the example client is not built ({})", p.display());
        None
    }
}

#[test]
fn example_client_and_go_client() {
    let (Some(cli), Some(client)) = (cli(), example_client()) else {
        return;
    };
    let boot = swarm().bootstrap().unwrap();
    let rust = |args: &[&str]| {
        let out = Command::new(&client)
            .args([
                "--bootstrap",
                &boot,
                "--listen",
                "127.0.0.1:0",
                "--timeout",
                "20000",
            ])
            .args(args)
            .output()
            .unwrap();
        checked("client", args, out)
    };
    let (alice_key, bob_key) = (tmp("alice-example.key"), tmp("bob-example.key"));
    let (alice_key, bob_key) = (alice_key.to_str().unwrap(), bob_key.to_str().unwrap());
    rust(&["gen-key", alice_key]);
    let bob_pk = go(cli, &["gen-key", bob_key]).trim().to_string();
    // Each reads the other's key files.
    let alice_pk = go(cli, &["dump-key", alice_key]).trim().to_string();
    assert_eq!(
        rust(&["dump-key", alice_key]).trim(),
        format!("Public key: {alice_pk}")
    );
    assert_eq!(
        rust(&["dump-key", bob_key]).trim(),
        format!("Public key: {bob_pk}")
    );

    let out = rust(&[
        "sync",
        alice_key,
        &bob_pk,
        "1",
        "hello from the rust client",
    ]);
    assert!(
        out.lines().any(|l| l == "1 hello from the rust client"),
        "{out}"
    );
    let out = go(
        cli,
        &[
            "sync",
            bob_key,
            &alice_pk,
            "2",
            "hello from the go client",
            "--json",
        ],
    );
    assert_eq!(
        go_entries(&out),
        [
            Entry {
                id: 1,
                seq: 1,
                value: b"hello from the rust client".to_vec()
            },
            Entry {
                id: 2,
                seq: 1,
                value: b"hello from the go client".to_vec()
            },
        ]
    );
    let out = rust(&[
        "sync",
        alice_key,
        &bob_pk,
        "1",
        "hello from the rust client",
    ]);
    assert!(
        out.lines().any(|l| l == "2 hello from the go client"),
        "{out}"
    );

    // Offline messages: the Rust client stores, the Go client reads.
    let out = rust(&["put", "a message from rust"]);
    let hash = out
        .strip_prefix("inserted message with hash ")
        .and_then(|r| r.get(..40))
        .unwrap_or_else(|| panic!("{out}"));
    let got = go(cli, &["get", hash, "--json"]);
    let doc = parse_json(got.trim()).unwrap();
    let first = doc
        .opt("message_hex")
        .map_or_else(|| doc.arr()[0].field("message_hex").hex(), JsonExt::hex);
    assert_eq!(first, b"a message from rust");
}
