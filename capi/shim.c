/* The header's functions, exactly as include/scout.h declares them. Each
   forwards to a Go export (scoutgo_*, hidden by scout.map) after turning
   handles into the registry ids they are; the Go side checks everything
   else. Static strings live here so that no Go memory reaches the caller. */
#include "shim.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "_cgo_export.h"

#define H(p) ((uintptr_t)(const void *)(p))

/* --- Error text, one per thread (scout_last_error) ------------------------ */

/* What scout_last_error reports on this thread, and the cause the Go side
   gave for the call in progress (scout_set_cause), if any. */
static _Thread_local char tls_text[SCOUT_ERROR_STRLEN];
static _Thread_local char tls_cause[SCOUT_ERROR_STRLEN];
static _Thread_local int tls_has_cause;

/* Copies s (n bytes, not NUL-terminated) to dst, NUL-terminated, cut to fit
   cap at a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const char *s, size_t n) {
  if (n > cap - 1) {
    n = cap - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* s[n] continues a character */
  }
  if (n > 0) memcpy(dst, s, n);
  dst[n] = '\0';
}

void scout_set_cause(const char *cause, size_t n) {
  copy_text(tls_cause, sizeof tls_cause, cause, n);
  tls_has_cause = 1;
}

void scout_set_text(const char *text, size_t n) { copy_text(tls_text, sizeof tls_text, text, n); }

/* begin starts a call: no cause yet. finish ends it: the thread's text is
   "" on success, else "<function>: <cause>", the cause being what the Go
   side set or, failing that, the status's description. */
static void begin(void) { tls_has_cause = 0; }

static scout_status finish(const char *fn, scout_status st) {
  if (st == SCOUT_OK) {
    tls_text[0] = '\0';
  } else {
    char text[2 * SCOUT_ERROR_STRLEN];
    int n = snprintf(text, sizeof text, "%s: %s", fn, tls_has_cause ? tls_cause : scout_strerror(st));
    copy_text(tls_text, sizeof tls_text, text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
  }
  tls_has_cause = 0;
  return st;
}

/* A failure found here, before the Go side is called. */
static scout_status fail(const char *fn, scout_status st, const char *cause) {
  scout_set_cause(cause, strlen(cause));
  return finish(fn, st);
}

/* Returns what a call to a Go export returned, with the thread's text set. */
#define RET(call)                                  \
  do {                                             \
    begin();                                       \
    return finish(__func__, (scout_status)(call)); \
  } while (0)

/* --- Versions and status codes ------------------------------------------ */

const char *scout_version(void) { return SCOUT_VERSION; }

unsigned int scout_abi_version(void) { return SCOUT_ABI_VERSION; }

const char *scout_strerror(scout_status status) {
  switch (status) {
  case SCOUT_OK: return "ok";
  case SCOUT_INVALID_ARGUMENT: return "invalid argument";
  case SCOUT_TOO_LARGE: return "too large";
  case SCOUT_BUFFER_TOO_SMALL: return "buffer too small";
  case SCOUT_NOT_FOUND: return "not found";
  case SCOUT_TIMEOUT: return "timed out";
  case SCOUT_CANCELLED: return "cancelled";
  case SCOUT_DECRYPT_FAILED: return "decryption or signature check failed";
  case SCOUT_WRONG_STATE: return "session in the wrong state";
  case SCOUT_NETWORK: return "network error";
  case SCOUT_INTERNAL: return "internal error";
  case SCOUT_CONFLICT: return "concurrent write conflict";
  }
  return "unknown status";
}

scout_status scout_handle_count(size_t *count) { RET(scoutgo_handle_count(count)); }

/* --- Keys ------------------------------------------------------------------ */

scout_status scout_generate_keypair(uint8_t secret_key[SCOUT_KEY_SIZE], uint8_t public_key[SCOUT_KEY_SIZE]) {
  RET(scoutgo_generate_keypair(secret_key, public_key));
}

scout_status scout_public_key(const uint8_t secret_key[SCOUT_KEY_SIZE], uint8_t public_key[SCOUT_KEY_SIZE]) {
  RET(scoutgo_public_key((uint8_t *)secret_key, public_key));
}

scout_status scout_key_exchange(const uint8_t secret_key[SCOUT_KEY_SIZE],
                                const uint8_t peer_public_key[SCOUT_KEY_SIZE],
                                uint8_t shared_secret[SCOUT_KEY_SIZE]) {
  RET(scoutgo_key_exchange((uint8_t *)secret_key, (uint8_t *)peer_public_key, shared_secret));
}

scout_status scout_shared_target(const uint8_t shared_secret[SCOUT_KEY_SIZE], uint8_t target[SCOUT_HASH_SIZE]) {
  RET(scoutgo_shared_target((uint8_t *)shared_secret, target));
}

scout_status scout_shared_signing_key(const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                      uint8_t public_key[SCOUT_KEY_SIZE]) {
  RET(scoutgo_shared_signing_key((uint8_t *)shared_secret, public_key));
}

scout_status scout_mutable_sign(const uint8_t shared_secret[SCOUT_KEY_SIZE], int64_t seq, const uint8_t *bencoded_v,
                                size_t len, uint8_t signature[SCOUT_SIGNATURE_SIZE]) {
  RET(scoutgo_mutable_sign((uint8_t *)shared_secret, seq, (uint8_t *)bencoded_v, len, signature));
}

scout_status scout_mutable_verify(const uint8_t public_key[SCOUT_KEY_SIZE], int64_t seq, const uint8_t *bencoded_v,
                                  size_t len, const uint8_t signature[SCOUT_SIGNATURE_SIZE]) {
  RET(scoutgo_mutable_verify((uint8_t *)public_key, seq, (uint8_t *)bencoded_v, len,
                                              (uint8_t *)signature));
}

/* --- Entry lists ----------------------------------------------------------- */

scout_status scout_entries_new(scout_entries **out) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_entries_new(&h);
  if (st == SCOUT_OK) *out = (scout_entries *)h;
  return finish(__func__, st);
}

