//! Safe Rust binding of libscout: small groups of mutually trusted peers
//! find each other through BEP 44 items on the BitTorrent mainline DHT.
//!
//! Scout keeps two kinds of data in the DHT:
//!
//! - an **entry list** shared by two peers, a small list of `(id, seq,
//!   value)` [`Entry`]s sealed with the peers' X25519 shared secret
//!   ([`key_exchange`]) and stored as a mutable item; both peers read it,
//!   merge it with their own [`Entries`] and write it back
//!   ([`Session::synchronize`]);
//! - **offline messages**, immutable items chained into a list newest first
//!   ([`ListHead::push_front`], [`Session::put`], [`Session::get`],
//!   [`Session::get_list`]).
//!
//! The crate (package `scout-dht`, library `scout`) is a thin, safe layer
//! over the C library libscout (`include/scout.h`): the raw declarations
//! are the `scout-dht-sys` crate, re-exported as [`ffi`]; everything else
//! wraps them. With the `bundled` feature (the default), libscout is built
//! from its Go sources and linked statically; without it, an installed one
//! is found through pkg-config; `SCOUT_LIB_DIR` overrides both (see
//! scout-dht-sys's documentation).
//!
//! # Errors
//!
//! Every call that can fail returns [`Result`], whose [`Error`] carries the
//! library's status as an [`ErrorCode`] and the text of its cause, as the
//! library gives it (`scout_last_error`): `err.code() ==
//! ErrorCode::NotFound`, `err.to_string()` is e.g. `scout_get_op: not
//! found: ...`. Nothing here panics on a library error.
//!
//! # Threads and callbacks
//!
//! Every handle ([`Entries`], [`Session`], [`Swarm`]) is thread-safe in the
//! library, so all three are `Send` and `Sync`. Network operations come in
//! two forms: blocking ([`Session::synchronize`], [`Session::put`], ...),
//! which wait at most for the session's timeout (plus a small grace), and
//! callback-based (`Session::start_*`), which return at once and call a
//! closure later, exactly once, on the session's dispatcher thread. That
//! thread belongs to the library: callbacks of one session never run
//! concurrently, so keep them short. A panic in a closure is caught at the
//! boundary and never unwinds into C; a blocking call re-raises it on the
//! caller's thread.
//!
//! # Example
//!
//! Alice and Bob on a loopback swarm (no public DHT):
//!
//! ```no_run
//! # fn main() -> scout::Result<()> {
//! let swarm = scout::Swarm::start(16)?;
//! let (alice_sk, alice_pk) = scout::generate_keypair()?;
//! let (bob_sk, bob_pk) = scout::generate_keypair()?;
//! let shared = scout::key_exchange(&alice_sk, &bob_pk)?;
//! assert_eq!(shared, scout::key_exchange(&bob_sk, &alice_pk)?);
//!
//! let alice = scout::Session::builder()
//!     .listen("127.0.0.1:0")
//!     .bootstrap(swarm.bootstrap()?)
//!     .start()?;
//! let mut list = scout::Entries::new()?;
//! list.assign(1, b"hello from alice")?;
//! let synced = alice.synchronize(&shared, &mut list)?;
//! println!("written with seq {} to {} nodes", synced.seq, synced.stored);
//! # Ok(())
//! # }
//! ```
//!
//! # The Go runtime
//!
//! libscout starts a Go runtime in the process. Never unload it, do not
//! call into it from a child after `fork` (exec is fine), and install
//! signal handlers with `SA_ONSTACK`; the header's "WHAT A HOST MUST KNOW"
//! section has the details.
#![warn(
    missing_docs,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_char, CStr};
use std::fmt;
use std::sync::OnceLock;

/// The raw declarations of `include/scout.h`: the `scout-dht-sys` crate.
pub use scout_dht_sys as ffi;

mod entries;
mod keep;
mod session;
mod stats;
mod swarm;

