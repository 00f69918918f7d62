//! Test helpers shared by the integration tests: a small JSON reader for
//! the shared vectors, hex, locating the vectors and the Go command, and
//! one loopback swarm per test binary.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

/// A JSON value. Numbers keep their text, so that 64-bit integers are
/// parsed exactly (never through a double).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document; any error names the byte offset.
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing data at byte {}", p.i));
        }
        Ok(v)
    }

    pub fn opt(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> &Json {
        self.opt(key)
            .unwrap_or_else(|| panic!("vector field {key:?} missing"))
    }

    pub fn keys(&self) -> Vec<&str> {
        match self {
            Json::Obj(fields) => fields.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    pub fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    pub fn i64(&self) -> i64 {
        match self {
            Json::Num(n) => n.parse().unwrap_or_else(|_| panic!("not an int64: {n}")),
            other => panic!("not a number: {other:?}"),
        }
    }

    pub fn u32(&self) -> u32 {
        u32::try_from(self.i64()).expect("not a uint32")
    }

    pub fn usize(&self) -> usize {
        usize::try_from(self.i64()).expect("not a size")
    }

    pub fn bool(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            other => panic!("not a bool: {other:?}"),
        }
    }

    pub fn hex(&self) -> Vec<u8> {
        unhex(self.str())
    }

    pub fn fixed<const N: usize>(&self) -> [u8; N] {
        let v = self.hex();
        v.as_slice()
            .try_into()
            .unwrap_or_else(|_| panic!("want {N} bytes, got {}", v.len()))
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 64 {
            return self.err("nesting too deep");
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return self.err("unexpected end");
        };
        match c {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return self.err("expected ':'");
                    }
                    let v = self.value(depth + 1)?;
                    if fields.iter().any(|(k, _)| *k == key) {
                        return self.err(&format!("duplicate key {key:?}"));
                    }
                    fields.push((key, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(Json::Obj(fields));
                    }
                    return self.err("expected ',' or '}'");
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Json::Arr(items));
                    }
                    return self.err("expected ',' or ']'");
                }
            }
            b'"' => self.string().map(Json::Str),
            b't' if self.eat("true") => Ok(Json::Bool(true)),
            b'f' if self.eat("false") => Ok(Json::Bool(false)),
            b'n' if self.eat("null") => Ok(Json::Null),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.i += 1;
                }
                let text =
                    std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                if text == "-" {
                    return self.err("bad number");
                }
                Ok(Json::Num(text.to_string()))
            }
            _ => self.err("unexpected character"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return self.err("expected string");
        }
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("unterminated escape");
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                cp = 0x10000
                                    + ((cp - 0xD800) << 10)
                                    + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => return self.err("bad escape"),
                    }
                }
                c if c < 0x20 => return self.err("control character in string"),
                _ => {
                    // Copy the whole UTF-8 sequence this byte starts.
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(
                        std::str::from_utf8(&self.s[start..end]).map_err(|e| e.to_string())?,
                    );
                    self.i = end;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        let h = std::str::from_utf8(h).map_err(|e| e.to_string())?;
        let v = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
        self.i += 4;
        Ok(v)
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
        let doc = Json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
        self.doc.get(key)
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
            Err(e @ (scout::Error::Network | scout::Error::Timeout | scout::Error::Conflict)) => {
                eprintln!("{what}: {e}, retrying");
                last = Some(e);
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
    panic!("{what}: {}", last.unwrap());
}
