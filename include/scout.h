/*
** scout.h: the C interface of Scout, a Go re-implementation of libscout.
**
** Scout keeps two kinds of data in the BitTorrent mainline DHT (BEP 44):
**
**   - an entry list shared by two peers: a small list of (id, seq, value)
**     entries, sealed with the peers' X25519 shared secret and stored as a
**     mutable item signed with a key derived from that secret; both peers
**     read it, merge it with their own and write it back
**     (scout_synchronize);
**   - offline messages: immutable items chained into a list, newest first,
**     each carrying the hash of the one before (scout_list_push_front,
**     scout_put, scout_get, scout_get_list).
**
** The library is written in Go and built as a C shared library,
** libscout.so.<SCOUT_ABI_VERSION>. Everything below is plain C99 and
** compiles as C++. The original libscout's C++ API, header-only over this
** header, is in scout/scout.hpp and scout/dht_session.hpp (MIGRATION.md).
**
** ------------------------------------------------------------------------
** ERRORS
**
** Every function that can fail returns a scout_status: SCOUT_OK (0) on
** success, another value otherwise. The values are frozen; new ones are only
** appended, so treat an unknown value like SCOUT_INTERNAL. scout_strerror()
** gives a static description of a status. A Go panic inside the library is
** recovered and reported as SCOUT_INTERNAL; it never unwinds into your code.
**
** The status says what kind of failure it was; the text of its cause is
** kept per thread (chosen over a per-operation result, so that every call
** and every completion has one): right after a function returns a status,
** scout_last_error() on the same thread gives its cause, e.g.
** `scout_session_new: bootstrap node "example.org": missing port in
** address`, and a completion callback runs with the cause of its status
** set on its thread. See "Error text and per-operation control" at the end.
**
** When a function fails, its output parameters are left unchanged unless its
** documentation says otherwise (SCOUT_BUFFER_TOO_SMALL writes the size
** needed).
**
** ------------------------------------------------------------------------
** OWNERSHIP AND BUFFERS
**
** - The caller owns every buffer it passes in. The library copies what it
**   keeps before the call returns and never keeps a pointer to caller
**   memory, with two exceptions the caller chooses: the `void *user` values
**   and the callback function pointers, which are kept and passed back
**   untouched.
** - The library hands out no heap memory: nothing it returns needs freeing,
**   except the handles, which have their own _free function. Strings it
**   returns (scout_strerror, scout_version) are static.
** - Fixed-size inputs and outputs are arrays of the SCOUT_*_SIZE below.
**   Variable-size outputs are a buffer and a `size_t *len`: on entry *len
**   is the buffer's capacity, on return the number of bytes written. If the
**   capacity is too small the function returns SCOUT_BUFFER_TOO_SMALL,
**   writes nothing to the buffer and sets *len to the size needed, so the
**   call can be repeated. A NULL buffer with *len == 0 is a valid way to ask
**   for the size. The SCOUT_MAX_* constants bound every such output.
** - Pointers passed to a callback (values, messages, hashes) point to
**   memory the library allocated for that call and frees when it returns:
**   copy what you keep. They are never NULL, even for an empty value.
**
** ------------------------------------------------------------------------
** HANDLES
**
** scout_entries, scout_session, scout_swarm and scout_op are opaque handles. Their
** values are identifiers in a registry inside the library, never pointers
** to memory, and an identifier is never reused within a process. A NULL,
** freed, stale or wrong-kind handle makes a function return
** SCOUT_INVALID_ARGUMENT; it never crashes. The _free functions accept NULL
** and already freed handles and then do nothing. Handles are 64-bit
** identifiers: this library supports 64-bit platforms only.
**
** ------------------------------------------------------------------------
** THREADS AND CALLBACKS
**
** - Every function may be called from any thread. Every handle is
**   thread-safe: calls on one handle from several threads are serialized
**   inside the library.
** - Network operations (scout_synchronize, scout_put, scout_get,
**   scout_get_list, and their _op forms) are asynchronous. An operation
**   that fails to start returns an error status and never calls any of its
**   callbacks. One that starts returns SCOUT_OK and later calls its
**   completion callback exactly once: with SCOUT_OK, with an error, or with
**   SCOUT_CANCELLED when the session is stopped or freed first, or the
**   operation is cancelled through its scout_op handle. The completion
**   callback is never called from inside the call that started the
**   operation, nor from inside scout_op_cancel.
** - Callbacks (including the log callback) run on a thread owned by the
**   library: one dispatcher thread per session, so the callbacks of one
**   session never run concurrently with each other and always run in the
**   order the library produced them. A callback that takes long delays the
**   session's other callbacks, not the network.
** - A callback may call any scout function, including starting new
**   operations, scout_session_stop and scout_session_free on its own
**   session (see scout_session_free for what that does). It must not
**   unwind (C++ exception, longjmp) out of the callback.
** - No callback of a session runs after scout_session_free returns.
** - Every callback gets the `void *user` given when the operation started,
**   as its first argument.
**
** ------------------------------------------------------------------------
** WHAT A HOST MUST KNOW ABOUT THE GO RUNTIME
**
** Loading libscout starts a Go runtime in the process (a few threads, a
** garbage-collected heap of its own, independent of malloc).
**
** - Never dlclose() the library: a Go runtime cannot be unloaded. Load it
**   once and keep it for the life of the process.
** - After fork(), the child must not call into the library (the Go
**   runtime's threads do not survive a fork); exec() is fine. Fork before
**   loading the library, or exec right away.
** - The Go runtime installs signal handlers for synchronous signals
**   (SIGSEGV, SIGBUS, SIGFPE) and for SIGPROF and SIGURG (preemption), and
**   forwards signals raised outside Go code to handlers that were installed
**   before the library was loaded. A host that installs its own handlers
**   after loading must use SA_ONSTACK and should chain to the previous
**   handler. Expect EINTR from slow system calls on any thread now and then
**   (SIGURG); retry them.
** - Memory checkers (valgrind, sanitizers) see the Go runtime's own memory
**   management; the project ships a valgrind suppression file for it.
**
** ------------------------------------------------------------------------
** VERSIONS
**
** SCOUT_ABI_VERSION is the number in the library's soname; it changes only
** when the binary interface breaks. Bindings compare scout_abi_version()
** with the number they were written for and refuse a mismatch.
*/
#ifndef SCOUT_H
#define SCOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SCOUT_API __attribute__((visibility("default")))
#else
#define SCOUT_API
#endif

/* ======================================================================
** Versions and sizes
*/

/** The binary interface this header describes: libscout.so.1. */
#define SCOUT_ABI_VERSION 1
/** The library release this header comes with, and what scout_version()
    returns. This is the version's one home: the build reads it from here,
    and a test (tests/lint/check_version.cmake) checks the bindings' copies. */
#define SCOUT_VERSION "0.2.0"

#define SCOUT_KEY_SIZE 32            /* X25519 secret, public or shared key */
#define SCOUT_HASH_SIZE 20           /* SHA-1: a DHT target, list head or token */
#define SCOUT_NONCE_SIZE 24          /* XSalsa20 nonce in front of a sealed value */
#define SCOUT_SEAL_OVERHEAD 40       /* nonce + Poly1305 MAC */
#define SCOUT_SIGNATURE_SIZE 64      /* ed25519 signature */
#define SCOUT_MAX_VALUE_SIZE 255     /* bytes in one entry's value */
#define SCOUT_MAX_ENTRIES 255        /* entries in one list */
#define SCOUT_ENTRIES_HEADER_SIZE 2  /* u8 count, u8 offset */
#define SCOUT_ENTRY_HEADER_SIZE 16   /* i64 seq, u32 id, 2 reserved, u8 length, u8 offset */
/** The largest serialized entry list (255 entries of 255 bytes). Only lists
    of at most SCOUT_MAX_PLAINTEXT bytes can be synchronized. */
#define SCOUT_MAX_ENTRIES_SIZE \
  (SCOUT_ENTRIES_HEADER_SIZE + SCOUT_MAX_ENTRIES * (SCOUT_ENTRY_HEADER_SIZE + SCOUT_MAX_VALUE_SIZE))
#define SCOUT_MAX_PLAINTEXT 956      /* largest sealable plaintext: 956 + 40 = 996 */
#define SCOUT_MAX_SEALED_SIZE 996    /* "996:" + 996 bytes = BEP 44's 1000 */
#define SCOUT_MIN_SEALED_SIZE 41     /* shorter sealed values never open */
#define SCOUT_MESSAGE_HEADER_SIZE 23 /* next hash (20), u16 length, u8 offset */
#define SCOUT_MAX_MESSAGE_SIZE 973   /* largest offline message */
#define SCOUT_MAX_BLOB_SIZE 996      /* largest message blob: 23 + 973 */
/** A buffer this large holds any address string the library returns,
    with its terminating NUL. */
#define SCOUT_ADDR_STRLEN 64

/**
** Returns the library's version string, e.g. "0.1.0". Static; never NULL.
** Thread: any.
*/
SCOUT_API const char *scout_version(void);

/**
** Returns the library's binary interface version (the SCOUT_ABI_VERSION it
** was built with). Compare it with SCOUT_ABI_VERSION to detect a header and
** library mismatch.
** Thread: any.
*/
SCOUT_API unsigned int scout_abi_version(void);