pub use entries::{Entries, EntriesMut, Entry, Iter};
pub use keep::{KeepBuilder, KeepRound, Keeper, Kept, Removed, Watch, WatchBuilder, WatchChange};
pub use session::{
    LogLevel, Message, Operation, Ops, PortMap, PortMapping, PortProtocol, Session, SessionBuilder,
    Stored, Synced,
};
pub use stats::{Families, Limits, OperationStats, QueryCounts, Stats};
pub use swarm::{Swarm, SwarmBuilder, Wan};

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------

/// Bytes in an X25519 secret, public or shared key.
pub const KEY_SIZE: usize = ffi::SCOUT_KEY_SIZE;
/// Bytes in a SHA-1 hash: a DHT target, list head or token.
pub const HASH_SIZE: usize = ffi::SCOUT_HASH_SIZE;
/// Bytes in the XSalsa20 nonce in front of a sealed value.
pub const NONCE_SIZE: usize = ffi::SCOUT_NONCE_SIZE;
/// What sealing adds: nonce and Poly1305 MAC.
pub const SEAL_OVERHEAD: usize = ffi::SCOUT_SEAL_OVERHEAD;
/// Bytes in an ed25519 signature.
pub const SIGNATURE_SIZE: usize = ffi::SCOUT_SIGNATURE_SIZE;
/// The largest value of one entry.
pub const MAX_VALUE_SIZE: usize = ffi::SCOUT_MAX_VALUE_SIZE;
/// The most entries one list holds.
pub const MAX_ENTRIES: usize = ffi::SCOUT_MAX_ENTRIES;
/// The largest serialized entry list (only lists of at most
/// [`MAX_PLAINTEXT`] bytes can be synchronized).
pub const MAX_ENTRIES_SIZE: usize = ffi::SCOUT_MAX_ENTRIES_SIZE;
/// The largest plaintext that fits in a BEP 44 item once sealed.
pub const MAX_PLAINTEXT: usize = ffi::SCOUT_MAX_PLAINTEXT;
/// The largest sealed value.
pub const MAX_SEALED_SIZE: usize = ffi::SCOUT_MAX_SEALED_SIZE;
/// Sealed values shorter than this never open.
pub const MIN_SEALED_SIZE: usize = ffi::SCOUT_MIN_SEALED_SIZE;
/// Bytes in a message blob's header.
pub const MESSAGE_HEADER_SIZE: usize = ffi::SCOUT_MESSAGE_HEADER_SIZE;
/// The largest offline message.
pub const MAX_MESSAGE_SIZE: usize = ffi::SCOUT_MAX_MESSAGE_SIZE;
/// The largest message blob.
pub const MAX_BLOB_SIZE: usize = ffi::SCOUT_MAX_BLOB_SIZE;

/// An X25519 secret, public or shared key.
pub type Key = [u8; KEY_SIZE];
/// A SHA-1 hash: a DHT target, a list head or a token.
pub type Hash = [u8; HASH_SIZE];
/// A sealing nonce.
pub type Nonce = [u8; NONCE_SIZE];
/// An ed25519 signature.
pub type Signature = [u8; SIGNATURE_SIZE];

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// What kind of failure an [`Error`] is: the library's status codes, one
/// variant each, plus the few failures only this binding can see.
///
/// New variants may be added, as the library only ever appends statuses.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A wrong size, malformed bytes, a low-order public key, a string
    /// with a NUL byte, or a stale handle (`SCOUT_INVALID_ARGUMENT`).
    InvalidArgument,
    /// A value, list or message exceeds a wire-format limit
    /// (`SCOUT_TOO_LARGE`).
    TooLarge,
    /// An output buffer was too small (`SCOUT_BUFFER_TOO_SMALL`). The safe
    /// API sizes its buffers itself, so this only shows a library bug.
    BufferTooSmall,
    /// No such entry, index or DHT item (`SCOUT_NOT_FOUND`).
    NotFound,
    /// The operation's deadline passed (`SCOUT_TIMEOUT`).
    Timeout,
    /// The operation was cancelled: through its [`Operation`], or because
    /// the session was stopped or dropped first (`SCOUT_CANCELLED`).
    Cancelled,
    /// A sealed value or a signature failed to authenticate
    /// (`SCOUT_DECRYPT_FAILED`).
    DecryptFailed,
    /// The session is not running, was already started, or a blocking
    /// call was made from one of the session's own callbacks, where
    /// waiting would deadlock (`SCOUT_WRONG_STATE`).
    WrongState,
    /// The network refused the operation: no socket, no reachable node,
    /// every store refused (`SCOUT_NETWORK`).
    Network,
    /// A bug inside the library (`SCOUT_INTERNAL`).
    Internal,
    /// Concurrent writers kept replacing each other's write; synchronizing
    /// again usually works (`SCOUT_CONFLICT`).
    Conflict,
    /// A status this binding does not know, from a newer library. Treat it
    /// like [`ErrorCode::Internal`].
    Unknown(i32),
    /// The loaded library speaks another binary interface than this
    /// binding was written for; nothing else is called.
    AbiMismatch {
        /// `scout_abi_version()` of the loaded library.
        library: u32,
        /// The version this binding speaks, [`ABI_VERSION`].
        binding: u32,
    },
}

