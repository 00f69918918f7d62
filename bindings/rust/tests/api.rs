//! The offline API (keys, entry lists, sealing, messages), its errors, and
//! the raw declarations checked against `include/scout.h`.
mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use scout::{ffi, Entries, Entry, Error, ErrorCode, ListHead};

fn entry(id: u32, seq: i64, value: &[u8]) -> Entry {
    Entry {
        id,
        seq,
        value: value.to_vec(),
    }
}

#[test]
fn keys() {
    let (sk, pk) = scout::generate_keypair().unwrap();
    let (sk2, pk2) = scout::generate_keypair().unwrap();
    assert_ne!(sk, sk2);
    assert_eq!(scout::public_key(&sk).unwrap(), pk);
    let shared = scout::key_exchange(&sk, &pk2).unwrap();
    assert_eq!(shared, scout::key_exchange(&sk2, &pk).unwrap());
    assert_ne!(shared, [0; 32]);
    assert_eq!(
        (scout::key_exchange(&sk, &[0; 32])).map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument),
        "low order"
    );
    let target = scout::shared_target(&shared).unwrap();
    assert_ne!(
        target,
        scout::shared_target(&scout::key_exchange(&sk, &pk).unwrap()).unwrap()
    );
    let edpk = scout::shared_signing_key(&shared).unwrap();
    let sig = scout::mutable_sign(&shared, 5, b"3:abc").unwrap();
    assert_eq!(scout::mutable_verify(&edpk, 5, b"3:abc", &sig), Ok(()));
    assert_eq!(
        (scout::mutable_verify(&edpk, 6, b"3:abc", &sig)).map_err(|e| e.code()),
        Err(ErrorCode::DecryptFailed)
    );
    assert_eq!(
        (scout::mutable_verify(&pk, 5, b"3:abc", &sig)).map_err(|e| e.code()),
        Err(ErrorCode::DecryptFailed)
    );
}