/* ======================================================================
** Status codes
*/

/** What a function or an operation ended with. Values are frozen; new ones
    are appended. */
typedef enum scout_status {
  SCOUT_OK = 0,
  /** A NULL pointer, a wrong size, malformed bytes, a low-order public key,
      or a NULL, freed, stale or wrong-kind handle. */
  SCOUT_INVALID_ARGUMENT = 1,
  /** A value, list or message exceeds a wire-format limit. */
  SCOUT_TOO_LARGE = 2,
  /** An output buffer is too small; *len holds the size needed. */
  SCOUT_BUFFER_TOO_SMALL = 3,
  /** No such entry, index, or DHT item. */
  SCOUT_NOT_FOUND = 4,
  /** The operation's deadline passed (scout_session_options.timeout_ms,
      or scout_op_options.timeout_ms). */
  SCOUT_TIMEOUT = 5,
  /** The operation was cancelled by scout_session_stop or _free, or
      through its scout_op handle (scout_op_cancel). */
  SCOUT_CANCELLED = 6,
  /** A sealed value or a signature failed to authenticate: tampered,
      truncated, or made with another key. */
  SCOUT_DECRYPT_FAILED = 7,
  /** The session is not running (not started yet, or stopped), or was
      already started. */
  SCOUT_WRONG_STATE = 8,
  /** The network refused the operation: no socket, no reachable node,
      every store refused. */
  SCOUT_NETWORK = 9,
  /** A bug inside the library (including a recovered Go panic). */
  SCOUT_INTERNAL = 10,
  /** Concurrent writers of the same entry list kept replacing each other's
      write and the retries ran out. Synchronizing again usually works. */
  SCOUT_CONFLICT = 11
} scout_status;

/**
** Returns a static, English, one-line description of status, e.g.
** "buffer too small". Unknown values give "unknown status". Never NULL.
** Thread: any.
*/
SCOUT_API const char *scout_strerror(scout_status status);

/**
** Reports how many handles (entry lists, sessions, swarms, operations) are alive in the
** process. For tests: a binding can check that it frees what it creates.
** Errors: SCOUT_INVALID_ARGUMENT if count is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_handle_count(size_t *count);

/* ======================================================================
** Keys
**
** X25519 key pairs. Two peers that exchange public keys compute the same
** 32-byte shared secret, which identifies, seals and signs their entry list.
*/

/**
** Generates a new X25519 key pair from the system's random source.
** Ownership: writes SCOUT_KEY_SIZE bytes to each of secret_key, public_key.
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL; SCOUT_INTERNAL if
** the random source fails.
** Thread: any.
*/
SCOUT_API scout_status scout_generate_keypair(uint8_t secret_key[SCOUT_KEY_SIZE],
                                              uint8_t public_key[SCOUT_KEY_SIZE]);

/**
** Computes the public key of secret_key: X25519(secret_key, 9). The secret
** key is clamped internally, so any 32 bytes are a valid secret key.
** Ownership: reads and writes SCOUT_KEY_SIZE bytes; the two may overlap.
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_public_key(const uint8_t secret_key[SCOUT_KEY_SIZE],
                                        uint8_t public_key[SCOUT_KEY_SIZE]);

/**
** Computes the secret shared by secret_key's owner and peer_public_key's
** owner: the raw X25519 output, the same on both sides. Bit 255 of the
** public key is ignored.
** Ownership: reads and writes SCOUT_KEY_SIZE bytes each.
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL or peer_public_key is
** of low order (the result would be all zero; the original accepted it).
** Thread: any.
*/
SCOUT_API scout_status scout_key_exchange(const uint8_t secret_key[SCOUT_KEY_SIZE],
                                          const uint8_t peer_public_key[SCOUT_KEY_SIZE],
                                          uint8_t shared_secret[SCOUT_KEY_SIZE]);

/**
** Computes the DHT target of the entry list two peers share:
** SHA1(ed25519 public key seeded by shared_secret), the BEP 44 mutable
** target (no salt).
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_shared_target(const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                           uint8_t target[SCOUT_HASH_SIZE]);

/**
** Computes the ed25519 public key that signs the pair's mutable item: the
** key whose 32-byte seed is shared_secret (BEP 44's "k").
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_shared_signing_key(const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                                uint8_t public_key[SCOUT_KEY_SIZE]);

/**
** Signs a BEP 44 mutable item (no salt) with the key seeded by
** shared_secret: ed25519 over "3:seqi<seq>e1:v" followed by bencoded_v.
** bencoded_v is the bencoded value ("<len>:" followed by the sealed list),
** exactly as stored in the DHT; it is signed as given, not checked.
** Ownership: reads len bytes of bencoded_v (may be NULL if len is 0);
** writes SCOUT_SIGNATURE_SIZE bytes to signature.
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_mutable_sign(const uint8_t shared_secret[SCOUT_KEY_SIZE], int64_t seq,
                                          const uint8_t *bencoded_v, size_t len,
                                          uint8_t signature[SCOUT_SIGNATURE_SIZE]);

/**
** Verifies a BEP 44 mutable item's signature made as scout_mutable_sign
** makes it, with the ed25519 public key public_key.
** Returns SCOUT_OK if the signature is valid, SCOUT_DECRYPT_FAILED if not.
** Errors: SCOUT_INVALID_ARGUMENT if a pointer is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_mutable_verify(const uint8_t public_key[SCOUT_KEY_SIZE], int64_t seq,
                                            const uint8_t *bencoded_v, size_t len,
                                            const uint8_t signature[SCOUT_SIGNATURE_SIZE]);

/* ======================================================================
** Entry lists
**
** An entry list is an ordered list of entries with unique 32-bit ids; each
** entry has a 64-bit sequence number and a value of at most
** SCOUT_MAX_VALUE_SIZE bytes. When two lists are merged, the entry with
** the higher seq wins. The list keeps insertion order (the wire format does
** not sort).
*/

/** An entry list. Opaque handle; see HANDLES above. */
typedef struct scout_entries scout_entries;

/**
** Creates an empty entry list.
** Ownership: *out receives a handle that the caller frees with
** scout_entries_free.
** Errors: SCOUT_INVALID_ARGUMENT if out is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_new(scout_entries **out);

/**
** Creates a copy of entries, sharing nothing with it.
** Ownership: *out receives a new handle that the caller frees.
** Errors: SCOUT_INVALID_ARGUMENT if out is NULL or entries is not a live
** handle.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_clone(const scout_entries *entries, scout_entries **out);

/**
** Frees an entry list. NULL and already freed handles are ignored.
** Thread: any. A call using the handle on another thread at the same time
** either completes first or fails with SCOUT_INVALID_ARGUMENT.
*/
SCOUT_API void scout_entries_free(scout_entries *entries);

/**
** Reports how many entries the list holds.
** Errors: SCOUT_INVALID_ARGUMENT for a NULL count or a bad handle.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_count(const scout_entries *entries, size_t *count);

/**
** Adds an entry with this id and value, or updates the existing one's
** value; either way the entry's seq is incremented (a new entry gets seq 1)
** and it is marked changed, so the next scout_synchronize publishes it.
** Ownership: copies len bytes of value (which may be NULL if len is 0);
** writes the new seq to *seq unless seq is NULL.
** Errors: SCOUT_INVALID_ARGUMENT (bad handle, NULL value with len > 0),
** SCOUT_TOO_LARGE (len > SCOUT_MAX_VALUE_SIZE, or a new id in a list of
** SCOUT_MAX_ENTRIES).
** Thread: any.
*/
SCOUT_API scout_status scout_entries_assign(scout_entries *entries, uint32_t id, const uint8_t *value,
                                            size_t len, int64_t *seq);

