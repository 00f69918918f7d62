//! Test helpers shared by the integration tests: reading the shared
//! vectors (serde_json), hex, locating the vectors and the Go command, and
//! one loopback swarm per test binary.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// JSON: serde_json's values, read the way the vectors are written
// ---------------------------------------------------------------------------

/// A JSON value (serde_json's: integers are read exactly, never through a
/// double).
pub use serde_json::Value as Json;

/// Parses a whole JSON document.
pub fn parse_json(text: &str) -> Result<Json, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Reading a vector file's values: a missing field or a value of the wrong
/// type fails the test, naming what was expected.
pub trait JsonExt {
    fn opt(&self, key: &str) -> Option<&Json>;
    fn field(&self, key: &str) -> &Json;
    fn keys(&self) -> Vec<&str>;
    fn arr(&self) -> &[Json];
    fn str(&self) -> &str;
    fn i64(&self) -> i64;
    fn u32(&self) -> u32;
    fn usize(&self) -> usize;
    fn bool(&self) -> bool;
    fn hex(&self) -> Vec<u8>;
    fn fixed<const N: usize>(&self) -> [u8; N];
}

impl JsonExt for Json {
    fn opt(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    fn field(&self, key: &str) -> &Json {
        self.opt(key)
            .unwrap_or_else(|| panic!("vector field {key:?} missing"))
    }

    fn keys(&self) -> Vec<&str> {
        self.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn arr(&self) -> &[Json] {
        self.as_array()
            .unwrap_or_else(|| panic!("not an array: {self}"))
    }

    fn str(&self) -> &str {
        self.as_str()
            .unwrap_or_else(|| panic!("not a string: {self}"))
    }

    fn i64(&self) -> i64 {
        self.as_i64()
            .unwrap_or_else(|| panic!("not an int64: {self}"))
    }

    fn u32(&self) -> u32 {
        u32::try_from(self.i64()).expect("not a uint32")
    }

    fn usize(&self) -> usize {
        usize::try_from(self.i64()).expect("not a size")
    }

    fn bool(&self) -> bool {
        self.as_bool()
            .unwrap_or_else(|| panic!("not a bool: {self}"))
    }

    fn hex(&self) -> Vec<u8> {
        unhex(self.str())
    }

    fn fixed<const N: usize>(&self) -> [u8; N] {
        let v = self.hex();
        v.as_slice()
            .try_into()
            .unwrap_or_else(|_| panic!("want {N} bytes, got {}", v.len()))
    }
}

// ---------------------------------------------------------------------------
// Hex
// ---------------------------------------------------------------------------

pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length: {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex: {s:?}")))
        .collect()
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// `"<len>:"` ‖ data, a bencoded byte string.
pub fn bencode(data: &[u8]) -> Vec<u8> {
    let mut v = format!("{}:", data.len()).into_bytes();
    v.extend_from_slice(data);
    v
}

// ---------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------

/// `SCOUT_VECTORS` (or `SCOUT_VECTORS_DIR`), else the first `shared/vectors`
/// found walking up from the crate.
pub fn vectors_dir() -> PathBuf {
    for var in ["SCOUT_VECTORS", "SCOUT_VECTORS_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return PathBuf::from(dir);
        }
    }
    let mut dir = Some(Path::new(env!("CARGO_MANIFEST_DIR")));
    while let Some(d) = dir {
        let candidate = d.join("shared/vectors");
        if candidate.join("keypairs.json").exists() {
            return candidate;
        }
        dir = d.parent();
    }
    panic!(
        "no shared/vectors above {}: set SCOUT_VECTORS",
        env!("CARGO_MANIFEST_DIR")
    );
}

/// One vector file, with a record of which of its sections a test read:
/// [`Vectors::finish`] fails if a section was left unchecked.
pub struct Vectors {
    pub name: String,
    pub doc: Json,
    seen: Mutex<BTreeSet<String>>,
    failures: Mutex<Vec<String>>,
    cases: Mutex<usize>,
}

impl Vectors {
    pub fn load(name: &str) -> Vectors {
        let path = vectors_dir().join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = parse_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Vectors {
            name: name.to_string(),
            doc,
            seen: Mutex::new(BTreeSet::new()),
            failures: Mutex::new(Vec::new()),
            cases: Mutex::new(0),
        }
    }

    /// A section that is not a list of cases (sizes, an object).
    pub fn field(&self, key: &str) -> &Json {
        self.seen.lock().unwrap().insert(key.to_string());
        self.doc.field(key)
    }

    /// Runs `check` on every case of the array `key` (which must not be
    /// empty), as a named subtest: a failing case is recorded with its name
    /// and the others still run.
    pub fn each(&self, key: &str, check: impl Fn(&Json)) {
        let cases = self.field(key).arr();
        assert!(!cases.is_empty(), "{}: {key} has no cases", self.name);
        let mut names = BTreeSet::new();
        for (i, case) in cases.iter().enumerate() {
            let name = match case.opt("name") {
                Some(n) => n.str().to_string(),
                None => format!("#{i}"),
            };
            assert!(
                names.insert(name.clone()),
                "{}: {key}: duplicate case name {name}",
                self.name
            );
            self.run(&format!("{key}/{name}"), || check(case));
        }
    }

    /// Runs one named check, recording its failure.
    pub fn run(&self, name: &str, check: impl FnOnce()) {
        *self.cases.lock().unwrap() += 1;
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(check)) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            self.failures
                .lock()
                .unwrap()
                .push(format!("{}: {name}: {msg}", self.name));
        }
    }