#[test]
fn entry_lists() {
    let mut list = Entries::new().unwrap();
    assert!(list.is_empty().unwrap());
    assert_eq!(list.assign(5, b"five").unwrap(), 1);
    assert_eq!(list.assign(5, b"FIVE").unwrap(), 2);
    assert_eq!(list.assign(1, b"").unwrap(), 1);
    list.set(9, -3, b"negative seq").unwrap();
    list.set(u32::MAX, i64::MAX, &[0xff; scout::MAX_VALUE_SIZE])
        .unwrap();
    assert_eq!(list.len().unwrap(), 4);
    assert_eq!(list.get(5).unwrap(), Some(entry(5, 2, b"FIVE")));
    assert_eq!(list.get(1).unwrap(), Some(entry(1, 1, b"")));
    assert_eq!(list.get(2).unwrap(), None);
    assert_eq!(list.at(1).unwrap(), Some(entry(1, 1, b"")));
    assert_eq!(list.at(4).unwrap(), None);
    let ids: Vec<u32> = list.iter().map(|e| e.unwrap().id).collect();
    assert_eq!(ids, [5, 1, 9, u32::MAX], "insertion order");

    // Limits.
    assert_eq!(
        (list.assign(6, &[0; scout::MAX_VALUE_SIZE + 1])).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    assert_eq!(
        (list.set(6, 1, &[0; scout::MAX_VALUE_SIZE + 1])).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    let mut full = Entries::new().unwrap();
    for id in 0..scout::MAX_ENTRIES as u32 {
        full.set(id, 1, b"").unwrap();
    }
    assert_eq!(
        (full.assign(1000, b"one too many")).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    full.assign(0, b"updating an existing id still works")
        .unwrap();
    assert!(
        full.serialize().unwrap().len() > scout::MAX_PLAINTEXT,
        "too big to synchronize"
    );

    // Copies share nothing.
    let copy = list.try_clone().unwrap();
    assert!(list.remove(5).unwrap());
    assert!(!list.remove(5).unwrap());
    assert_eq!(copy.get(5).unwrap(), Some(entry(5, 2, b"FIVE")));
    assert_eq!(
        list.to_vec().unwrap(),
        [
            entry(1, 1, b""),
            entry(9, -3, b"negative seq"),
            entry(u32::MAX, i64::MAX, &[0xff; 255])
        ]
    );

    // The wire format round trip, with trailing bytes ignored.
    let mut bytes = list.serialize().unwrap();
    let len = bytes.len();
    bytes.extend_from_slice(b"trailing");
    let (back, consumed) = Entries::parse_prefix(&bytes).unwrap();
    assert_eq!(consumed, len);
    assert_eq!(back.to_vec().unwrap(), list.to_vec().unwrap());
    assert_eq!(
        Entries::parse(&bytes[..len - 1])
            .map_err(|e| e.code())
            .err(),
        Some(ErrorCode::InvalidArgument)
    );
    assert_eq!(
        Entries::parse(&[]).map_err(|e| e.code()).err(),
        Some(ErrorCode::InvalidArgument)
    );
    assert_eq!(Entries::new().unwrap().serialize().unwrap(), [0, 0]);

    assert_eq!(
        format!("{:?}", Entries::from_entries(&[entry(3, 4, b"x")]).unwrap()),
        r#"Entries([Entry { id: 3, seq: 4, value: [120] }])"#
    );
    let collected: scout::Result<Vec<Entry>> = (&copy).into_iter().collect();
    assert_eq!(collected.unwrap().len(), 4);
}

#[test]
fn raw_handles_round_trip() {
    let mut list = Entries::new().unwrap();
    list.assign(1, b"raw").unwrap();
    let raw = list.into_raw();
    let mut n = 0usize;
    // SAFETY: raw is the live handle into_raw gave up.
    assert_eq!(
        unsafe { ffi::scout_entries_count(raw, &mut n) },
        ffi::SCOUT_OK
    );
    assert_eq!(n, 1);
    // SAFETY: raw is live and nothing else frees it.
    let list = unsafe { Entries::from_raw(raw) }.unwrap();
    assert_eq!(list.get(1).unwrap().unwrap().value, b"raw");
    list.close();
    // The handle is stale now: the library says so instead of crashing.
    // SAFETY: a stale handle is safe to pass; the library checks it.
    assert_eq!(
        unsafe { ffi::scout_entries_count(raw, &mut n) },
        ffi::SCOUT_INVALID_ARGUMENT
    );
    // SAFETY: freeing a freed handle does nothing.
    unsafe { ffi::scout_entries_free(raw) };
}

#[test]
fn sealing_and_messages() {
    let key = [7u8; 32];
    let sealed = scout::seal(&key, b"plaintext").unwrap();
    assert_eq!(sealed.len(), 9 + scout::SEAL_OVERHEAD);
    assert_eq!(scout::open(&key, &sealed).unwrap(), b"plaintext");
    assert_eq!(
        (scout::open(&[8; 32], &sealed)).map_err(|e| e.code()),
        Err(ErrorCode::DecryptFailed)
    );
    assert_eq!(
        (scout::open(&key, &sealed[..scout::MIN_SEALED_SIZE - 1])).map_err(|e| e.code()),
        Err(ErrorCode::DecryptFailed)
    );
    assert_eq!(
        (scout::open(&key, &[])).map_err(|e| e.code()),
        Err(ErrorCode::DecryptFailed)
    );
    assert_eq!(
        (scout::seal(&key, &[0; scout::MAX_PLAINTEXT + 1])).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    assert_eq!(
        scout::seal(&key, &[0; scout::MAX_PLAINTEXT]).unwrap().len(),
        scout::MAX_SEALED_SIZE
    );

    let blob = scout::message_encode(&[3; 20], b"hello").unwrap();
    assert_eq!(blob.len(), scout::MESSAGE_HEADER_SIZE + 5);
    assert_eq!(
        scout::message_parse(&blob).unwrap(),
        (b"hello".to_vec(), [3; 20])
    );
    assert_eq!(
        (scout::message_parse(&blob[..blob.len() - 1])).map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument)
    );
    assert_eq!(
        (scout::message_parse(&[])).map_err(|e| e.code()),
        Err(ErrorCode::InvalidArgument)
    );

    let mut head = ListHead::new();
    assert!(head.is_empty());
    let token = head.push_front(b"hello").unwrap();
    assert_eq!(token, [0; 20]);
    assert_eq!(
        head.hash(),
        scout::message_hash(&scout::message_encode(&token, b"hello").unwrap()).unwrap()
    );
    let before = head;
    assert_eq!(
        (head.push_front(&[0; scout::MAX_MESSAGE_SIZE + 1])).map_err(|e| e.code()),
        Err(ErrorCode::TooLarge)
    );
    assert_eq!(head, before, "unchanged on failure");
    assert_eq!(ListHead::from(head.hash()), head);
}

#[test]
fn errors() {
    let e: Box<dyn std::error::Error + Send + Sync> =
        Box::new(Error::from(ErrorCode::BufferTooSmall));
    assert_eq!(e.to_string(), "scout: buffer too small");
    assert_eq!(
        Error::from(ErrorCode::Unknown(42)).to_string(),
        "scout: unknown status 42"
    );
    assert!(Error::from(ErrorCode::AbiMismatch {
        library: 2,
        binding: 1
    })
    .to_string()
    .contains("binary interface 2"));
    for status in 1..=11 {
        let code = ErrorCode::from_status(status).unwrap();
        assert_eq!(code.status(), Some(status));
        // SAFETY: scout_strerror returns a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(ffi::scout_strerror(status)) };
        assert_eq!(code.to_string(), text.to_str().unwrap());
        assert_eq!(
            Error::from(code).to_string(),
            format!("scout: {}", text.to_str().unwrap())
        );
        assert_eq!(Error::from(code), code);
    }
    assert_eq!(scout::check_abi(), Ok(()));
    assert_eq!(
        scout::version().as_bytes(),
        &ffi::SCOUT_VERSION[..ffi::SCOUT_VERSION.len() - 1]
    );
    // One version: the library's is this crate's.
    assert_eq!(scout::version(), env!("CARGO_PKG_VERSION"));
}

// ---------------------------------------------------------------------------
// ffi.rs against the header
// ---------------------------------------------------------------------------

/// `include/scout.h`, found walking up from the crate (`SCOUT_HEADER`
/// overrides).
fn header() -> Option<String> {
    if let Some(p) = std::env::var_os("SCOUT_HEADER") {
        return Some(std::fs::read_to_string(p).expect("read SCOUT_HEADER"));
    }
    let mut dir = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    while let Some(d) = dir {
        let h = d.join("include/scout.h");
        if h.exists() {
            return Some(std::fs::read_to_string(h).unwrap());
        }
        dir = d.parent().map(PathBuf::from);
    }
    None
}

/// Removes C comments.
fn strip_comments(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        rest = &rest[rest.find("*/").map_or(rest.len(), |j| j + 2)..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A declaration's signature: `(name, type)` of each parameter and the
/// return type (`""` for none), every type in Rust's spelling.
type Signature = (Vec<(String, String)>, String);

/// Collapses whitespace.
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Rust spelling of a C type: `const uint8_t *` → `*const u8`; `array`
/// adds the pointer a parameter array decays to.
fn rust_type(c: &str, array: bool) -> String {
    let stars = c.matches('*').count() + usize::from(array);
    let words: Vec<&str> = c
        .split(|ch: char| ch.is_whitespace() || ch == '*')
        .filter(|w| !w.is_empty())
        .collect();
    let pointee_const = words.first() == Some(&"const");
    let base = words
        .iter()
        .filter(|w| **w != "const")
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let base = match base.as_str() {
        "uint8_t" => "u8",
        "uint16_t" => "u16",
        "uint32_t" => "u32",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        "double" => "f64",
        "size_t" => "usize",
        "int" => "c_int",
        "unsigned int" => "c_uint",
        "char" => "c_char",
        "void" if stars == 0 => return String::new(),
        "void" => "c_void",
        other => other, // scout_* types keep their names
    };
    let mut t = base.to_string();
    for level in 0..stars {
        let qualifier = if level == 0 && pointee_const {
            "*const "
        } else {
            "*mut "
        };
        t = format!("{qualifier}{t}");
    }
    t
}

/// Splits a C declarator, `const uint8_t key[SCOUT_KEY_SIZE]`, into its
/// name and Rust type.
fn c_declarator(decl: &str) -> (String, String) {
    let array = decl.contains('[');
    let decl = decl.split('[').next().unwrap().trim();
    let at = decl
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    (decl[at..].to_string(), rust_type(&decl[..at], array))
}

/// Parameters of a C list, `(void *user, int level)`.
fn c_params(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "void")
        .map(c_declarator)
        .collect()
}

/// Parameters of a Rust list, `(user: *mut c_void, level: c_int)`.
fn rust_params(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, ty) = p.split_once(':').unwrap();
            (name.trim().to_string(), squeeze(ty))
        })
        .collect()
}

/// Every `SCOUT_API` function of the header.
fn c_functions(h: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for chunk in h.split("SCOUT_API ").skip(1) {
        let Some(end) = chunk.find(';') else {
            continue; // "#define SCOUT_API ..."
        };
        let decl = squeeze(&chunk[..end]);
        let open = decl.find('(').unwrap();
        let (name, ret) = c_declarator(&decl[..open]);
        out.insert(
            name,
            (c_params(&decl[open + 1..decl.rfind(')').unwrap()]), ret),
        );
    }
    out
}

/// Every `pub fn` of ffi.rs.
fn rust_functions(src: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for chunk in src.split("pub fn ").skip(1) {
        let decl = squeeze(&chunk[..chunk.find(';').unwrap()]);
        let open = decl.find('(').unwrap();
        let close = decl.rfind(')').unwrap();
        let ret = decl[close + 1..]
            .trim()
            .trim_start_matches("->")
            .trim()
            .to_string();
        out.insert(
            decl[..open].trim().to_string(),
            (rust_params(&decl[open + 1..close]), ret),
        );
    }
    out
}

/// Every callback typedef of the header: `typedef void (*name)(params);`.
fn c_callbacks(h: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for chunk in h.split("typedef ").skip(1) {
        let decl = squeeze(&chunk[..chunk.find(';').unwrap()]);
        let Some(star) = decl.find("(*") else {
            continue;
        };
        let name_end = decl[star..].find(')').unwrap() + star;
        let params = &decl[name_end + 1..];
        let params = &params[params.find('(').unwrap() + 1..params.rfind(')').unwrap()];
        out.insert(
            decl[star + 2..name_end].to_string(),
            (c_params(params), rust_type(&decl[..star], false)),
        );
    }
    out
}

/// Every `pub type x = Option<unsafe extern "C" fn(...)>` of ffi.rs.
fn rust_callbacks(src: &str) -> BTreeMap<String, Signature> {
    let mut out = BTreeMap::new();
    for chunk in src.split("pub type ").skip(1) {
        let decl = squeeze(&chunk[..chunk.find(';').unwrap()]);
        let Some(fn_at) = decl.find("unsafe extern \"C\" fn(") else {
            continue;
        };
        let (name, _) = decl.split_once('=').unwrap();
        let rest = &decl[fn_at + "unsafe extern \"C\" fn(".len()..];
        let close = rest.rfind(')').unwrap();
        let ret = rest[close + 1..]
            .trim()
            .trim_end_matches('>')
            .trim()
            .trim_end_matches(',')
            .trim()
            .trim_start_matches("->")
            .trim();
        out.insert(
            name.trim().to_string(),
            (rust_params(&rest[..close]), ret.to_string()),
        );
    }
    out
}

/// The field names of `typedef struct name { ... }` in the header.
fn c_fields<'a>(h: &'a str, name: &str) -> Vec<&'a str> {
    let body = &h[h
        .find(&format!("typedef struct {name} {{"))
        .unwrap_or_else(|| panic!("{name} in the header"))..];
    let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
    body.split(';')
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            f.rsplit(|c: char| !c.is_alphanumeric() && c != '_')
                .find(|s| !s.is_empty())
                .unwrap()
        })
        .collect()
}