/**
** Adds or replaces the entry with this id, with exactly this seq and value,
** as received from elsewhere (it is not marked changed).
** Ownership: copies len bytes of value (may be NULL if len is 0).
** Errors: as scout_entries_assign.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_set(scout_entries *entries, uint32_t id, int64_t seq,
                                         const uint8_t *value, size_t len);

/**
** Looks up the entry with this id.
** Ownership: writes its seq to *seq unless seq is NULL, and its value to
** value / *len (see OWNERSHIP AND BUFFERS); value and len may both be NULL
** to skip the value. SCOUT_MAX_VALUE_SIZE bytes always suffice.
** Errors: SCOUT_NOT_FOUND if no entry has this id; SCOUT_BUFFER_TOO_SMALL
** (*len set to the value's size, nothing else written);
** SCOUT_INVALID_ARGUMENT for a bad handle or a NULL len with a buffer.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_get(const scout_entries *entries, uint32_t id, int64_t *seq,
                                         uint8_t *value, size_t *len);

/**
** Reads the entry at position index (0-based, in list order), to iterate.
** Ownership: as scout_entries_get, plus its id to *id unless id is NULL.
** Errors: SCOUT_NOT_FOUND if index >= count; otherwise as scout_entries_get.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_at(const scout_entries *entries, size_t index, uint32_t *id,
                                        int64_t *seq, uint8_t *value, size_t *len);

/**
** Removes the entry with this id; the others keep their order. The removal
** reaches the other peers: the entry becomes a tombstone, which the
** accessors (count, get, at) do not show, with an empty value and its seq
** plus one, marked as changed, so that the next scout_synchronize
** publishes it and it wins over the entry's older copies wherever the
** list is merged (the original libscout reads a tombstone as an entry
** with an empty value). scout_entries_assign brings the entry back.
** Tombstones are dropped after scout_session_options.tombstone_ttl_ms.
** Errors: SCOUT_NOT_FOUND if no entry has this id; SCOUT_INVALID_ARGUMENT
** for a bad handle.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_remove(scout_entries *entries, uint32_t id);

/**
** Serializes the list in the wire format (the plaintext that is sealed):
** u8 count, u8 offset (0), then each entry.
** Ownership: writes to buf / *len (see OWNERSHIP AND BUFFERS);
** SCOUT_MAX_ENTRIES_SIZE bytes always suffice.
** Errors: SCOUT_BUFFER_TOO_SMALL (*len set to the size needed);
** SCOUT_INVALID_ARGUMENT for a bad handle or a NULL len.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_serialize(const scout_entries *entries, uint8_t *buf, size_t *len);

/**
** Parses a list in the wire format. Offsets and reserved bytes are
** honoured as the format says; bytes after the last entry are ignored and
** their start is reported in *consumed. Should an id appear twice, the
** entry with the higher seq is kept.
** Ownership: copies from buf (may be NULL if len is 0). On success *out
** receives a new handle that the caller frees; *consumed (unless NULL)
** receives the number of bytes read.
** Errors: SCOUT_INVALID_ARGUMENT for truncated or inconsistent input (no
** handle is created) or a NULL out.
** Thread: any.
*/
SCOUT_API scout_status scout_entries_parse(const uint8_t *buf, size_t len, scout_entries **out,
                                           size_t *consumed);

/* ======================================================================
** Sealing
**
** An entry list is stored sealed: nonce (24) || Poly1305 MAC (16) ||
** XSalsa20 ciphertext, NaCl's crypto_secretbox_easy with the nonce in
** front, keyed with the pair's shared secret. scout_synchronize does this
** itself; these functions are for tests, vectors and tools.
*/

/**
** Seals plaintext with key under a random nonce.
** Ownership: reads len bytes of plaintext (may be NULL if len is 0); writes
** len + SCOUT_SEAL_OVERHEAD bytes to sealed / *sealed_len. The buffers may
** overlap.
** Errors: SCOUT_TOO_LARGE if len > SCOUT_MAX_PLAINTEXT;
** SCOUT_BUFFER_TOO_SMALL; SCOUT_INVALID_ARGUMENT for NULL pointers.
** Thread: any.
*/
SCOUT_API scout_status scout_seal(const uint8_t key[SCOUT_KEY_SIZE], const uint8_t *plaintext, size_t len,
                                  uint8_t *sealed, size_t *sealed_len);

/**
** Seals with a nonce the caller chooses, for tests and vectors. Never use
** a nonce twice with the same key. Otherwise as scout_seal.
** Thread: any.
*/
SCOUT_API scout_status scout_seal_with_nonce(const uint8_t key[SCOUT_KEY_SIZE],
                                             const uint8_t nonce[SCOUT_NONCE_SIZE], const uint8_t *plaintext,
                                             size_t len, uint8_t *sealed, size_t *sealed_len);

/**
** Checks and decrypts a sealed value.
** Ownership: reads len bytes of sealed; writes len - SCOUT_SEAL_OVERHEAD
** bytes to plaintext / *plaintext_len. The buffers may overlap.
** Errors: SCOUT_DECRYPT_FAILED if sealed is shorter than
** SCOUT_MIN_SEALED_SIZE or fails to authenticate (as the original, a seal
** of an empty plaintext is refused); SCOUT_BUFFER_TOO_SMALL;
** SCOUT_INVALID_ARGUMENT for NULL pointers.
** Thread: any.
*/
SCOUT_API scout_status scout_open(const uint8_t key[SCOUT_KEY_SIZE], const uint8_t *sealed, size_t len,
                                  uint8_t *plaintext, size_t *plaintext_len);

/* ======================================================================
** Offline message lists
**
** A message is stored as an immutable item whose value is a blob:
** next hash (20) || u16 length || u8 offset || [offset bytes] || message.
** Its DHT target is SHA1("<blob length>:" || blob). A list's head is the
** target of its newest message; each message's next hash (its token) is the
** head before it was pushed, and 20 zero bytes end the list.
*/

/**
** Makes msg the newest message of the list whose head is *head: writes the
** token to store with the message (the old head) to token, and moves head
** to the new message's target. Then store the message with
** scout_put(session, token, msg, len, ...): it will be found at the new
** head. Start a new list with a head of 20 zero bytes.
** Ownership: reads len bytes of msg (may be NULL if len is 0); head is read
** and written; writes SCOUT_HASH_SIZE bytes to token. head and token may
** be the same buffer only if you do not need the token.
** Errors: SCOUT_TOO_LARGE if len > SCOUT_MAX_MESSAGE_SIZE (head unchanged);
** SCOUT_INVALID_ARGUMENT for NULL pointers.
** Thread: any.
*/
SCOUT_API scout_status scout_list_push_front(uint8_t head[SCOUT_HASH_SIZE], const uint8_t *msg, size_t len,
                                             uint8_t token[SCOUT_HASH_SIZE]);

/**
** Encodes a message blob: next || u16 length || u8 offset (0) || msg.
** Ownership: writes len + SCOUT_MESSAGE_HEADER_SIZE bytes to blob /
** *blob_len.
** Errors: SCOUT_TOO_LARGE if len > SCOUT_MAX_MESSAGE_SIZE;
** SCOUT_BUFFER_TOO_SMALL; SCOUT_INVALID_ARGUMENT for NULL pointers.
** Thread: any.
*/
SCOUT_API scout_status scout_message_encode(const uint8_t next[SCOUT_HASH_SIZE], const uint8_t *msg,
                                            size_t len, uint8_t *blob, size_t *blob_len);

/**
** Parses a message blob; bytes after the message are ignored.
** Ownership: writes the message to msg / *msg_len (SCOUT_MAX_BLOB_SIZE
** bytes always suffice) and the next hash to next.
** Errors: SCOUT_INVALID_ARGUMENT if the header or message runs past the
** end, or for NULL pointers; SCOUT_BUFFER_TOO_SMALL (*msg_len set to the
** size needed, next not written).
** Thread: any.
*/
SCOUT_API scout_status scout_message_parse(const uint8_t *blob, size_t len, uint8_t *msg, size_t *msg_len,
                                           uint8_t next[SCOUT_HASH_SIZE]);

/**
** Computes a blob's DHT target: SHA1("<len>:" || blob).
** Errors: SCOUT_INVALID_ARGUMENT for NULL pointers.
** Thread: any.
*/
SCOUT_API scout_status scout_message_hash(const uint8_t *blob, size_t len, uint8_t hash[SCOUT_HASH_SIZE]);

/* ======================================================================
** Sessions
**
** A session is a DHT node running in the background. Create it with
** scout_session_new, start it, run operations, stop it, free it.
*/

/** A DHT node. Opaque handle; see HANDLES above. */
typedef struct scout_session scout_session;

/** Log levels, the numbers of Go's log/slog. */
#define SCOUT_LOG_DEBUG (-4)
#define SCOUT_LOG_INFO 0
#define SCOUT_LOG_WARN 4
#define SCOUT_LOG_ERROR 8

/**
** Receives one diagnostic line. level is one of SCOUT_LOG_*; message is a
** NUL-terminated line without a trailing newline, valid during the call.
** Runs on the session's dispatcher thread, like the other callbacks; lines
** produced faster than the callback consumes them may be dropped.
*/
typedef void (*scout_log_fn)(void *user, int level, const char *message);

/** An operation's deadline when scout_session_options.timeout_ms is 0: 30 s
    (the Go API's scout.DefaultTimeout). */
#define SCOUT_DEFAULT_TIMEOUT_MS 30000

/** Whether a session maps its UDP port on the home router
    (scout_session_options.port_map). Values are frozen. */
typedef enum scout_port_map {
  /** The default: map when the session is a full node of the public DHT
      behind a router: not read-only, joining through the public routers
      (bootstrap NULL and SCOUT_BOOTSTRAP unset), listening on all IPv4
      interfaces or on a LAN or public IPv4 address. Never for loopback,
      link-local or IPv6 addresses, for test swarms and private networks
      (any other bootstrap list), nor for read-only sessions. */
  SCOUT_PORT_MAP_AUTO = 0,
  /** Map whatever the address and bootstrap list. */
  SCOUT_PORT_MAP_ON = 1,
  /** Never map. */
  SCOUT_PORT_MAP_OFF = 2
} scout_port_map;

/** Which DHTs a session joins (scout_session_options.families): BEP 32
    makes the IPv4 and the IPv6 DHT two DHTs, each with its own nodes. A
    session that joins both runs a node and a routing table per family,
    sharing one store and one port. Values are frozen. */