scout_status scout_entries_clone(const scout_entries *entries, scout_entries **out) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_entries_clone(H(entries), &h);
  if (st == SCOUT_OK) *out = (scout_entries *)h;
  return finish(__func__, st);
}

void scout_entries_free(scout_entries *entries) { scoutgo_entries_free(H(entries)); }

scout_status scout_entries_count(const scout_entries *entries, size_t *count) {
  RET(scoutgo_entries_count(H(entries), count));
}

scout_status scout_entries_assign(scout_entries *entries, uint32_t id, const uint8_t *value, size_t len,
                                  int64_t *seq) {
  RET(scoutgo_entries_assign(H(entries), id, (uint8_t *)value, len, seq));
}

scout_status scout_entries_set(scout_entries *entries, uint32_t id, int64_t seq, const uint8_t *value,
                               size_t len) {
  RET(scoutgo_entries_set(H(entries), id, seq, (uint8_t *)value, len));
}

scout_status scout_entries_get(const scout_entries *entries, uint32_t id, int64_t *seq, uint8_t *value,
                               size_t *len) {
  RET(scoutgo_entries_get(H(entries), id, seq, value, len));
}

scout_status scout_entries_at(const scout_entries *entries, size_t index, uint32_t *id, int64_t *seq,
                              uint8_t *value, size_t *len) {
  RET(scoutgo_entries_at(H(entries), index, id, seq, value, len));
}

scout_status scout_entries_remove(scout_entries *entries, uint32_t id) {
  RET(scoutgo_entries_remove(H(entries), id));
}

scout_status scout_entries_serialize(const scout_entries *entries, uint8_t *buf, size_t *len) {
  RET(scoutgo_entries_serialize(H(entries), buf, len));
}

scout_status scout_entries_parse(const uint8_t *buf, size_t len, scout_entries **out, size_t *consumed) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_entries_parse((uint8_t *)buf, len, &h, consumed);
  if (st == SCOUT_OK) *out = (scout_entries *)h;
  return finish(__func__, st);
}

/* --- Sealing --------------------------------------------------------------- */

scout_status scout_seal(const uint8_t key[SCOUT_KEY_SIZE], const uint8_t *plaintext, size_t len, uint8_t *sealed,
                        size_t *sealed_len) {
  RET(scoutgo_seal((uint8_t *)key, NULL, (uint8_t *)plaintext, len, sealed, sealed_len));
}