impl ErrorCode {
    /// The code for a status, `None` for `SCOUT_OK`.
    pub fn from_status(status: ffi::scout_status) -> Option<ErrorCode> {
        Some(match status {
            ffi::SCOUT_OK => return None,
            ffi::SCOUT_INVALID_ARGUMENT => ErrorCode::InvalidArgument,
            ffi::SCOUT_TOO_LARGE => ErrorCode::TooLarge,
            ffi::SCOUT_BUFFER_TOO_SMALL => ErrorCode::BufferTooSmall,
            ffi::SCOUT_NOT_FOUND => ErrorCode::NotFound,
            ffi::SCOUT_TIMEOUT => ErrorCode::Timeout,
            ffi::SCOUT_CANCELLED => ErrorCode::Cancelled,
            ffi::SCOUT_DECRYPT_FAILED => ErrorCode::DecryptFailed,
            ffi::SCOUT_WRONG_STATE => ErrorCode::WrongState,
            ffi::SCOUT_NETWORK => ErrorCode::Network,
            ffi::SCOUT_INTERNAL => ErrorCode::Internal,
            ffi::SCOUT_CONFLICT => ErrorCode::Conflict,
            other => ErrorCode::Unknown(other),
        })
    }

    /// The library's status code, `None` for the codes only the binding
    /// reports ([`ErrorCode::AbiMismatch`]).
    pub fn status(&self) -> Option<ffi::scout_status> {
        Some(match *self {
            ErrorCode::InvalidArgument => ffi::SCOUT_INVALID_ARGUMENT,
            ErrorCode::TooLarge => ffi::SCOUT_TOO_LARGE,
            ErrorCode::BufferTooSmall => ffi::SCOUT_BUFFER_TOO_SMALL,
            ErrorCode::NotFound => ffi::SCOUT_NOT_FOUND,
            ErrorCode::Timeout => ffi::SCOUT_TIMEOUT,
            ErrorCode::Cancelled => ffi::SCOUT_CANCELLED,
            ErrorCode::DecryptFailed => ffi::SCOUT_DECRYPT_FAILED,
            ErrorCode::WrongState => ffi::SCOUT_WRONG_STATE,
            ErrorCode::Network => ffi::SCOUT_NETWORK,
            ErrorCode::Internal => ffi::SCOUT_INTERNAL,
            ErrorCode::Conflict => ffi::SCOUT_CONFLICT,
            ErrorCode::Unknown(status) => status,
            ErrorCode::AbiMismatch { .. } => return None,
        })
    }