typedef enum scout_families {
  /** The default: both when listen_addr's host is empty (NULL, "" or
      ":PORT") and an IPv6 socket can be bound on the port, both when
      listen_addr6 is set; otherwise the family of listen_addr's host. */
  SCOUT_FAMILIES_AUTO = 0,
  /** The IPv4 DHT alone. */
  SCOUT_FAMILIES_IPV4 = 1,
  /** The IPv6 DHT alone (BEP 32). */
  SCOUT_FAMILIES_IPV6 = 2,
  /** Both, an IPv4 and an IPv6 socket on one port (or listen_addr6's):
      every put is written to both DHTs' closest nodes and every get asks
      both. listen_addr, if set, is then the IPv4 address. */
  SCOUT_FAMILIES_DUAL_STACK = 3
} scout_families;

/**
** How to run a session. Initialize with scout_session_options_init, then
** set the fields you need: zero or NULL means "default" everywhere. Fields
** are only ever appended; `size` tells the library which ones you know.
** The library copies everything it needs during scout_session_new.
*/
typedef struct scout_session_options {
  /** sizeof(scout_session_options), as set by scout_session_options_init. */
  size_t size;
  /** UDP address to bind, "host:port" ("[host]:port" for IPv6). NULL or
      "": all interfaces on a random port in 49152-65535, IPv4 and, where
      the machine has it, IPv6 (see families). Port 0: the system
      chooses. The host says the family: "127.0.0.1:0" is IPv4 only,
      "[::1]:0" IPv6 only, ":6881" both. */
  const char *listen_addr;
  /** Comma-separated "host:port" nodes to join the DHT through. NULL: the
      nodes the environment variable SCOUT_BOOTSTRAP lists, in the same
      form, when it is set and lists any (read by scout_session_new; a
      malformed one is SCOUT_INVALID_ARGUMENT), else the public mainline
      routers. "": none (only the state file's nodes). Tests and local
      swarms pass scout_swarm_bootstrap's address. */
  const char *bootstrap;
  /** File keeping the node id and good nodes between runs. NULL or "":
      none. */
  const char *state_file;
  /** Deadline of each operation, in milliseconds. 0: SCOUT_DEFAULT_TIMEOUT_MS. */
  uint32_t timeout_ms;
  /** Nonzero: announce the node as read-only (BEP 43): it asks but never
      answers, so a short-lived node is not routed through. */
  int read_only;
  /** Receives diagnostics. NULL: nothing is logged. */
  scout_log_fn log;
  /** Passed to log as its first argument. */
  void *log_user;
  /** The least severe level passed to log; 0 is SCOUT_LOG_INFO. */
  int log_level;
  /* ---- Appended after release 0.2.0 ---- */
  /** Always 0; the library ignores it. In release 0.2.0 these bytes were
      the struct's tail padding (sizeof was 64), which a caller may have
      left uninitialized: a field here could not be told from garbage, so
      the appended fields start after it. */
  int reserved;
  /** A scout_port_map: whether to map the session's UDP port on the home
      router with PCP, NAT-PMP or UPnP IGD. 0: SCOUT_PORT_MAP_AUTO. The
      mapping is made in the background once the session has started and
      removed by scout_session_stop; scout_session_port_mapping reports
      it. Another value is SCOUT_INVALID_ARGUMENT from scout_session_new. */
  int port_map;
  /** How long the tombstone of a removed entry (scout_entries_remove)
      stays in the list, in milliseconds: scout_synchronize leaves out of
      what it writes the tombstones removed longer ago (a peer that has
      not synchronized for longer may bring the entry back). 0: 30 days;
      negative: forever. */
  int64_t tombstone_ttl_ms;
  /** Nonzero: report removals. entry_updated (scout_synchronize,
      scout_watch) is also called for a removed entry, with its
      tombstone's seq and an empty value (len 0). 0: lists and callbacks
      hide removed entries (scout_watch reports them to entry_removed). */
  int show_removed;
  /** Nonzero: readers keep alive what they read: scout_get and
      scout_get_list put each message they read again, scout_watch the
      entry list (at most once per half hour), byte for byte, to the
      closest nodes that answered, in the background. */
  int refresh_on_read;
  /* ---- Appended with scout_session_stats (see "Statistics") ---- */
  /** The IPv6 address of a dual-stack session whose listen_addr is an
      IPv4 one, "[host]:port", e.g. "[::1]:0". NULL or "": all IPv6
      interfaces on listen_addr's port. Setting it makes
      SCOUT_FAMILIES_AUTO dual-stack; with an IPv6 listen_addr it is
      SCOUT_INVALID_ARGUMENT. */
  const char *listen_addr6;
  /** A scout_families: which DHTs the node joins. 0: SCOUT_FAMILIES_AUTO.
      Another value, or one that contradicts listen_addr (an IPv6 address
      with SCOUT_FAMILIES_IPV4, say), is SCOUT_INVALID_ARGUMENT from
      scout_session_new. */
  int families;
  /* Limits: what any one source (an IPv4 address, or an IPv6 /64) may ask
     of the node, and the bytes it sends. Zero means the default, which a
     public node can live with; scout_stats.rate_limited and send_dropped
     count what they refuse. */
  /** The bursts of each source's token bucket of queries. 0: 100. */
  uint32_t query_burst;
  /** The queries a second each source's bucket refills with. 0: 20. A
      negative, NaN or infinite rate is SCOUT_INVALID_ARGUMENT. */
  double query_rate;
  /** How long a source over its rate is ignored, in milliseconds. 0: a
      minute. */
  uint32_t block_ms;
  /** The bytes the node may send a second (the original libscout ran at
      8000). 0: no bound. */
  uint32_t send_rate;
  /** Nonzero: the limits apply to loopback sources too, which are exempt
      by default (a test swarm is all on 127.0.0.1 or ::1). */
  int limit_loopback;
} scout_session_options;

/**
** Sets opts->size and every other field to zero: all defaults.
** Errors: SCOUT_INVALID_ARGUMENT if opts is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_session_options_init(scout_session_options *opts);

/**
** Creates a session, not yet started. opts may be NULL for all defaults
** (which joins the public DHT when started).
** Ownership: copies the options' strings; keeps log and log_user. *out
** receives a handle that the caller frees with scout_session_free.
** Errors: SCOUT_INVALID_ARGUMENT for a NULL out, an opts->size smaller
** than this header's first release or with unknown nonzero fields beyond
** this library's, or unusable options (e.g. a malformed address, a
** port_map that is no scout_port_map). The struct of an older header
** (a smaller opts->size) is fine: the fields it lacks take their defaults.
** Thread: any.
*/
SCOUT_API scout_status scout_session_new(const scout_session_options *opts, scout_session **out);

/**
** Binds the socket, loads the state file and joins the DHT through the
** bootstrap nodes (and the nodes the state file remembers). Blocks until a
** first lookup of the node's own id has ended: milliseconds when a node
** answers, at most a few seconds when none does. A session whose bootstrap
** nodes do not answer still starts: it keeps trying every few seconds in
** the background, and operations finish with SCOUT_NETWORK until a node
** answers.
** Errors: SCOUT_WRONG_STATE if the session was already started or stopped
** (a session runs once); SCOUT_NETWORK if the socket cannot be bound;
** SCOUT_CANCELLED if the session is freed meanwhile;
** SCOUT_INVALID_ARGUMENT for a bad handle.
** Thread: any.
*/
SCOUT_API scout_status scout_session_start(scout_session *session);

/**
** Stops the node: every operation in flight ends with SCOUT_CANCELLED
** (delivered to its callback on the dispatcher thread, after this call
** returns), the state file is saved, the socket closed. New operations
** fail with SCOUT_WRONG_STATE. Stopping a stopped session does nothing.
** Called from one of this session's callbacks, it returns at once and the
** node finishes stopping in the background.
** Errors: SCOUT_WRONG_STATE if the session was never started;
** SCOUT_INVALID_ARGUMENT for a bad handle, or when the state file could
** not be written to the path given (the session is stopped regardless).
** Thread: any.
*/
SCOUT_API scout_status scout_session_stop(scout_session *session);

/**
** Stops the session if it runs and frees it. Every operation still pending
** gets its completion callback with SCOUT_CANCELLED before this function
** returns, and no callback of the session runs after it returns: it waits
** for a callback running on the dispatcher thread to finish. NULL and
** already freed handles are ignored.
** Called from one of this session's own callbacks, it delivers the pending
** completions right there (nested in the running callback), returns, and
** the node finishes stopping in the background.
** Thread: any. Do not call it from a callback of another session that is
** itself being freed from this session's callback (that waits in a cycle).
*/
SCOUT_API void scout_session_free(scout_session *session);

/**
** Writes the address the session's socket is bound to, as a NUL-terminated
** "ip:port" string ("[ip]:port" for IPv6), to buf / *len; *len counts the
** NUL. SCOUT_ADDR_STRLEN bytes always suffice.
** Errors: SCOUT_WRONG_STATE if the session has not been started;
** SCOUT_BUFFER_TOO_SMALL; SCOUT_INVALID_ARGUMENT for a bad handle or NULL
** len.
** Thread: any.
*/
SCOUT_API scout_status scout_session_addr(const scout_session *session, char *buf, size_t *len);