scout_status scout_seal_with_nonce(const uint8_t key[SCOUT_KEY_SIZE], const uint8_t nonce[SCOUT_NONCE_SIZE],
                                   const uint8_t *plaintext, size_t len, uint8_t *sealed, size_t *sealed_len) {
  if (nonce == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "nonce is NULL");
  RET(scoutgo_seal((uint8_t *)key, (uint8_t *)nonce, (uint8_t *)plaintext, len, sealed,
                                    sealed_len));
}

scout_status scout_open(const uint8_t key[SCOUT_KEY_SIZE], const uint8_t *sealed, size_t len, uint8_t *plaintext,
                        size_t *plaintext_len) {
  RET(scoutgo_open((uint8_t *)key, (uint8_t *)sealed, len, plaintext, plaintext_len));
}

/* --- Offline message lists ------------------------------------------------- */

scout_status scout_list_push_front(uint8_t head[SCOUT_HASH_SIZE], const uint8_t *msg, size_t len,
                                   uint8_t token[SCOUT_HASH_SIZE]) {
  RET(scoutgo_list_push_front(head, (uint8_t *)msg, len, token));
}

scout_status scout_message_encode(const uint8_t next[SCOUT_HASH_SIZE], const uint8_t *msg, size_t len,
                                  uint8_t *blob, size_t *blob_len) {
  RET(scoutgo_message_encode((uint8_t *)next, (uint8_t *)msg, len, blob, blob_len));
}

scout_status scout_message_parse(const uint8_t *blob, size_t len, uint8_t *msg, size_t *msg_len,
                                 uint8_t next[SCOUT_HASH_SIZE]) {
  RET(scoutgo_message_parse((uint8_t *)blob, len, msg, msg_len, next));
}

scout_status scout_message_hash(const uint8_t *blob, size_t len, uint8_t hash[SCOUT_HASH_SIZE]) {
  RET(scoutgo_message_hash((uint8_t *)blob, len, hash));
}

/* --- Sessions -------------------------------------------------------------- */

scout_status scout_session_options_init(scout_session_options *opts) {
  if (opts == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "opts is NULL");
  memset(opts, 0, sizeof *opts); /* padding too: the size check reads bytes */
  opts->size = sizeof *opts;
  return finish(__func__, SCOUT_OK);
}

scout_status scout_session_new(const scout_session_options *opts, scout_session **out) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_session_new((scout_session_options *)opts, &h);
  if (st == SCOUT_OK) *out = (scout_session *)h;
  return finish(__func__, st);
}

scout_status scout_session_start(scout_session *session) { RET(scoutgo_session_start(H(session))); }

scout_status scout_session_stop(scout_session *session) { RET(scoutgo_session_stop(H(session))); }

void scout_session_free(scout_session *session) { scoutgo_session_free(H(session)); }

scout_status scout_session_addr(const scout_session *session, char *buf, size_t *len) {
  RET(scoutgo_session_addr(H(session), buf, len));
}

scout_status scout_session_port(const scout_session *session, uint16_t *port) {
  RET(scoutgo_session_port(H(session), port));
}

scout_status scout_synchronize(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                               scout_entries *entries, scout_entry_updated_fn entry_updated,
                               scout_finalize_fn finalize, scout_sync_finished_fn finished, void *user) {
  RET(scoutgo_synchronize(H(session), (uint8_t *)shared_secret, H(entries), entry_updated,
                                           finalize, finished, H(user)));
}

scout_status scout_put(scout_session *session, const uint8_t token[SCOUT_HASH_SIZE], const uint8_t *msg, size_t len,
                       scout_put_finished_fn finished, void *user) {
  RET(scoutgo_put(H(session), (uint8_t *)token, (uint8_t *)msg, len, finished, H(user)));
}

scout_status scout_get(scout_session *session, const uint8_t hash[SCOUT_HASH_SIZE], scout_get_received_fn received,
                       void *user) {
  RET(scoutgo_get(H(session), (uint8_t *)hash, received, H(user)));
}

scout_status scout_get_list(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE], size_t max,
                            scout_list_message_fn message, scout_list_finished_fn finished, void *user) {
  RET(scoutgo_get_list(H(session), (uint8_t *)head, max, message, finished, H(user)));
}