/// The field names of `pub struct name { ... }` in ffi.rs.
fn rust_fields<'a>(rust: &'a str, name: &str) -> Vec<&'a str> {
    let body = &rust[rust
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("{name} in ffi.rs"))..];
    let body = &body[..body.find('}').unwrap()];
    body.lines()
        .skip(1)
        .filter_map(|l| l.trim().strip_prefix("pub ")?.split(':').next())
        .collect()
}

#[test]
fn ffi_mirrors_the_header() {
    let Some(h) = header() else {
        eprintln!("include/scout.h not found above the crate: skipped (set SCOUT_HEADER)");
        return;
    };
    let h = strip_comments(&h);
    let rust = strip_comments(include_str!("../scout-dht-sys/src/lib.rs"));

    // Every function and callback type, with the same parameters (names
    // and types) in the same order and the same return type.
    let c_fns = c_functions(&h);
    assert!(c_fns.len() >= 43, "functions in the header: {c_fns:?}");
    let rust_fns = rust_functions(&rust);
    for (name, sig) in &c_fns {
        assert_eq!(rust_fns.get(name), Some(sig), "{name}");
    }
    assert_eq!(
        rust_fns.len(),
        c_fns.len(),
        "no function beyond the header's"
    );
    let c_cbs = c_callbacks(&h);
    assert_eq!(c_cbs.len(), 12, "callback types in the header: {c_cbs:?}");
    assert_eq!(rust_callbacks(&rust), c_cbs);

    // Every numeric #define and enum value.
    let consts: BTreeMap<&str, i64> = [
        ("SCOUT_ABI_VERSION", ffi::SCOUT_ABI_VERSION as i64),
        ("SCOUT_KEY_SIZE", ffi::SCOUT_KEY_SIZE as i64),
        ("SCOUT_HASH_SIZE", ffi::SCOUT_HASH_SIZE as i64),
        ("SCOUT_NONCE_SIZE", ffi::SCOUT_NONCE_SIZE as i64),
        ("SCOUT_SEAL_OVERHEAD", ffi::SCOUT_SEAL_OVERHEAD as i64),
        ("SCOUT_SIGNATURE_SIZE", ffi::SCOUT_SIGNATURE_SIZE as i64),
        ("SCOUT_MAX_VALUE_SIZE", ffi::SCOUT_MAX_VALUE_SIZE as i64),
        ("SCOUT_MAX_ENTRIES", ffi::SCOUT_MAX_ENTRIES as i64),
        (
            "SCOUT_ENTRIES_HEADER_SIZE",
            ffi::SCOUT_ENTRIES_HEADER_SIZE as i64,
        ),
        (
            "SCOUT_ENTRY_HEADER_SIZE",
            ffi::SCOUT_ENTRY_HEADER_SIZE as i64,
        ),
        ("SCOUT_MAX_PLAINTEXT", ffi::SCOUT_MAX_PLAINTEXT as i64),
        ("SCOUT_MAX_SEALED_SIZE", ffi::SCOUT_MAX_SEALED_SIZE as i64),
        ("SCOUT_MIN_SEALED_SIZE", ffi::SCOUT_MIN_SEALED_SIZE as i64),
        (
            "SCOUT_MESSAGE_HEADER_SIZE",
            ffi::SCOUT_MESSAGE_HEADER_SIZE as i64,
        ),
        ("SCOUT_MAX_MESSAGE_SIZE", ffi::SCOUT_MAX_MESSAGE_SIZE as i64),
        ("SCOUT_MAX_BLOB_SIZE", ffi::SCOUT_MAX_BLOB_SIZE as i64),
        ("SCOUT_ADDR_STRLEN", ffi::SCOUT_ADDR_STRLEN as i64),
        ("SCOUT_ERROR_STRLEN", ffi::SCOUT_ERROR_STRLEN as i64),
        (
            "SCOUT_DEFAULT_TIMEOUT_MS",
            ffi::SCOUT_DEFAULT_TIMEOUT_MS as i64,
        ),
        ("SCOUT_LOG_DEBUG", ffi::SCOUT_LOG_DEBUG as i64),
        ("SCOUT_LOG_INFO", ffi::SCOUT_LOG_INFO as i64),
        ("SCOUT_LOG_WARN", ffi::SCOUT_LOG_WARN as i64),
        ("SCOUT_LOG_ERROR", ffi::SCOUT_LOG_ERROR as i64),
        ("SCOUT_OK", ffi::SCOUT_OK as i64),
        ("SCOUT_INVALID_ARGUMENT", ffi::SCOUT_INVALID_ARGUMENT as i64),
        ("SCOUT_TOO_LARGE", ffi::SCOUT_TOO_LARGE as i64),
        ("SCOUT_BUFFER_TOO_SMALL", ffi::SCOUT_BUFFER_TOO_SMALL as i64),
        ("SCOUT_NOT_FOUND", ffi::SCOUT_NOT_FOUND as i64),
        ("SCOUT_TIMEOUT", ffi::SCOUT_TIMEOUT as i64),
        ("SCOUT_CANCELLED", ffi::SCOUT_CANCELLED as i64),
        ("SCOUT_DECRYPT_FAILED", ffi::SCOUT_DECRYPT_FAILED as i64),
        ("SCOUT_WRONG_STATE", ffi::SCOUT_WRONG_STATE as i64),
        ("SCOUT_NETWORK", ffi::SCOUT_NETWORK as i64),
        ("SCOUT_INTERNAL", ffi::SCOUT_INTERNAL as i64),
        ("SCOUT_CONFLICT", ffi::SCOUT_CONFLICT as i64),
        ("SCOUT_PORT_MAP_AUTO", ffi::SCOUT_PORT_MAP_AUTO as i64),
        ("SCOUT_PORT_MAP_ON", ffi::SCOUT_PORT_MAP_ON as i64),
        ("SCOUT_PORT_MAP_OFF", ffi::SCOUT_PORT_MAP_OFF as i64),
        (
            "SCOUT_PORT_PROTOCOL_NONE",
            ffi::SCOUT_PORT_PROTOCOL_NONE as i64,
        ),
        (
            "SCOUT_PORT_PROTOCOL_PCP",
            ffi::SCOUT_PORT_PROTOCOL_PCP as i64,
        ),
        (
            "SCOUT_PORT_PROTOCOL_NATPMP",
            ffi::SCOUT_PORT_PROTOCOL_NATPMP as i64,
        ),
        (
            "SCOUT_PORT_PROTOCOL_UPNP",
            ffi::SCOUT_PORT_PROTOCOL_UPNP as i64,
        ),
        ("SCOUT_FAMILIES_AUTO", ffi::SCOUT_FAMILIES_AUTO as i64),
        ("SCOUT_FAMILIES_IPV4", ffi::SCOUT_FAMILIES_IPV4 as i64),
        ("SCOUT_FAMILIES_IPV6", ffi::SCOUT_FAMILIES_IPV6 as i64),
        (
            "SCOUT_FAMILIES_DUAL_STACK",
            ffi::SCOUT_FAMILIES_DUAL_STACK as i64,
        ),
        ("SCOUT_QUERY_PING", ffi::SCOUT_QUERY_PING as i64),
        ("SCOUT_QUERY_FIND_NODE", ffi::SCOUT_QUERY_FIND_NODE as i64),
        ("SCOUT_QUERY_GET_PEERS", ffi::SCOUT_QUERY_GET_PEERS as i64),
        (
            "SCOUT_QUERY_ANNOUNCE_PEER",
            ffi::SCOUT_QUERY_ANNOUNCE_PEER as i64,
        ),
        ("SCOUT_QUERY_GET", ffi::SCOUT_QUERY_GET as i64),
        ("SCOUT_QUERY_PUT", ffi::SCOUT_QUERY_PUT as i64),
        ("SCOUT_QUERY_UNKNOWN", ffi::SCOUT_QUERY_UNKNOWN as i64),
        ("SCOUT_QUERY_METHODS", ffi::SCOUT_QUERY_METHODS as i64),
    ]
    .into_iter()
    .collect();
    let mut in_header = BTreeMap::new();
    for line in h.lines() {
        let line = line.trim().trim_end_matches(',');
        let (name, value) = if let Some(rest) = line.strip_prefix("#define ") {
            let mut it = rest.splitn(2, char::is_whitespace);
            (it.next().unwrap(), it.next().unwrap_or("").trim())
        } else if let Some((name, value)) = line.split_once(" = ") {
            (name.trim(), value.trim())
        } else {
            continue;
        };
        if let Ok(v) = value.trim_matches(|c| c == '(' || c == ')').parse::<i64>() {
            if name.starts_with("SCOUT_") {
                in_header.insert(name, v);
            }
        }
    }
    assert_eq!(in_header, consts);
    assert!(h.contains(&format!("#define SCOUT_VERSION \"{}\"", scout::version())));

    // The options structs: the header's fields in order, and the sizes the
    // library's _init functions write.
    for name in [
        "scout_session_options",
        "scout_op_options",
        "scout_swarm_options",
        "scout_keep_options",
        "scout_watch_options",
    ] {
        assert_eq!(
            rust_fields(&rust, name),
            c_fields(&h, name),
            "the fields of {name}"
        );
    }
    let mut opts = std::mem::MaybeUninit::<ffi::scout_session_options>::zeroed();
    // SAFETY: a zeroed options struct is valid (integers, NULL pointers,
    // None callbacks) and writable.
    assert_eq!(
        unsafe { ffi::scout_session_options_init(opts.as_mut_ptr()) },
        ffi::SCOUT_OK
    );
    // SAFETY: initialized above.
    let opts = unsafe { opts.assume_init() };
    assert_eq!(opts.size, std::mem::size_of::<ffi::scout_session_options>());
    // 0.2.0's struct was 64 bytes, padding included; appended fields follow.
    assert!(std::mem::offset_of!(ffi::scout_session_options, port_map) >= 64);
    let mut opts = std::mem::MaybeUninit::<ffi::scout_swarm_options>::zeroed();
    // SAFETY: a zeroed options struct is valid (numbers only) and writable.
    assert_eq!(
        unsafe { ffi::scout_swarm_options_init(opts.as_mut_ptr()) },
        ffi::SCOUT_OK
    );
    // SAFETY: initialized above.
    let opts = unsafe { opts.assume_init() };
    assert_eq!(opts.size, std::mem::size_of::<ffi::scout_swarm_options>());
}