/**
** Writes the UDP port the session's socket is bound to.
** Errors: as scout_session_addr.
** Thread: any.
*/
SCOUT_API scout_status scout_session_port(const scout_session *session, uint16_t *port);

/* ----------------------------------------------------------------------
** Synchronizing an entry list
*/

/**
** Called once for each entry read from the DHT that is new or newer than
** the local one, after merging and before finalize. value is valid during
** the call.
*/
typedef void (*scout_entry_updated_fn)(void *user, uint32_t id, int64_t seq, const uint8_t *value,
                                       size_t len);

/**
** Called once with the merged list just before it is sealed and written.
** The callback may change it with the scout_entries_* functions (assign,
** set, remove). The handle is valid only during the call: it is freed when
** the callback returns, and must not be given to scout_entries_free.
*/
typedef void (*scout_finalize_fn)(void *user, scout_entries *entries);

/**
** Completion of scout_synchronize. On SCOUT_OK, seq is the mutable item's
** sequence number as written, stored the number of DHT nodes that
** acknowledged the write, and failed the number of copies found that did
** not open (tampered or written by someone else); otherwise all three are 0.
*/
typedef void (*scout_sync_finished_fn)(void *user, scout_status status, int64_t seq, uint32_t stored,
                                       uint32_t failed);

/**
** Synchronizes an entry list with the DHT, the original's synchronize():
** reads the list the two peers share (identified and sealed by
** shared_secret), merges it into a copy of entries (higher seq wins),
** calls entry_updated for each entry that changed, calls finalize with the
** merged list, then seals, signs and writes it. On success the caller's
** entries handle is replaced with the list as written, just before
** finished runs with SCOUT_OK (if the handle is still alive); on failure it
** is left alone. Changes made to entries meanwhile are overwritten.
** Ownership: copies shared_secret and the list before returning; keeps the
** callbacks and user. Every callback may be NULL.
** Errors (returned; no callback runs): SCOUT_INVALID_ARGUMENT for a bad
** handle or NULL shared_secret; SCOUT_WRONG_STATE if the session is not
** running. Errors of the operation (to finished): SCOUT_TIMEOUT,
** SCOUT_NETWORK, SCOUT_CONFLICT, SCOUT_TOO_LARGE (the merged list does not
** fit once sealed), SCOUT_CANCELLED.
** Thread: any; the callbacks run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_synchronize(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                         scout_entries *entries, scout_entry_updated_fn entry_updated,
                                         scout_finalize_fn finalize, scout_sync_finished_fn finished,
                                         void *user);

/* ----------------------------------------------------------------------
** Offline messages
*/

/**
** Completion of scout_put. On SCOUT_OK, hash is the stored item's target
** (the list's new head) and stored the number of nodes that acknowledged
** it; otherwise hash is 20 zero bytes and stored 0. hash is valid during
** the call.
*/
typedef void (*scout_put_finished_fn)(void *user, scout_status status, const uint8_t hash[SCOUT_HASH_SIZE],
                                      uint32_t stored);

/**
** Stores msg as an immutable item whose next hash is token (from
** scout_list_push_front), the original's put().
** Ownership: copies token and msg (may be NULL if len is 0) before
** returning; keeps finished and user. finished may be NULL.
** Errors (returned; no callback runs): SCOUT_TOO_LARGE if len >
** SCOUT_MAX_MESSAGE_SIZE; SCOUT_INVALID_ARGUMENT for a bad handle or NULL
** pointers; SCOUT_WRONG_STATE if the session is not running. Errors of the
** operation: SCOUT_TIMEOUT, SCOUT_NETWORK, SCOUT_CANCELLED.
** Thread: any; finished runs on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_put(scout_session *session, const uint8_t token[SCOUT_HASH_SIZE], const uint8_t *msg,
                                 size_t len, scout_put_finished_fn finished, void *user);

/**
** Completion of scout_get. On SCOUT_OK, msg / len is the message and next
** the hash of the next (older) message, 20 zero bytes at the list's end.
** Otherwise len is 0 and next is zero. msg is never NULL; both pointers
** are valid during the call.
*/
typedef void (*scout_get_received_fn)(void *user, scout_status status, const uint8_t *msg, size_t len,
                                      const uint8_t next[SCOUT_HASH_SIZE]);

/**
** Fetches the message stored under hash, the original's get().
** Ownership: copies hash; keeps received and user. received may be NULL.
** Errors (returned; no callback runs): SCOUT_INVALID_ARGUMENT for a bad
** handle or NULL hash; SCOUT_WRONG_STATE if the session is not running.
** Errors of the operation: SCOUT_NOT_FOUND (no node holds it),
** SCOUT_TIMEOUT, SCOUT_NETWORK, SCOUT_CANCELLED.
** Thread: any; received runs on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_get(scout_session *session, const uint8_t hash[SCOUT_HASH_SIZE],
                                 scout_get_received_fn received, void *user);

/**
** One message of a list walked by scout_get_list: its hash (target), the
** message and the next hash. Pointers are valid during the call.
*/
typedef void (*scout_list_message_fn)(void *user, const uint8_t hash[SCOUT_HASH_SIZE], const uint8_t *msg,
                                      size_t len, const uint8_t next[SCOUT_HASH_SIZE]);

/**
** Completion of scout_get_list: status of the walk and the number of
** messages delivered to message before it.
*/
typedef void (*scout_list_finished_fn)(void *user, scout_status status, size_t count);

/**
** Walks the message list from head, newest first, for at most max
** messages (0: until the list ends). Once the walk ends, message is called
** for each message read, in order, then finished once; all of them run in
** a row on the dispatcher thread. If a message in the middle cannot be
** read, the messages before it are delivered and finished gets the error
** (e.g. SCOUT_NOT_FOUND). A head of 20 zero bytes is an empty list:
** finished(SCOUT_OK, 0).
** Ownership: copies head; keeps the callbacks and user, which may be NULL.
** Errors (returned; no callback runs): SCOUT_INVALID_ARGUMENT for a bad
** handle or NULL head; SCOUT_WRONG_STATE if the session is not running.
** Thread: any; the callbacks run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_get_list(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE], size_t max,
                                      scout_list_message_fn message, scout_list_finished_fn finished,
                                      void *user);

/* ======================================================================
** Loopback swarm
**
** A set of real DHT nodes on 127.0.0.1 in this process, for tests and
** local development: start one, pass scout_swarm_bootstrap's address as
** scout_session_options.bootstrap, and sessions talk to each other without
** the public DHT. scout_swarm_start_opts (appended, at the end of this
** header) starts one on an emulated internet instead, with round trips,
** loss and nodes that die.
*/

/** A running loopback swarm. Opaque handle; see HANDLES above. */
typedef struct scout_swarm scout_swarm;

/**
** Starts nodes DHT nodes on 127.0.0.1 (0: 32) and returns once they know
** each other. port is the first node's UDP port, the others follow; 0 lets
** the system choose every port.
** Ownership: *out receives a handle that the caller frees with
** scout_swarm_free.
** Errors: SCOUT_INVALID_ARGUMENT for a NULL out; SCOUT_NETWORK if a socket
** cannot be bound; SCOUT_TIMEOUT if the nodes do not join within 2 minutes.
** Thread: any; blocks.
*/
SCOUT_API scout_status scout_swarm_start(uint32_t nodes, uint16_t port, scout_swarm **out);

/**
** Writes the swarm's bootstrap address, a NUL-terminated
** "127.0.0.1:PORT" ("[::1]:PORT" for a swarm started with
** scout_swarm_options.ipv6), to buf / *len (*len counts the NUL).
** Errors: SCOUT_BUFFER_TOO_SMALL; SCOUT_INVALID_ARGUMENT for a bad handle
** or NULL len.
** Thread: any.
*/
SCOUT_API scout_status scout_swarm_bootstrap(const scout_swarm *swarm, char *buf, size_t *len);

/**
** Stops every node of the swarm and frees it. NULL and already freed
** handles are ignored. Sessions bootstrapped from it keep running but lose
** their peers.
** Thread: any; blocks until the nodes are closed.
*/
SCOUT_API void scout_swarm_free(scout_swarm *swarm);

/* ======================================================================
** Error text and per-operation control
**
** Appended to ABI 1 in release 0.2.0: every function above keeps its
** signature and meaning. A program that needs these checks
** scout_version() (or that the symbols resolve) before calling them.
*/

/** A buffer this large holds any text scout_last_error writes, with its
    terminating NUL. */
#define SCOUT_ERROR_STRLEN 512