    /// The library's static description of the code (`scout_strerror`).
    pub fn description(&self) -> String {
        match *self {
            ErrorCode::AbiMismatch { library, binding } => {
                format!("libscout speaks binary interface {library}, this binding speaks {binding}")
            }
            ErrorCode::Unknown(status) => format!("unknown status {status}"),
            _ => {
                let status = self.status().unwrap_or(ffi::SCOUT_INTERNAL);
                // SAFETY: scout_strerror takes any value and returns a
                // static, NUL-terminated string, never NULL.
                let text = unsafe { CStr::from_ptr(ffi::scout_strerror(status)) };
                text.to_string_lossy().into_owned()
            }
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// An error: what kind it is ([`Error::code`]) and the text of its cause
/// ([`Error::message`], also what `Display` prints), as the library gives
/// it (`scout_last_error`), e.g. `scout_session_new: invalid argument:
/// bootstrap node "nowhere": address nowhere: missing port in address` or
/// `scout_get_op: not found: message 5a5a...`.
///
/// Compare the code: `err.code() == ErrorCode::NotFound`, or `err ==
/// ErrorCode::NotFound`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error of this code with this text.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// What kind of error it is.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The text of its cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error for a status the library just returned on this thread,
    /// with the text it left there (`scout_last_error`); `None` for
    /// `SCOUT_OK`. Call it right after the call, on the same thread.
    pub fn from_status(status: ffi::scout_status) -> Option<Error> {
        let code = ErrorCode::from_status(status)?;
        let text = last_error();
        Some(if text.is_empty() {
            Error::from(code)
        } else {
            Error::new(code, text)
        })
    }
}

impl From<ErrorCode> for Error {
    /// An error with the code's description as its text.
    fn from(code: ErrorCode) -> Error {
        Error::new(code, format!("scout: {}", code.description()))
    }
}

impl PartialEq<ErrorCode> for Error {
    fn eq(&self, code: &ErrorCode) -> bool {
        self.code == *code
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The calling thread's error text (`scout_last_error`): the cause of the
/// last call on this thread that returned a status, or, inside a
/// completion callback, of that completion; `""` after a success.
pub fn last_error() -> String {
    let mut buf = [0u8; ffi::SCOUT_ERROR_STRLEN];
    let mut len = buf.len();
    // SAFETY: buf has len writable bytes; the call never changes the text.
    let status = unsafe { ffi::scout_last_error(buf.as_mut_ptr().cast::<c_char>(), &mut len) };
    if status != ffi::SCOUT_OK || len == 0 {
        return String::new();
    }
    String::from_utf8_lossy(&buf[..len - 1]).into_owned()
}

/// `Ok(())` for `SCOUT_OK`, the matching error (with its text) otherwise.
pub(crate) fn check(status: ffi::scout_status) -> Result<()> {
    match Error::from_status(status) {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// Runs a call that writes a variable-size output to `buf, *len`
/// (capacity in, size written out), starting with `cap` bytes and growing
/// the buffer once to the size the library asks for.
pub(crate) fn read_buf(
    cap: usize,
    mut call: impl FnMut(*mut u8, &mut usize) -> ffi::scout_status,
) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; cap.max(1)];
    for _ in 0..4 {
        let mut len = buf.len();
        match call(buf.as_mut_ptr(), &mut len) {
            ffi::SCOUT_OK if len <= buf.len() => {
                buf.truncate(len);
                return Ok(buf);
            }
            ffi::SCOUT_OK => {
                return Err(Error::new(
                    ErrorCode::Internal,
                    "scout: the library wrote more than the buffer holds",
                ))
            }
            ffi::SCOUT_BUFFER_TOO_SMALL if len > buf.len() => buf.resize(len, 0),
            status => {
                return Err(check(status)
                    .err()
                    .unwrap_or_else(|| ErrorCode::Internal.into()))
            }
        }
    }
    Err(ErrorCode::BufferTooSmall.into())
}

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// The binary interface this binding speaks, the header's
/// `SCOUT_ABI_VERSION`.
pub const ABI_VERSION: u32 = ffi::SCOUT_ABI_VERSION;

/// The loaded library's version string, e.g. `"0.1.0"`.
pub fn version() -> &'static str {
    // SAFETY: scout_version returns a static NUL-terminated string, never
    // NULL.
    let v = unsafe { CStr::from_ptr(ffi::scout_version()) };
    v.to_str().unwrap_or("?")
}

/// The loaded library's binary interface version.
pub fn abi_version() -> u32 {
    // SAFETY: no arguments; callable from any thread.
    unsafe { ffi::scout_abi_version() }
}

/// Checks once that the loaded library speaks [`ABI_VERSION`]. Every other
/// function of the safe API calls it first and refuses to go on with
/// [`ErrorCode::AbiMismatch`] if not.
pub fn check_abi() -> Result<()> {
    static ABI: OnceLock<Result<()>> = OnceLock::new();
    ABI.get_or_init(|| {
        let library = abi_version();
        if library == ABI_VERSION {
            Ok(())
        } else {
            Err(ErrorCode::AbiMismatch {
                library,
                binding: ABI_VERSION,
            }
            .into())
        }
    })
    .clone()
}

/// How many handles (entry lists, sessions, swarms) are alive in the
/// process: for tests that check nothing leaks.
pub fn handle_count() -> Result<usize> {
    check_abi()?;
    let mut n = 0usize;
    // SAFETY: n is a valid place for one size_t.
    check(unsafe { ffi::scout_handle_count(&mut n) })?;
    Ok(n)
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// Generates a new X25519 key pair from the system's random source:
/// `(secret_key, public_key)`.
pub fn generate_keypair() -> Result<(Key, Key)> {
    check_abi()?;
    let (mut sk, mut pk) = ([0u8; KEY_SIZE], [0u8; KEY_SIZE]);
    // SAFETY: both point to KEY_SIZE writable bytes.
    check(unsafe { ffi::scout_generate_keypair(sk.as_mut_ptr(), pk.as_mut_ptr()) })?;
    Ok((sk, pk))
}

/// The public key of a secret key: X25519(secret_key, 9). Any 32 bytes
/// are a valid secret key (it is clamped).
pub fn public_key(secret_key: &Key) -> Result<Key> {
    check_abi()?;
    let mut pk = [0u8; KEY_SIZE];
    // SAFETY: reads KEY_SIZE bytes, writes KEY_SIZE bytes.
    check(unsafe { ffi::scout_public_key(secret_key.as_ptr(), pk.as_mut_ptr()) })?;
    Ok(pk)
}

/// The secret shared by `secret_key`'s owner and `peer_public_key`'s owner:
/// the raw X25519 output, the same on both sides. A low-order public key
/// (whose result would be all zero) is [`ErrorCode::InvalidArgument`].
pub fn key_exchange(secret_key: &Key, peer_public_key: &Key) -> Result<Key> {
    check_abi()?;
    let mut shared = [0u8; KEY_SIZE];
    // SAFETY: reads KEY_SIZE bytes of each input, writes KEY_SIZE bytes.
    check(unsafe {
        ffi::scout_key_exchange(
            secret_key.as_ptr(),
            peer_public_key.as_ptr(),
            shared.as_mut_ptr(),
        )
    })?;
    Ok(shared)
}

/// The DHT target of the entry list two peers share: SHA1 of the ed25519
/// public key seeded by the shared secret (the BEP 44 mutable target).
pub fn shared_target(shared_secret: &Key) -> Result<Hash> {
    check_abi()?;
    let mut target = [0u8; HASH_SIZE];
    // SAFETY: reads KEY_SIZE bytes, writes HASH_SIZE bytes.
    check(unsafe { ffi::scout_shared_target(shared_secret.as_ptr(), target.as_mut_ptr()) })?;
    Ok(target)
}

/// The ed25519 public key that signs the pair's mutable item (BEP 44's
/// `k`), seeded by the shared secret.
pub fn shared_signing_key(shared_secret: &Key) -> Result<Key> {
    check_abi()?;
    let mut pk = [0u8; KEY_SIZE];
    // SAFETY: reads and writes KEY_SIZE bytes.
    check(unsafe { ffi::scout_shared_signing_key(shared_secret.as_ptr(), pk.as_mut_ptr()) })?;
    Ok(pk)
}

/// Signs a BEP 44 mutable item (no salt) with the key seeded by the shared
/// secret: ed25519 over `"3:seqi<seq>e1:v"` followed by `bencoded_v`, which
/// is signed as given.
pub fn mutable_sign(shared_secret: &Key, seq: i64, bencoded_v: &[u8]) -> Result<Signature> {
    check_abi()?;
    let mut sig = [0u8; SIGNATURE_SIZE];
    // SAFETY: the slice is valid for its length; sig has SIGNATURE_SIZE
    // writable bytes.
    check(unsafe {
        ffi::scout_mutable_sign(
            shared_secret.as_ptr(),
            seq,
            bencoded_v.as_ptr(),
            bencoded_v.len(),
            sig.as_mut_ptr(),
        )
    })?;
    Ok(sig)
}

/// Verifies a signature made as [`mutable_sign`] makes it, with the ed25519
/// public key `public_key`: `Ok(())` if valid, [`ErrorCode::DecryptFailed`] if
/// not.
pub fn mutable_verify(
    public_key: &Key,
    seq: i64,
    bencoded_v: &[u8],
    signature: &Signature,
) -> Result<()> {
    check_abi()?;
    // SAFETY: every pointer is valid for the size the header reads.
    check(unsafe {
        ffi::scout_mutable_verify(
            public_key.as_ptr(),
            seq,
            bencoded_v.as_ptr(),
            bencoded_v.len(),
            signature.as_ptr(),
        )
    })
}

// ---------------------------------------------------------------------------
// Sealing
// ---------------------------------------------------------------------------

/// Seals `plaintext` with `key` under a random nonce: nonce ‖ MAC ‖
/// ciphertext, [`SEAL_OVERHEAD`] bytes longer. More than [`MAX_PLAINTEXT`]
/// bytes is [`ErrorCode::TooLarge`].
pub fn seal(key: &Key, plaintext: &[u8]) -> Result<Vec<u8>> {
    check_abi()?;
    read_buf(plaintext.len() + SEAL_OVERHEAD, |buf, len| {
        // SAFETY: key is KEY_SIZE bytes, plaintext valid for its length;
        // read_buf passes a buffer of *len writable bytes.
        unsafe { ffi::scout_seal(key.as_ptr(), plaintext.as_ptr(), plaintext.len(), buf, len) }
    })
}

/// Seals with a nonce the caller chooses, for tests and vectors. Never use
/// a nonce twice with the same key.
pub fn seal_with_nonce(key: &Key, nonce: &Nonce, plaintext: &[u8]) -> Result<Vec<u8>> {
    check_abi()?;
    read_buf(plaintext.len() + SEAL_OVERHEAD, |buf, len| {
        // SAFETY: key and nonce are arrays of the sizes the header reads,
        // plaintext is valid for its length; buf has *len writable bytes.
        unsafe {
            ffi::scout_seal_with_nonce(
                key.as_ptr(),
                nonce.as_ptr(),
                plaintext.as_ptr(),
                plaintext.len(),
                buf,
                len,
            )
        }
    })
}

/// Checks and decrypts a sealed value. Tampered, truncated, foreign or too
/// short input (under [`MIN_SEALED_SIZE`] bytes) is
/// [`ErrorCode::DecryptFailed`].
pub fn open(key: &Key, sealed: &[u8]) -> Result<Vec<u8>> {
    check_abi()?;
    read_buf(sealed.len().saturating_sub(SEAL_OVERHEAD), |buf, len| {
        // SAFETY: key is KEY_SIZE bytes, sealed valid for its length; buf
        // has *len writable bytes.
        unsafe { ffi::scout_open(key.as_ptr(), sealed.as_ptr(), sealed.len(), buf, len) }
    })
}

// ---------------------------------------------------------------------------
// Offline message lists
// ---------------------------------------------------------------------------

/// The head of an offline message list: the DHT target of its newest
/// message, or 20 zero bytes for an empty list.
///
/// ```
/// let mut head = scout::ListHead::new();
/// let token = head.push_front(b"first message").unwrap();
/// assert_eq!(token, [0u8; scout::HASH_SIZE]); // the old head
/// assert!(!head.is_empty());
/// // Then store it: session.put(&token, b"first message") returns head.hash().
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ListHead(Hash);

impl ListHead {
    /// The head of an empty list.
    pub fn new() -> ListHead {
        ListHead([0u8; HASH_SIZE])
    }

    /// A list whose newest message has this hash.
    pub fn from_hash(hash: Hash) -> ListHead {
        ListHead(hash)
    }

    /// The hash of the newest message: where [`Session::get_list`] starts.
    pub fn hash(&self) -> Hash {
        self.0
    }

    /// Whether the list is empty (the head is 20 zero bytes).
    pub fn is_empty(&self) -> bool {
        self.0 == [0u8; HASH_SIZE]
    }

    /// Makes `msg` the newest message: moves the head to the new message's
    /// target and returns the token to store with it (the old head). Then
    /// store the message with [`Session::put`]`(&token, msg)`; it will be
    /// found at [`ListHead::hash`]. More than [`MAX_MESSAGE_SIZE`] bytes is
    /// [`ErrorCode::TooLarge`] and leaves the head alone.
    pub fn push_front(&mut self, msg: &[u8]) -> Result<Hash> {
        check_abi()?;
        let mut token = [0u8; HASH_SIZE];
        // SAFETY: self.0 is HASH_SIZE readable and writable bytes, token
        // HASH_SIZE writable bytes (a separate buffer), msg valid for its
        // length.
        check(unsafe {
            ffi::scout_list_push_front(
                self.0.as_mut_ptr(),
                msg.as_ptr(),
                msg.len(),
                token.as_mut_ptr(),
            )
        })?;
        Ok(token)
    }
}

impl From<Hash> for ListHead {
    fn from(hash: Hash) -> ListHead {
        ListHead(hash)
    }
}

/// Encodes a message blob: `next` ‖ u16 length ‖ u8 offset (0) ‖ `msg`.
pub fn message_encode(next: &Hash, msg: &[u8]) -> Result<Vec<u8>> {
    check_abi()?;
    read_buf(msg.len() + MESSAGE_HEADER_SIZE, |buf, len| {
        // SAFETY: next is HASH_SIZE bytes, msg valid for its length; buf
        // has *len writable bytes.
        unsafe { ffi::scout_message_encode(next.as_ptr(), msg.as_ptr(), msg.len(), buf, len) }
    })
}

/// Parses a message blob into `(message, next hash)`; bytes after the
/// message are ignored. A header or message that runs past the end is
/// [`ErrorCode::InvalidArgument`].
pub fn message_parse(blob: &[u8]) -> Result<(Vec<u8>, Hash)> {
    check_abi()?;
    let mut next = [0u8; HASH_SIZE];
    let msg = read_buf(blob.len(), |buf, len| {
        // SAFETY: blob is valid for its length, buf has *len writable
        // bytes, next HASH_SIZE bytes.
        unsafe { ffi::scout_message_parse(blob.as_ptr(), blob.len(), buf, len, next.as_mut_ptr()) }
    })?;
    Ok((msg, next))
}

/// A blob's DHT target: SHA1(`"<len>:"` ‖ blob).
pub fn message_hash(blob: &[u8]) -> Result<Hash> {
    check_abi()?;
    let mut hash = [0u8; HASH_SIZE];
    // SAFETY: blob is valid for its length; hash has HASH_SIZE bytes.
    check(unsafe { ffi::scout_message_hash(blob.as_ptr(), blob.len(), hash.as_mut_ptr()) })?;
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_both_ways() {
        for status in 0..=11 {
            match ErrorCode::from_status(status) {
                None => assert_eq!(status, ffi::SCOUT_OK),
                Some(e) => {
                    assert_eq!(e.status(), Some(status));
                    assert!(
                        !matches!(e, ErrorCode::Unknown(_)),
                        "status {status} is known"
                    );
                    assert!(Error::from(e).to_string().starts_with("scout: "));
                }
            }
        }
        assert_eq!(ErrorCode::from_status(99), Some(ErrorCode::Unknown(99)));
        assert_eq!(ErrorCode::Unknown(99).status(), Some(99));
        assert_eq!(
            ErrorCode::AbiMismatch {
                library: 2,
                binding: 1
            }
            .status(),
            None
        );
    }

    #[test]
    fn abi_matches() {
        assert_eq!(check_abi(), Ok(()));
        assert_eq!(abi_version(), ABI_VERSION);
        assert!(!version().is_empty());
    }
}