/* --- Loopback swarm -------------------------------------------------------- */

scout_status scout_swarm_start(uint32_t nodes, uint16_t port, scout_swarm **out) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_swarm_start(nodes, port, &h);
  if (st == SCOUT_OK) *out = (scout_swarm *)h;
  return finish(__func__, st);
}

scout_status scout_swarm_bootstrap(const scout_swarm *swarm, char *buf, size_t *len) {
  RET(scoutgo_swarm_bootstrap(H(swarm), buf, len));
}

void scout_swarm_free(scout_swarm *swarm) { scoutgo_swarm_free(H(swarm)); }

/* --- Error text and per-operation control -------------------------------- */

scout_status scout_last_error(char *buf, size_t *len) {
  /* Never changes the text it reports. */
  if (len == NULL) return SCOUT_INVALID_ARGUMENT;
  size_t need = strlen(tls_text) + 1;
  if (buf == NULL || *len < need) {
    *len = need;
    return SCOUT_BUFFER_TOO_SMALL;
  }
  memcpy(buf, tls_text, need);
  *len = need;
  return SCOUT_OK;
}

scout_status scout_op_options_init(scout_op_options *opts) {
  if (opts == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "opts is NULL");
  scout_op_options zero = {0};
  *opts = zero;
  opts->size = sizeof *opts;
  return finish(__func__, SCOUT_OK);
}