/**
** Writes the cause of the calling thread's last failure: a NUL-terminated,
** one-line English text, "<function>: <cause>", e.g.
** `scout_session_new: bootstrap node "example.org": missing port in
** address` or `scout_get: not found: no node holds 2c26b46b...`.
**
** Which failure it describes, per thread (the library keeps one text per
** thread; nothing is shared between threads):
**   - every function that returns a scout_status sets it: to the cause of
**     its failure when it returns anything but SCOUT_OK, to "" when it
**     returns SCOUT_OK. scout_last_error itself never changes it. Functions
**     that return no status (scout_version, scout_abi_version,
**     scout_strerror, the _free functions) leave it alone;
**   - a completion callback (scout_sync_finished_fn, scout_put_finished_fn,
**     scout_get_received_fn, scout_list_finished_fn) runs with its thread's
**     text set to the cause of its status ("" for SCOUT_OK), so that the
**     callback can read it. Other callbacks leave it alone.
** So read it right after the call that failed, or first thing in the
** completion callback, before calling another scout function on that
** thread. A text longer than SCOUT_ERROR_STRLEN - 1 bytes is cut at a
** UTF-8 character boundary.
** Ownership: writes to buf / *len (see OWNERSHIP AND BUFFERS; *len counts
** the NUL, so the text "" gives *len == 1); SCOUT_ERROR_STRLEN bytes always
** suffice.
** Errors: SCOUT_BUFFER_TOO_SMALL (*len set to the size needed, the text
** kept for another try); SCOUT_INVALID_ARGUMENT if len is NULL.
** Thread: any; it reads the calling thread's text.
*/
SCOUT_API scout_status scout_last_error(char *buf, size_t *len);

/**
** One network operation started through a scout_*_op function, for
** cancelling it. Opaque handle; see HANDLES above. It lives until
** scout_op_free, whether the operation has ended or not: freeing it lets
** the operation go on (it does not cancel), and cancelling an operation
** that has ended is a harmless SCOUT_WRONG_STATE.
*/
typedef struct scout_op scout_op;

/**
** How to run one operation. Initialize with scout_op_options_init, then set
** the fields you need: zero means "default". Fields are only ever appended;
** `size` tells the library which ones you know. Read during the call that
** starts the operation only.
*/
typedef struct scout_op_options {
  /** sizeof(scout_op_options), as set by scout_op_options_init. */
  size_t size;
  /** This operation's deadline in milliseconds, counted from its start.
      0: the session's (scout_session_options.timeout_ms). It may be
      shorter or longer than the session's. When it passes, the operation
      completes with SCOUT_TIMEOUT. */
  uint32_t timeout_ms;
} scout_op_options;

/**
** Sets opts->size and every other field to zero: all defaults.
** Errors: SCOUT_INVALID_ARGUMENT if opts is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_op_options_init(scout_op_options *opts);

/**
** scout_synchronize with per-operation control: the same arguments and
** callbacks, the same promises, plus opts (NULL: all defaults) and op.
** If op is not NULL and the operation starts, *op receives a handle that
** cancels it (scout_op_cancel) and that the caller frees with scout_op_free;
** if op is NULL, no handle is made. If the operation does not start, *op is
** left alone and no callback runs.
** Errors (returned; no callback runs): those of scout_synchronize, and
** SCOUT_INVALID_ARGUMENT for an opts->size smaller than this header's first
** scout_op_options or with unknown nonzero fields beyond this library's.
** Thread: any; the callbacks run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_synchronize_op(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                            scout_entries *entries, const scout_op_options *opts, scout_op **op,
                                            scout_entry_updated_fn entry_updated, scout_finalize_fn finalize,
                                            scout_sync_finished_fn finished, void *user);

/**
** scout_put with per-operation control; opts and op as for
** scout_synchronize_op.
** Thread: any; finished runs on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_put_op(scout_session *session, const uint8_t token[SCOUT_HASH_SIZE], const uint8_t *msg,
                                    size_t len, const scout_op_options *opts, scout_op **op,
                                    scout_put_finished_fn finished, void *user);

/**
** scout_get with per-operation control; opts and op as for
** scout_synchronize_op.
** Thread: any; received runs on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_get_op(scout_session *session, const uint8_t hash[SCOUT_HASH_SIZE],
                                    const scout_op_options *opts, scout_op **op, scout_get_received_fn received,
                                    void *user);

/**
** scout_get_list with per-operation control; opts and op as for
** scout_synchronize_op. The deadline bounds the whole walk.
** Thread: any; the callbacks run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_get_list_op(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE], size_t max,
                                         const scout_op_options *opts, scout_op **op, scout_list_message_fn message,
                                         scout_list_finished_fn finished, void *user);

/**
** Cancels one operation. If it is still in flight, it stops working on the
** network, its callbacks not yet delivered are dropped (a finalize callback
** already running finishes first), and its completion runs exactly once
** with SCOUT_CANCELLED, later, on the dispatcher thread (never inside this
** call); its session and other operations go on.
** Returns SCOUT_OK if the operation was in flight and is now cancelled;
** SCOUT_WRONG_STATE if it had already ended (its completion has run or is
** about to run, with its own status; stopping or freeing the session ends
** every operation); SCOUT_INVALID_ARGUMENT for a NULL, freed or wrong-kind
** handle.
** Thread: any, including the session's callbacks.
*/
SCOUT_API scout_status scout_op_cancel(scout_op *op);

/**
** Frees an operation handle. The operation goes on and completes as it
** would have; only the means to cancel it is gone. NULL and already freed
** handles are ignored. It may be called at any time, including from the
** operation's own completion callback.
** Thread: any.
*/
SCOUT_API void scout_op_free(scout_op *op);

/* ======================================================================
** Port mapping and the emulated WAN
**
** Appended to ABI 1 after release 0.2.0: every function above keeps its
** signature and meaning, and scout_session_options gained port_map (a
** caller's struct of 0.2.0, without it, means SCOUT_PORT_MAP_AUTO). A
** program that needs these checks that the symbols resolve, or that
** scout_version() is newer than "0.2.0", before calling them.
*/

/** The protocol that made a port mapping. Values are frozen; new ones are
    appended. */
typedef enum scout_port_protocol {
  SCOUT_PORT_PROTOCOL_NONE = 0,
  /** PCP, RFC 6887 (a MAP request). */
  SCOUT_PORT_PROTOCOL_PCP = 1,
  /** NAT-PMP, RFC 6886. */
  SCOUT_PORT_PROTOCOL_NATPMP = 2,
  /** UPnP IGD (WANIPConnection or WANPPPConnection). */
  SCOUT_PORT_PROTOCOL_UPNP = 3
} scout_port_protocol;

/**
** Reports the port mapping the session holds on the router
** (scout_session_options.port_map): the protocol that made it; the
** external address and port, "ip:port", where other DHT nodes reach the
** session; the internal address and port, "ip:port", where the router
** forwards to (this host's address towards the router, the session's
** port); the router's address, "ip"; and the lease the router granted,
** in seconds (0: a router that grants only permanent mappings; the
** mapping is removed on stop all the same). The mapping is made in the
** background after scout_session_start, which never waits for the
** router, renewed at half of its lease, made again if the router loses it
** or the route changes, and removed by scout_session_stop. There is no
** notification: poll, or watch the log, which gets one SCOUT_LOG_INFO line
** when a mapping is made or changes and one SCOUT_LOG_WARN line when the
** router maps nothing.
** Ownership: writes a NUL-terminated string of at most SCOUT_ADDR_STRLEN
** bytes to each of external, internal and gateway, and the protocol and
** lease to *protocol and *lease_s; any of them may be NULL to skip it.
** Errors: SCOUT_NOT_FOUND while the session holds no mapping (not
** started, stopped, port mapping off, not made yet, or no router maps);
** SCOUT_INVALID_ARGUMENT for a bad handle.
** Thread: any.
*/
SCOUT_API scout_status scout_session_port_mapping(const scout_session *session, scout_port_protocol *protocol,
                                                  char external[SCOUT_ADDR_STRLEN],
                                                  char internal[SCOUT_ADDR_STRLEN],
                                                  char gateway[SCOUT_ADDR_STRLEN], uint32_t *lease_s);

/**
** How to start a loopback swarm with scout_swarm_start_opts, optionally on
** an emulated internet (the WAN model): each node gets an access delay
** drawn from a lognormal distribution, so that the round trip between two
** nodes has the median rtt_ms, a p99 about 3.6 times that and at most
** max_rtt_ms; each datagram between two nodes is delayed by the two
** nodes' access delays plus jitter, and lost with probability loss; nodes
** can die without a word (scout_swarm_kill, scout_swarm_set_dead). The
** delays and the choice of victims follow from seed. The nodes join
** through the first node the ordinary way, never by full-mesh
** introductions.
**
** The model sits between the swarm's nodes, including sessions joined
** with scout_swarm_join. A session made with scout_session_new and the
** swarm's bootstrap address reaches the nodes directly, without delay or
** loss, and even a dead node answers it: use scout_swarm_join for a client
** that is to see the model.
**
** Initialize with scout_swarm_options_init, then set the fields you need:
** zero means "default". Fields are only ever appended; `size` tells the
** library which ones you know. Read during scout_swarm_start_opts only.
*/
typedef struct scout_swarm_options {
  /** sizeof(scout_swarm_options), as set by scout_swarm_options_init. */
  size_t size;
  /** How many nodes to start. 0: 32. At most 16384. */
  uint32_t nodes;
  /** The first node's UDP port on 127.0.0.1; the others follow. 0: the
      system chooses every port. */
  uint16_t port;
  /** Nonzero: put the swarm on the emulated WAN the fields below
      describe (all of them 0 is a perfect network whose nodes can still
      be killed). 0: a plain loopback swarm, as scout_swarm_start starts;
      then the fields below must be 0. */
  int wan;
  /** The median round trip between two nodes, in milliseconds. 0: no
      delay. */
  uint32_t rtt_ms;
  /** The longest round trip, in milliseconds. 0: 500 or 8 times rtt_ms,
      whichever is more. */
  uint32_t max_rtt_ms;
  /** Up to this fraction of a datagram's delay is added at random (0.2:
      up to 20 % more), so that datagrams can overtake each other. At
      least 0. */
  double jitter;
  /** The probability that a datagram is lost, each way: from 0 up to but
      not including 1. */
  double loss;
  /** Seeds the delays and the choice of victims. */
  uint64_t seed;
  /** How long the swarm's nodes keep an item after it was last put, in
      milliseconds. 0: 2 hours, as mainline nodes do. A short one lets a
      test show in seconds what scout_keep keeps alive and what expires. */
  uint32_t item_ttl_ms;
  /* ---- Appended with scout_session_stats ---- */
  /** Always 0; the library ignores it. These bytes were the struct's tail
      padding when item_ttl_ms was its last field (sizeof was 64), which a
      caller may have left uninitialized: the appended fields start after
      it. */
  uint32_t reserved;
  /** Nonzero: run the swarm on ::1, an IPv6 DHT (BEP 32), whose
      scout_swarm_bootstrap address is "[::1]:PORT". A session joins it
      with scout_swarm_join, or with that bootstrap address and an IPv6
      listen_addr ("[::1]:0"). 0: 127.0.0.1. */
  int ipv6;
} scout_swarm_options;