    /// Fails if a case failed or a section of the file (besides its
    /// description) was never read.
    pub fn finish(self) {
        let seen = self.seen.lock().unwrap();
        let unchecked: Vec<&str> = self
            .doc
            .keys()
            .into_iter()
            .filter(|k| *k != "description" && !seen.contains(*k))
            .collect();
        let failures = self.failures.lock().unwrap();
        eprintln!(
            "{}: {} cases, {} failed",
            self.name,
            self.cases.lock().unwrap(),
            failures.len()
        );
        assert!(
            failures.is_empty(),
            "failed vector cases:\n{}",
            failures.join("\n")
        );
        assert!(
            unchecked.is_empty(),
            "{}: sections never checked: {unchecked:?}",
            self.name
        );
    }
}

// ---------------------------------------------------------------------------
// Swarm, sessions, waiting
// ---------------------------------------------------------------------------

/// The number of nodes of the test swarm.
pub const SWARM_NODES: u32 = 16;

/// One loopback swarm for the whole test binary, started on first use and
/// never stopped (the process ends with it).
pub fn swarm() -> &'static scout::Swarm {
    static SWARM: OnceLock<scout::Swarm> = OnceLock::new();
    SWARM.get_or_init(|| scout::Swarm::start(SWARM_NODES).expect("start the loopback swarm"))
}

/// A started session on the test swarm, bound to loopback.
pub fn session() -> scout::Session {
    session_with(scout::Session::builder())
}

/// A started session on the test swarm from these options.
pub fn session_with(builder: scout::SessionBuilder) -> scout::Session {
    builder
        .listen("127.0.0.1:0")
        .bootstrap(swarm().bootstrap().expect("swarm address"))
        .timeout(Duration::from_secs(20))
        .start()
        .expect("start a session on the swarm")
}

/// Waits until `cond` holds, polling; fails after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Retries an operation that failed with a network-class error (a busy
/// machine can make a loopback lookup miss its deadline).
pub fn retry<T>(what: &str, mut op: impl FnMut() -> scout::Result<T>) -> T {
    let mut last = None;
    for _ in 0..3 {
        match op() {
            Ok(v) => return v,
            Err(e)
                if matches!(
                    e.code(),
                    scout::ErrorCode::Network
                        | scout::ErrorCode::Timeout
                        | scout::ErrorCode::Conflict
                ) =>
            {
                eprintln!("{what}: {e}, retrying");
                last = Some(e);
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
    panic!("{what}: {}", last.unwrap());
}