scout_status scout_synchronize_op(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                                  scout_entries *entries, const scout_op_options *opts, scout_op **op,
                                  scout_entry_updated_fn entry_updated, scout_finalize_fn finalize,
                                  scout_sync_finished_fn finished, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_synchronize_op(H(session), (uint8_t *)shared_secret, H(entries),
                                                         (scout_op_options *)opts, op ? &h : NULL, entry_updated,
                                                         finalize, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_put_op(scout_session *session, const uint8_t token[SCOUT_HASH_SIZE], const uint8_t *msg,
                          size_t len, const scout_op_options *opts, scout_op **op, scout_put_finished_fn finished,
                          void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_put_op(H(session), (uint8_t *)token, (uint8_t *)msg, len,
                                                 (scout_op_options *)opts, op ? &h : NULL, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_get_op(scout_session *session, const uint8_t hash[SCOUT_HASH_SIZE], const scout_op_options *opts,
                          scout_op **op, scout_get_received_fn received, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_get_op(H(session), (uint8_t *)hash, (scout_op_options *)opts,
                                                 op ? &h : NULL, received, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_get_list_op(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE], size_t max,
                               const scout_op_options *opts, scout_op **op, scout_list_message_fn message,
                               scout_list_finished_fn finished, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_get_list_op(H(session), (uint8_t *)head, max, (scout_op_options *)opts,
                                                      op ? &h : NULL, message, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_op_cancel(scout_op *op) { RET(scoutgo_op_cancel(H(op))); }

void scout_op_free(scout_op *op) { scoutgo_op_free(H(op)); }

/* --- Port mapping and the emulated WAN ----------------------------------- */

/* scout_session_options of release 0.2.0 ended with log_level, padded to 64
   bytes; what was appended starts after that padding (the reserved field). */
_Static_assert(offsetof(scout_session_options, reserved) == SCOUT_SESSION_OPTIONS_V1_SIZE - sizeof(int),
               "scout_session_options: the first release's size moved");
_Static_assert(offsetof(scout_session_options, port_map) == SCOUT_SESSION_OPTIONS_V1_SIZE,
               "scout_session_options: port_map must start past the first release's size");

scout_status scout_session_port_mapping(const scout_session *session, scout_port_protocol *protocol,
                                        char external[SCOUT_ADDR_STRLEN], char internal[SCOUT_ADDR_STRLEN],
                                        char gateway[SCOUT_ADDR_STRLEN], uint32_t *lease_s) {
  int proto = 0;
  begin();
  scout_status st =
      (scout_status)scoutgo_session_port_mapping(H(session), &proto, external, internal, gateway, lease_s);
  if (st == SCOUT_OK && protocol != NULL) *protocol = (scout_port_protocol)proto;
  return finish(__func__, st);
}

scout_status scout_swarm_options_init(scout_swarm_options *opts) {
  if (opts == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "opts is NULL");
  memset(opts, 0, sizeof *opts); /* padding too: the size check reads bytes */
  opts->size = sizeof *opts;
  return finish(__func__, SCOUT_OK);
}

scout_status scout_swarm_start_opts(const scout_swarm_options *opts, scout_swarm **out) {
  uintptr_t h = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_swarm_start_opts((scout_swarm_options *)opts, &h);
  if (st == SCOUT_OK) *out = (scout_swarm *)h;
  return finish(__func__, st);
}

scout_status scout_swarm_join(scout_swarm *swarm, const scout_session_options *opts, scout_session **out,
                              uint32_t *index) {
  uintptr_t h = 0;
  uint32_t i = 0;
  if (out == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "out is NULL");
  begin();
  scout_status st = (scout_status)scoutgo_swarm_join(H(swarm), (scout_session_options *)opts, &h, &i);
  if (st == SCOUT_OK) {
    *out = (scout_session *)h;
    if (index != NULL) *index = i;
  }
  return finish(__func__, st);
}

scout_status scout_swarm_kill(scout_swarm *swarm, double fraction, uint32_t *indices, size_t *count) {
  RET(scoutgo_swarm_kill(H(swarm), fraction, indices, count));
}

scout_status scout_swarm_set_dead(scout_swarm *swarm, uint32_t index, int dead) {
  RET(scoutgo_swarm_set_dead(H(swarm), index, dead));
}

/* --- Keeping, watching, removing ----------------------------------------- */

/* What was appended to scout_session_options after port_map starts on an
   8-byte boundary past it: none of it lies in port_map's tail padding. */
_Static_assert(offsetof(scout_session_options, tombstone_ttl_ms) ==
                   offsetof(scout_session_options, port_map) + 2 * sizeof(int),
               "scout_session_options: tombstone_ttl_ms must follow port_map's padding");

scout_status scout_keep_options_init(scout_keep_options *opts) {
  if (opts == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "opts is NULL");
  memset(opts, 0, sizeof *opts); /* padding too: the size check reads bytes */
  opts->size = sizeof *opts;
  return finish(__func__, SCOUT_OK);
}

scout_status scout_keep(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                        const scout_keep_options *opts, scout_op **op, scout_keep_round_fn round,
                        scout_run_finished_fn finished, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_keep(H(session), (uint8_t *)shared_secret, (scout_keep_options *)opts,
                                               op ? &h : NULL, round, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_keep_list(scout_session *session, const uint8_t head[SCOUT_HASH_SIZE],
                             const scout_keep_options *opts, scout_op **op, scout_keep_round_fn round,
                             scout_run_finished_fn finished, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_keep_list(H(session), (uint8_t *)head, (scout_keep_options *)opts,
                                                    op ? &h : NULL, round, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

scout_status scout_session_kept(const scout_session *session, size_t index, int *is_list,
                                uint8_t target[SCOUT_HASH_SIZE], int64_t *seq, uint32_t *rounds,
                                scout_status *last) {
  int l = 0;
  begin();
  scout_status st = (scout_status)scoutgo_session_kept(H(session), index, is_list, target, seq, rounds, &l);
  if (st == SCOUT_OK && last != NULL) *last = (scout_status)l;
  return finish(__func__, st);
}

scout_status scout_watch_options_init(scout_watch_options *opts) {
  if (opts == NULL) return fail(__func__, SCOUT_INVALID_ARGUMENT, "opts is NULL");
  memset(opts, 0, sizeof *opts);
  opts->size = sizeof *opts;
  return finish(__func__, SCOUT_OK);
}

scout_status scout_watch(scout_session *session, const uint8_t shared_secret[SCOUT_KEY_SIZE],
                         scout_entries *entries, const scout_watch_options *opts, scout_op **op,
                         scout_entry_updated_fn entry_updated, scout_entry_removed_fn entry_removed,
                         scout_watch_changed_fn changed, scout_run_finished_fn finished, void *user) {
  uintptr_t h = 0;
  begin();
  scout_status st = (scout_status)scoutgo_watch(H(session), (uint8_t *)shared_secret, H(entries),
                                                (scout_watch_options *)opts, op ? &h : NULL, entry_updated,
                                                entry_removed, changed, finished, H(user));
  if (st == SCOUT_OK && op != NULL) *op = (scout_op *)h;
  return finish(__func__, st);
}

/* --- Statistics and address families -------------------------------------- */

/* What was appended to scout_session_options with the statistics starts
   right past refresh_on_read, the struct's end before (no padding there).
   The struct now ends in 4 bytes of tail padding after limit_loopback,
   which a caller may leave uninitialized: the next field appended must
   start at offset 128, past them, as tombstone_ttl_ms starts past
   port_map's padding. scout_swarm_options' reserved field skips
   item_ttl_ms's padding the same way. */
_Static_assert(offsetof(scout_session_options, listen_addr6) ==
                   offsetof(scout_session_options, refresh_on_read) + sizeof(int),
               "scout_session_options: listen_addr6 must follow refresh_on_read");
_Static_assert(offsetof(scout_session_options, limit_loopback) + sizeof(int) == 124 &&
                   sizeof(scout_session_options) == 128,
               "scout_session_options: the layout moved");
_Static_assert(offsetof(scout_swarm_options, reserved) == offsetof(scout_swarm_options, item_ttl_ms) + 4 &&
                   offsetof(scout_swarm_options, ipv6) == SCOUT_SWARM_OPTIONS_V1_SIZE,
               "scout_swarm_options: ipv6 must start past item_ttl_ms's padding");
_Static_assert(sizeof(scout_stats) == SCOUT_STATS_V1_SIZE, "scout_stats: its first release's size moved");

scout_status scout_session_stats(const scout_session *session, scout_stats *out) {
  RET(scoutgo_session_stats(H(session), out));
}

scout_status scout_session_addrs(const scout_session *session, char *buf, size_t *len) {
  RET(scoutgo_session_addrs(H(session), buf, len));
}

/* --- Trampolines: Go calls the caller's callbacks through these ----------- */

void scout_call_log(scout_log_fn fn, uintptr_t user, int level, const char *msg) { fn((void *)user, level, msg); }

void scout_call_entry_updated(scout_entry_updated_fn fn, uintptr_t user, uint32_t id, int64_t seq,
                              const uint8_t *value, size_t len) {
  fn((void *)user, id, seq, value, len);
}

void scout_call_finalize(scout_finalize_fn fn, uintptr_t user, uintptr_t entries) {
  fn((void *)user, (scout_entries *)entries);
}

void scout_call_sync_finished(scout_sync_finished_fn fn, uintptr_t user, int status, int64_t seq, uint32_t stored,
                              uint32_t failed) {
  fn((void *)user, (scout_status)status, seq, stored, failed);
}

void scout_call_put_finished(scout_put_finished_fn fn, uintptr_t user, int status, const uint8_t *hash,
                             uint32_t stored) {
  fn((void *)user, (scout_status)status, hash, stored);
}

void scout_call_get_received(scout_get_received_fn fn, uintptr_t user, int status, const uint8_t *msg, size_t len,
                             const uint8_t *next) {
  fn((void *)user, (scout_status)status, msg, len, next);
}

void scout_call_list_message(scout_list_message_fn fn, uintptr_t user, const uint8_t *hash, const uint8_t *msg,
                             size_t len, const uint8_t *next) {
  fn((void *)user, hash, msg, len, next);
}

void scout_call_list_finished(scout_list_finished_fn fn, uintptr_t user, int status, size_t count) {
  fn((void *)user, (scout_status)status, count);
}

void scout_call_keep_round(scout_keep_round_fn fn, uintptr_t user, int status, int64_t seq, uint32_t items,
                           uint32_t stored) {
  fn((void *)user, (scout_status)status, seq, items, stored);
}

void scout_call_run_finished(scout_run_finished_fn fn, uintptr_t user, int status) {
  fn((void *)user, (scout_status)status);
}

void scout_call_entry_removed(scout_entry_removed_fn fn, uintptr_t user, uint32_t id, int64_t seq) {
  fn((void *)user, id, seq);
}

void scout_call_watch_changed(scout_watch_changed_fn fn, uintptr_t user, int64_t seq, size_t updated,
                              size_t removed) {
  fn((void *)user, seq, updated, removed);
}