/**
** Sets opts->size and every other field to zero: all defaults.
** Errors: SCOUT_INVALID_ARGUMENT if opts is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_swarm_options_init(scout_swarm_options *opts);

/**
** scout_swarm_start with options (NULL: all defaults, as
** scout_swarm_start(0, 0, out)): starts the nodes, on the emulated WAN if
** opts->wan is set, and returns once they have joined.
** Ownership: *out receives a handle that the caller frees with
** scout_swarm_free.
** Errors: SCOUT_INVALID_ARGUMENT for a NULL out, an opts->size smaller
** than this header's first scout_swarm_options or with unknown nonzero
** fields beyond this library's, more than 16384 nodes, ports past 65535,
** WAN fields set without wan, or a negative, NaN or infinite jitter or
** loss (loss must be below 1); SCOUT_NETWORK if a socket cannot be bound;
** SCOUT_TIMEOUT if the nodes do not join within 2 minutes.
** Thread: any; blocks.
*/
SCOUT_API scout_status scout_swarm_start_opts(const scout_swarm_options *opts, scout_swarm **out);

/**
** Starts a session that is one more node of the swarm: on its emulated
** WAN if it has one (so that the model's delays, loss and deaths apply to
** it), joined through the first node, and started (as
** scout_session_start) when this returns. Its node index (for
** scout_swarm_set_dead, and as scout_swarm_kill reports it) is the
** number of nodes the swarm had before: the swarm's own nodes are 0 to
** nodes - 1, the joined sessions follow in the order they joined.
** opts as for scout_session_new (NULL: all defaults), but the swarm
** chooses the address, its family and the bootstrap node: listen_addr,
** listen_addr6 and bootstrap must be NULL and families 0.
** Ownership: *out receives a session handle that the caller frees with
** scout_session_free; *index (unless NULL) receives the node index.
** Freeing the swarm stops the session too (its operations then fail with
** SCOUT_WRONG_STATE); free it as any session.
** Errors: SCOUT_INVALID_ARGUMENT for a bad handle, a NULL out, listen_addr,
** listen_addr6, bootstrap or families set, or options scout_session_new
** refuses; SCOUT_NETWORK if the socket cannot be bound.
** Thread: any; blocks while the session joins.
*/
SCOUT_API scout_status scout_swarm_join(scout_swarm *swarm, const scout_session_options *opts,
                                        scout_session **out, uint32_t *index);

/**
** Kills a fraction of the swarm's N nodes (N counts the joined sessions):
** fraction x N of them, rounded (fewer if fewer are alive), chosen from
** the seed among the live nodes but the first, through which sessions
** join. A dead node is a black hole: nothing the other nodes of the swarm
** send reaches it and nothing it sends reaches them, while it goes on
** running. scout_swarm_set_dead brings one back.
** Ownership: indices / *count follow the buf / *len convention, counted
** in elements: on entry *count is the capacity of indices, on return the
** number of nodes killed, whose indices are in indices[0 .. *count - 1]
** (in no particular order). A capacity of ceil(fraction x N) always
** suffices (N too); a smaller one kills nobody and gives
** SCOUT_BUFFER_TOO_SMALL with ceil(fraction x N) in *count, so indices
** NULL and *count 0 asks how much room to give.
** Errors: SCOUT_WRONG_STATE if the swarm has no emulated WAN;
** SCOUT_INVALID_ARGUMENT for a bad handle, a NULL count, or a fraction
** that is not from 0 to 1; SCOUT_BUFFER_TOO_SMALL.
** Thread: any.
*/
SCOUT_API scout_status scout_swarm_kill(scout_swarm *swarm, double fraction, uint32_t *indices, size_t *count);

/**
** Kills node index (dead nonzero) or brings it back (dead 0). The first
** node, index 0, may die too, and then sessions can no longer join.
** Errors: SCOUT_WRONG_STATE if the swarm has no emulated WAN;
** SCOUT_INVALID_ARGUMENT for a bad handle or an index that is no node of
** the swarm.
** Thread: any.
*/
SCOUT_API scout_status scout_swarm_set_dead(scout_swarm *swarm, uint32_t index, int dead);

/* ======================================================================
** Keeping, watching, removing
**
** Appended to ABI 1 after release 0.2.0, as the section above; also
** appended then: scout_session_options' tombstone_ttl_ms, show_removed
** and refresh_on_read, scout_swarm_options' item_ttl_ms, and the removal
** that scout_entries_remove propagates.
**
** DHT nodes drop an item about 2 hours after it was last put. scout_keep
** and scout_keep_list keep an entry list and a message list alive: they
** put the newest items again, byte for byte (no new signature), to the
** nodes now closest to them, every interval. scout_watch follows an entry
** list: it asks the closest nodes with BEP 44's seq, so that they answer
** without the value until it changes, and reports each new version. Both
** run until cancelled through their scout_op (scout_op_cancel), or until
** the session stops or is freed; their completion then runs once, with
** SCOUT_CANCELLED.
*/

/**
** How scout_keep and scout_keep_list run. Initialize with
** scout_keep_options_init; zero means "default". Fields are only ever
** appended; `size` tells the library which ones you know.
*/
typedef struct scout_keep_options {
  /** sizeof(scout_keep_options), as set by scout_keep_options_init. */
  size_t size;
  /** The time between two puts, in milliseconds, each wait drawn within
      10 % of it. 0: 30 minutes (a quarter of the 2-hour item lifetime).
      A round that fails is tried again sooner: after an eighth of it,
      doubling up to it. */
  uint32_t interval_ms;
} scout_keep_options;

/**
** Sets opts->size and every other field to zero: all defaults.
** Errors: SCOUT_INVALID_ARGUMENT if opts is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_keep_options_init(scout_keep_options *opts);

/**
** One round of scout_keep or scout_keep_list: status is SCOUT_OK when
** the items were put again, else why not (e.g. SCOUT_NOT_FOUND: no node
** holds the list yet, or any more and the session has no copy; the round
** is tried again sooner). seq is the entry list's item seq (0 for a
** message list, or before one is found), items how many items were put
** (1 for an entry list, the messages read so far of a message list),
** stored how many puts the nodes acknowledged.
*/
typedef void (*scout_keep_round_fn)(void *user, scout_status status, int64_t seq, uint32_t items,
                                    uint32_t stored);

/**
** Completion of scout_keep, scout_keep_list and scout_watch: SCOUT_CANCELLED
** once cancelled (scout_op_cancel) or stopped with the session; another
** status only for a failure that ends it (SCOUT_INTERNAL).
*/
typedef void (*scout_run_finished_fn)(void *user, scout_status status);

/**
** Keeps the entry list stored under shared_secret alive: finds the
** newest signed item under its target on the nodes now closest to it
** and puts it again to each of them, at once and then every
** opts->interval_ms, until cancelled. A list this session writes
** (scout_synchronize) or watches meanwhile becomes the one kept; one
** that no node holds any more is put back from the session's copy.
** Ownership: copies shared_secret and opts; keeps the callbacks and user,
** which may be NULL. If op is not NULL and it starts, *op receives the
** handle that stops it (scout_op_cancel), which the caller frees with
** scout_op_free; with op NULL, stopping or freeing the session ends it.
** Errors (returned; no callback runs): SCOUT_INVALID_ARGUMENT for a bad
** handle, a NULL shared_secret, or opts of a bad size; SCOUT_WRONG_STATE
** if the session is not running.
** Thread: any; round and finished run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_keep(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                  const scout_keep_options *opts, scout_op **op, scout_keep_round_fn round,
                                  scout_run_finished_fn finished, void *user);

/**
** Keeps the message list from head alive, as scout_keep keeps an entry
** list: reads its messages (a list under a head never changes; a message
** that cannot be read yet is tried again at the next round) and puts each
** again, byte for byte, to the nodes now closest to its hash, every
** opts->interval_ms. A list that grows has a new head: keep that one.
** Ownership, errors and threads as scout_keep; a head of 20 zero bytes
** (the empty list) is SCOUT_INVALID_ARGUMENT.
*/
SCOUT_API scout_status scout_keep_list(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE],
                                       const scout_keep_options *opts, scout_op **op, scout_keep_round_fn round,
                                       scout_run_finished_fn finished, void *user);

/**
** Lists what the session keeps alive: the index-th scout_keep or
** scout_keep_list still running, in the order they started. *is_list is 1
** for a message list, 0 for an entry list; target is the entry list's
** target (scout_shared_target) or the message list's head; *seq the entry
** list's item seq last put (0 for a message list); *rounds the rounds done
** so far; *last the last round's status (SCOUT_OK before the first). Any
** output may be NULL to skip it.
** Errors: SCOUT_NOT_FOUND if index is past the last; SCOUT_INVALID_ARGUMENT
** for a bad handle.
** Thread: any.
*/
SCOUT_API scout_status scout_session_kept(const scout_session *session, size_t index, int *is_list,
                                          uint8_t target[SCOUT_HASH_SIZE], int64_t *seq, uint32_t *rounds,
                                          scout_status *last);

/**
** How scout_watch runs. Initialize with scout_watch_options_init; zero
** means "default". Fields are only ever appended; `size` tells the
** library which ones you know.
*/
typedef struct scout_watch_options {
  /** sizeof(scout_watch_options), as set by scout_watch_options_init. */
  size_t size;
  /** The time between two looks, in milliseconds, each drawn within 10 %
      of it. 0: 60000 (one minute). A look that fails is tried again after
      twice the wait, and twice again, up to 8 intervals. */
  uint32_t interval_ms;
} scout_watch_options;

/**
** Sets opts->size and every other field to zero: all defaults.
** Errors: SCOUT_INVALID_ARGUMENT if opts is NULL.
** Thread: any.
*/
SCOUT_API scout_status scout_watch_options_init(scout_watch_options *opts);

/** An entry removed by the peer (its tombstone's seq), seen by scout_watch. */
typedef void (*scout_entry_removed_fn)(void *user, uint32_t id, int64_t seq);

/**
** A new version of the watched list, after its entry_updated and
** entry_removed calls: seq is its item seq, updated and removed how many
** of those calls it made (both 0 when a peer wrote the list again without
** changing an entry).
*/
typedef void (*scout_watch_changed_fn)(void *user, int64_t seq, size_t updated, size_t removed);

/**
** Watches the entry list stored under shared_secret: looks at once and
** then every opts->interval_ms, asking the closest nodes for versions
** newer than the newest seen, opens and merges them, and for each new
** version calls entry_updated per new or newer entry, entry_removed per
** entry removed, then changed. It never writes. entries (NULL: none) is
** the list the caller has: only what is newer is reported; if the handle
** is still alive, it is replaced with the merged list just before each
** changed call (changes made to it meanwhile are overwritten).
** Ownership: copies shared_secret, opts and the list; keeps the callbacks
** and user, which may be NULL. op as for scout_keep.
** Errors (returned; no callback runs): SCOUT_INVALID_ARGUMENT for a bad
** handle, a NULL shared_secret, or opts of a bad size; SCOUT_WRONG_STATE
** if the session is not running.
** Thread: any; the callbacks run on the session's dispatcher thread.
*/
SCOUT_API scout_status scout_watch(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                   scout_entries *entries, const scout_watch_options *opts, scout_op **op,
                                   scout_entry_updated_fn entry_updated, scout_entry_removed_fn entry_removed,
                                   scout_watch_changed_fn changed, scout_run_finished_fn finished, void *user);

/* ======================================================================
** Statistics and address families
**
** Appended to ABI 1 after release 0.2.0, as the sections above; also
** appended then: scout_session_options' listen_addr6, families and limits
** (query_burst, query_rate, block_ms, send_rate, limit_loopback), and
** scout_swarm_options' ipv6.
**
** A session counts what its node does with atomic counters that cost
** nothing measurable on the packet path; scout_session_stats copies them.
*/

/** The KRPC methods scout_stats counts queries of: the indices of its
    queries_in and queries_out. Values are frozen; new ones are appended
    (below SCOUT_QUERY_METHODS). A query of any other method counts as
    SCOUT_QUERY_UNKNOWN. */
typedef enum scout_query_method {
  SCOUT_QUERY_PING = 0,
  SCOUT_QUERY_FIND_NODE = 1,
  SCOUT_QUERY_GET_PEERS = 2,
  SCOUT_QUERY_ANNOUNCE_PEER = 3,
  SCOUT_QUERY_GET = 4,
  SCOUT_QUERY_PUT = 5,
  SCOUT_QUERY_UNKNOWN = 6
} scout_query_method;

/** The length of scout_stats' queries_in and queries_out: the methods
    above and room for one more, which reads 0 until a release counts it. */
#define SCOUT_QUERY_METHODS 8

/**
** A snapshot of a session's statistics (scout_session_stats). Counters
** count since the session started and stay as they were once it stopped;
** all of them are 0 before it starts. A dual-stack session's IPv4 and
** IPv6 nodes are summed, but for the routing tables and the external
** addresses, which are per family.
**
** Set size to sizeof(scout_stats) before the call. Fields are only ever
** appended; size tells the library how many bytes it may write.
*/
typedef struct scout_stats {
  /** sizeof(scout_stats), set by the caller; the library never changes it. */
  size_t size;
  /** The IPv4 routing table: every node in it, the good ones (answered in
      the last 15 minutes), the questionable ones (to be pinged before
      they are trusted again). 0 for an IPv6-only session. */
  uint32_t nodes, good_nodes, questionable_nodes;
  /** The IPv6 routing table (BEP 32), likewise. 0 without IPv6. */
  uint32_t nodes6, good_nodes6, questionable_nodes6;
  /** The items this node keeps for others, and the bytes they cost. */
  uint64_t stored_items, stored_bytes;
  /** Queries by method (indexed by scout_query_method): answered by this
      node, and sent by it. */
  uint64_t queries_in[SCOUT_QUERY_METHODS];
  uint64_t queries_out[SCOUT_QUERY_METHODS];
  /** What became of the queries sent: replies, KRPC errors, no answer by
      the hard timeout; and how many were sent again after their
      retransmission timeout. */
  uint64_t replies, errors, timeouts, resent;
  /** Datagrams and bytes, each way. */
  uint64_t datagrams_in, datagrams_out, bytes_in, bytes_out;
  /** Datagrams refused: malformed, from a source over its rate limit
      (scout_session_options.query_rate), not sent because of the bound on
      bytes sent (send_rate). */
  uint64_t malformed, rate_limited, send_dropped;
  /** The external IPv4 and IPv6 addresses other nodes see this node at
      (BEP 42's "ip" in their replies, once three agree), NUL-terminated,
      without a port; "" while unknown. */
  char external_addr[SCOUT_ADDR_STRLEN];
  char external_addr6[SCOUT_ADDR_STRLEN];
  /** 1 when the node's id is a BEP 42 id for its external address of that
      family (the node takes one when the address is public), else 0. */
  int id_secure, id_secure6;
  /** The session's operations (scout_put, scout_get, scout_get_list,
      scout_synchronize and their _op forms; not the rounds of scout_keep
      and scout_watch) by how they ended: SCOUT_OK, SCOUT_NOT_FOUND,
      SCOUT_TIMEOUT, SCOUT_CANCELLED, SCOUT_CONFLICT, any other error. */
  uint64_t ops_ok, ops_not_found, ops_timeout, ops_cancelled, ops_conflict, ops_failed;
} scout_stats;

/**
** Copies the session's statistics to *out, whose size the caller sets
** first: `scout_stats st; st.size = sizeof st;`. A session not started yet
** reports zeros (and "" addresses); a stopped one, its counters as they
** were when it stopped.
** Ownership: writes out->size bytes at most: every field this library
** knows, and zeros over the rest of a larger struct (a newer header's
** fields), leaving size alone.
** Errors: SCOUT_INVALID_ARGUMENT for a bad handle, a NULL out, or an
** out->size smaller than this header's first scout_stats (nothing is then
** written) or over 4096.
** Thread: any. It costs a few atomic loads and one pass over each routing
** table.
*/
SCOUT_API scout_status scout_session_stats(const scout_session *session, scout_stats *out);

/**
** Writes the addresses the session listens on, NUL-terminated and
** comma-separated, the IPv4 one first: "ip:port" for IPv4, "[ip]:port"
** for IPv6, e.g. "0.0.0.0:6881,[::]:6881" for a dual-stack session (as
** scout_session_options.bootstrap spells a list). *len counts the NUL;
** 2 * SCOUT_ADDR_STRLEN bytes always suffice. scout_session_addr gives the
** first alone.
** Errors: SCOUT_WRONG_STATE if the session has not been started;
** SCOUT_BUFFER_TOO_SMALL; SCOUT_INVALID_ARGUMENT for a bad handle or NULL
** len.
** Thread: any.
*/
SCOUT_API scout_status scout_session_addrs(const scout_session *session, char *buf, size_t *len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SCOUT_H */
