/* Misuse of the C API: NULL pointers, NULL, freed, stale and wrong-kind
   handles, buffers too small, values too large, options of the wrong size,
   operations in the wrong state. Each must give its status, never a crash,
   and a failed start must never call a callback. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scout.h"
#include "testing.h"

static int callbacks;

static void on_sync(void *user, scout_status st, int64_t seq, uint32_t stored, uint32_t failed) {
  (void)user, (void)st, (void)seq, (void)stored, (void)failed;
  callbacks++;
}
static void on_put(void *user, scout_status st, const uint8_t hash[SCOUT_HASH_SIZE], uint32_t stored) {
  (void)user, (void)st, (void)hash, (void)stored;
  callbacks++;
}
static void on_get(void *user, scout_status st, const uint8_t *msg, size_t len, const uint8_t next[SCOUT_HASH_SIZE]) {
  (void)user, (void)st, (void)msg, (void)len, (void)next;
  callbacks++;
}
static void on_list(void *user, scout_status st, size_t count) {
  (void)user, (void)st, (void)count;
  callbacks++;
}

/* sizeof(scout_session_options) in release 0.2.0, whose last field was
   log_level: what a program built with that header passes. */
#define OPTIONS_V1_SIZE 64
/* sizeof(scout_swarm_options) before ipv6 was appended: the least size
   scout_swarm_start_opts takes. */
#define SWARM_OPTIONS_V1_SIZE 64

static const uint8_t k32[32] = {1, 2, 3}, h20[20] = {4, 5, 6}, nonce[24] = {7};

static void test_versions(void) {
  t_begin("misuse", "versions_and_strerror");
  CHECK(scout_abi_version() == SCOUT_ABI_VERSION);
  CHECK(strcmp(scout_version(), SCOUT_VERSION) == 0);
  const char *seen[SCOUT_CONFLICT + 1];
  for (int s = SCOUT_OK; s <= SCOUT_CONFLICT; s++) {
    seen[s] = scout_strerror((scout_status)s);
    CHECK(seen[s] != NULL && strlen(seen[s]) > 0 && strcmp(seen[s], "unknown status") != 0);
    for (int t = SCOUT_OK; t < s; t++) CHECK(strcmp(seen[s], seen[t]) != 0);
  }
  CHECK(strcmp(scout_strerror((scout_status)999), "unknown status") == 0);
  CHECK(strcmp(scout_strerror((scout_status)-1), "unknown status") == 0);
  CHECK_ST(scout_handle_count(NULL), SCOUT_INVALID_ARGUMENT);
}

static void test_null_pointers(void) {
  t_begin("misuse", "null_pointers");
  uint8_t a[64], b[64];
  size_t len = sizeof a;
  CHECK_ST(scout_generate_keypair(NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_generate_keypair(a, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_public_key(NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_public_key(k32, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_key_exchange(NULL, k32, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_key_exchange(k32, NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_key_exchange(k32, k32, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_shared_target(NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_shared_target(k32, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_shared_signing_key(NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_shared_signing_key(k32, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_mutable_sign(NULL, 1, a, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_mutable_sign(k32, 1, NULL, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_mutable_sign(k32, 1, a, 1, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_OK(scout_mutable_sign(k32, 1, NULL, 0, b)); /* empty value: NULL is fine */
  CHECK_ST(scout_mutable_verify(NULL, 1, a, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_mutable_verify(k32, 1, NULL, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_mutable_verify(k32, 1, a, 1, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_new(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_parse(NULL, 5, NULL, NULL), SCOUT_INVALID_ARGUMENT);
  scout_entries *e = NULL;
  CHECK_ST(scout_entries_parse(NULL, 5, &e, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK(e == NULL);
  CHECK_ST(scout_seal(NULL, a, 1, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_seal(k32, NULL, 1, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_seal(k32, a, 1, b, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_seal_with_nonce(k32, NULL, a, 1, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_open(NULL, a, 41, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_open(k32, NULL, 41, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_open(k32, a, 41, b, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_list_push_front(NULL, a, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_list_push_front(a, NULL, 1, b), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_list_push_front(a, a, 1, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_encode(NULL, a, 1, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_encode(h20, NULL, 1, b, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_encode(h20, a, 1, b, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_parse(NULL, 30, b, &len, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_parse(a, 30, b, NULL, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_parse(a, 30, b, &len, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_hash(NULL, 1, a), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_message_hash(a, 1, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_OK(scout_message_hash(NULL, 0, a));
  CHECK_ST(scout_session_options_init(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_new(NULL, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_start(1, 0, NULL), SCOUT_INVALID_ARGUMENT);
}

/* Every entries function with handle h must refuse it. */
static void check_bad_entries(scout_entries *h) {
  size_t n = 0, len = 8;
  int64_t seq;
  uint32_t id;
  uint8_t buf[8];
  scout_entries *out = NULL;
  CHECK_ST(scout_entries_clone(h, &out), SCOUT_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK_ST(scout_entries_count(h, &n), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_assign(h, 1, buf, 1, &seq), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_set(h, 1, 1, buf, 1), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_get(h, 1, &seq, buf, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_at(h, 0, &id, &seq, buf, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_remove(h, 1), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_entries_serialize(h, buf, &len), SCOUT_INVALID_ARGUMENT);
  scout_entries_free(h); /* harmless */
}

/* Every session function with handle s must refuse it, and call nothing. */
static void check_bad_session(scout_session *s) {
  char addr[SCOUT_ADDR_STRLEN];
  size_t len = sizeof addr;
  uint16_t port;
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  CHECK_ST(scout_session_start(s), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_stop(s), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_addr(s, addr, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_port(s, &port), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_synchronize(s, k32, e, NULL, NULL, on_sync, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_put(s, h20, (const uint8_t *)"m", 1, on_put, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_get(s, h20, on_get, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_get_list(s, h20, 0, NULL, on_list, NULL), SCOUT_INVALID_ARGUMENT);
  scout_session_free(s); /* harmless */
  scout_entries_free(e);
}

static void test_handles(void) {
  t_begin("misuse", "null_handles");
  check_bad_entries(NULL);
  check_bad_session(NULL);
  char buf[SCOUT_ADDR_STRLEN];
  size_t len = sizeof buf;
  CHECK_ST(scout_swarm_bootstrap(NULL, buf, &len), SCOUT_INVALID_ARGUMENT);
  scout_entries_free(NULL);
  scout_session_free(NULL);
  scout_swarm_free(NULL);

  t_begin("misuse", "freed_handles");
  scout_entries *e = NULL, *e2 = NULL;
  CHECK_OK(scout_entries_new(&e));
  scout_entries_free(e);
  check_bad_entries(e);
  scout_entries_free(e); /* twice */
  /* Ids are never reused: a new list never gets the freed one's handle. */
  for (int i = 0; i < 100; i++) {
    CHECK_OK(scout_entries_new(&e2));
    CHECK(e2 != e);
    scout_entries_free(e2);
  }
  check_bad_entries(e2);

  scout_session_options opts;
  scout_session *s = NULL;
  CHECK_OK(scout_session_options_init(&opts));
  opts.bootstrap = "";
  opts.listen_addr = "127.0.0.1:0";
  CHECK_OK(scout_session_new(&opts, &s));
  scout_session_free(s);
  check_bad_session(s);

  t_begin("misuse", "stale_and_forged_handles");
  check_bad_entries((scout_entries *)(uintptr_t)0x7fffffff);
  check_bad_entries((scout_entries *)(uintptr_t)-1);
  check_bad_session((scout_session *)(uintptr_t)0x12345678);
  CHECK_ST(scout_swarm_bootstrap((scout_swarm *)(uintptr_t)0x5555, buf, &len), SCOUT_INVALID_ARGUMENT);
  scout_swarm_free((scout_swarm *)(uintptr_t)0x5555);

  t_begin("misuse", "wrong_kind_handles");
  CHECK_OK(scout_entries_new(&e));
  CHECK_OK(scout_session_new(&opts, &s));
  check_bad_entries((scout_entries *)s);   /* a session is not a list */
  check_bad_session((scout_session *)e);   /* a list is not a session */
  CHECK_ST(scout_swarm_bootstrap((scout_swarm *)e, buf, &len), SCOUT_INVALID_ARGUMENT);
  scout_swarm_free((scout_swarm *)s);      /* ignored: not a swarm */
  size_t n = 99;
  CHECK_OK(scout_entries_count(e, &n));    /* both still alive */
  CHECK(n == 0);
  CHECK_ST(scout_session_stop(s), SCOUT_WRONG_STATE);
  scout_entries_free(e);
  scout_session_free(s);
  CHECK(callbacks == 0);
}

static void test_entries_misuse(void) {
  t_begin("misuse", "entries_limits_and_lookups");
  scout_entries *e = NULL;
  uint8_t big[SCOUT_MAX_VALUE_SIZE + 1];
  memset(big, 'x', sizeof big);
  int64_t seq = -5;
  CHECK_OK(scout_entries_new(&e));
  CHECK_ST(scout_entries_assign(e, 1, big, sizeof big, &seq), SCOUT_TOO_LARGE);
  CHECK(seq == -5);
  CHECK_ST(scout_entries_set(e, 1, 3, big, sizeof big), SCOUT_TOO_LARGE);
  CHECK_ST(scout_entries_assign(e, 1, NULL, 3, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_OK(scout_entries_assign(e, 1, NULL, 0, &seq));
  CHECK(seq == 1);
  CHECK_OK(scout_entries_assign(e, 1, big, SCOUT_MAX_VALUE_SIZE, &seq));
  CHECK(seq == 2);
  for (uint32_t id = 2; id <= SCOUT_MAX_ENTRIES; id++) CHECK_OK(scout_entries_assign(e, id, big, 1, NULL));
  CHECK_ST(scout_entries_assign(e, 1000, big, 1, NULL), SCOUT_TOO_LARGE);
  CHECK_ST(scout_entries_set(e, 1000, 1, big, 1), SCOUT_TOO_LARGE);
  size_t n = 0;
  CHECK_OK(scout_entries_count(e, &n));
  CHECK(n == SCOUT_MAX_ENTRIES);
  /* The largest list still serializes (it is too large to seal). */
  uint8_t *all = malloc(SCOUT_MAX_ENTRIES_SIZE);
  size_t len = SCOUT_MAX_ENTRIES_SIZE;
  CHECK_OK(scout_entries_serialize(e, all, &len));
  uint8_t sealed[16];
  size_t slen = sizeof sealed;
  CHECK_ST(scout_seal(k32, all, len, sealed, &slen), SCOUT_TOO_LARGE);
  free(all);

  CHECK_ST(scout_entries_get(e, 4242, &seq, NULL, NULL), SCOUT_NOT_FOUND);
  CHECK_ST(scout_entries_at(e, SCOUT_MAX_ENTRIES, NULL, NULL, NULL, NULL), SCOUT_NOT_FOUND);
  CHECK_ST(scout_entries_at(e, (size_t)-1, NULL, NULL, NULL, NULL), SCOUT_NOT_FOUND);
  CHECK_ST(scout_entries_remove(e, 4242), SCOUT_NOT_FOUND);
  CHECK_OK(scout_entries_remove(e, 7));
  CHECK_ST(scout_entries_remove(e, 7), SCOUT_NOT_FOUND);
  CHECK_ST(scout_entries_count(e, NULL), SCOUT_INVALID_ARGUMENT);
  /* Only the seq, no value. */
  CHECK_OK(scout_entries_get(e, 1, &seq, NULL, NULL));
  CHECK(seq == 2);
  /* A buffer without its capacity. */
  uint8_t v[4];
  CHECK_ST(scout_entries_get(e, 1, NULL, v, NULL), SCOUT_INVALID_ARGUMENT);
  scout_entries_free(e);
}

static void test_buffers(void) {
  t_begin("misuse", "buffers_too_small_report_the_size");
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  CHECK_OK(scout_entries_assign(e, 9, (const uint8_t *)"hello", 5, NULL));

  uint8_t buf[64], sentinel[64];
  memset(buf, 0xEE, sizeof buf);
  memset(sentinel, 0xEE, sizeof sentinel);
  size_t len = 3;
  int64_t seq = -1;
  uint32_t id = 0;
  /* get: value too large for 3 bytes; nothing but len written */
  CHECK_ST(scout_entries_get(e, 9, &seq, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 5 && seq == -1);
  CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
  len = 0;
  CHECK_ST(scout_entries_at(e, 0, &id, &seq, NULL, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 5 && id == 0 && seq == -1);
  len = 5;
  CHECK_OK(scout_entries_at(e, 0, &id, &seq, buf, &len));
  CHECK(len == 5 && id == 9 && seq == 1 && memcmp(buf, "hello", 5) == 0);

  /* serialize: 2 + 16 + 5 bytes */
  memset(buf, 0xEE, sizeof buf);
  len = 22;
  CHECK_ST(scout_entries_serialize(e, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 23);
  CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
  len = 0;
  CHECK_ST(scout_entries_serialize(e, NULL, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 23);
  uint8_t plain[23];
  len = sizeof plain;
  CHECK_OK(scout_entries_serialize(e, plain, &len));

  /* seal: 23 + 40 */
  len = 62;
  CHECK_ST(scout_seal_with_nonce(k32, nonce, plain, sizeof plain, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 63);
  CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
  uint8_t sealed[63];
  len = sizeof sealed;
  CHECK_OK(scout_seal_with_nonce(k32, nonce, plain, sizeof plain, sealed, &len));
  /* open: 23 */
  len = 22;
  CHECK_ST(scout_open(k32, sealed, sizeof sealed, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 23);
  CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
  /* in place */
  len = sizeof sealed;
  CHECK_OK(scout_open(k32, sealed, sizeof sealed, sealed, &len));
  CHECK(len == 23 && memcmp(sealed, plain, 23) == 0);
  /* wrong key */
  uint8_t other[32] = {9};
  len = sizeof buf;
  CHECK_OK(scout_seal_with_nonce(k32, nonce, plain, sizeof plain, sealed, &len));
  len = sizeof buf;
  CHECK_ST(scout_open(other, sealed, sizeof sealed, buf, &len), SCOUT_DECRYPT_FAILED);
  /* too large to seal */
  uint8_t *huge = calloc(SCOUT_MAX_MESSAGE_SIZE + 1, 1); /* the larger limit */
  len = 0;
  CHECK_ST(scout_seal(k32, huge, SCOUT_MAX_PLAINTEXT + 1, NULL, &len), SCOUT_TOO_LARGE);
  CHECK_ST(scout_seal(k32, huge, SCOUT_MAX_PLAINTEXT, NULL, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == SCOUT_MAX_SEALED_SIZE);

  /* message encode and parse */
  len = 10;
  CHECK_ST(scout_message_encode(h20, (const uint8_t *)"hello", 5, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 28);
  CHECK(memcmp(buf, sentinel, sizeof buf) == 0);
  uint8_t blob[28];
  len = sizeof blob;
  CHECK_OK(scout_message_encode(h20, (const uint8_t *)"hello", 5, blob, &len));
  uint8_t next[20];
  memset(next, 0xEE, sizeof next);
  len = 4;
  CHECK_ST(scout_message_parse(blob, sizeof blob, buf, &len, next), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 5);
  CHECK(memcmp(next, sentinel, sizeof next) == 0);
  CHECK_ST(scout_message_encode(h20, huge, SCOUT_MAX_MESSAGE_SIZE + 1, NULL, &len), SCOUT_TOO_LARGE);
  uint8_t head[20] = {0}, head_before[20] = {0}, token[20];
  CHECK_ST(scout_list_push_front(head, huge, SCOUT_MAX_MESSAGE_SIZE + 1, token), SCOUT_TOO_LARGE);
  CHECK(memcmp(head, head_before, 20) == 0);
  free(huge);
  scout_entries_free(e);
}

static void test_options(void) {
  t_begin("misuse", "options_size_and_values");
  scout_session_options opts;
  scout_session *s = NULL;
  CHECK_OK(scout_session_options_init(&opts));
  CHECK(opts.size == sizeof opts);
  CHECK(opts.listen_addr == NULL && opts.bootstrap == NULL && opts.timeout_ms == 0 && opts.log == NULL);

  opts.size = OPTIONS_V1_SIZE - 1; /* older than the first release */
  CHECK_ST(scout_session_new(&opts, &s), SCOUT_INVALID_ARGUMENT);
  opts.size = 0;
  CHECK_ST(scout_session_new(&opts, &s), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);

  /* A newer caller's struct: unknown fields left at zero are fine, set
     ones are refused. */
  struct {
    scout_session_options o;
    uint64_t newer_field;
  } big;
  memset(&big, 0, sizeof big);
  CHECK_OK(scout_session_options_init(&big.o));
  big.o.size = sizeof big;
  big.o.bootstrap = "";
  big.o.listen_addr = "127.0.0.1:0";
  CHECK_OK(scout_session_new(&big.o, &s));
  scout_session_free(s);
  s = NULL;
  big.newer_field = 1;
  CHECK_ST(scout_session_new(&big.o, &s), SCOUT_INVALID_ARGUMENT);
  big.o.size = 1 << 20;
  CHECK_ST(scout_session_new(&big.o, &s), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);

  CHECK_OK(scout_session_options_init(&opts));
  opts.listen_addr = "not an address";
  CHECK_ST(scout_session_new(&opts, &s), SCOUT_INVALID_ARGUMENT);
  opts.listen_addr = NULL;
  opts.bootstrap = "127.0.0.1:1, missing-port";
  CHECK_ST(scout_session_new(&opts, &s), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);
  /* NULL options: all defaults; not started, so the public DHT is never
     contacted. */
  CHECK_OK(scout_session_new(NULL, &s));
  scout_session_free(s);
}

static void test_port_map_option(void) {
  t_begin("misuse", "port_map_option");
  /* Appended past the first release's size, padding included, so that a
     caller of 0.2.0 and one of now can be told apart. */
  CHECK(offsetof(scout_session_options, log_level) + sizeof(int) <= OPTIONS_V1_SIZE);
  CHECK(offsetof(scout_session_options, port_map) >= OPTIONS_V1_SIZE);
  CHECK(sizeof(scout_session_options) > OPTIONS_V1_SIZE);

  scout_session_options opts;
  scout_session *s = NULL;
  CHECK_OK(scout_session_options_init(&opts));
  CHECK(opts.port_map == SCOUT_PORT_MAP_AUTO && opts.reserved == 0);
  opts.bootstrap = "";
  opts.listen_addr = "127.0.0.1:0";
  /* Every mode is accepted (the session is not started: no router is
     asked); other values are refused with their cause. */
  int modes[] = {SCOUT_PORT_MAP_AUTO, SCOUT_PORT_MAP_ON, SCOUT_PORT_MAP_OFF};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    opts.port_map = modes[i];
    CHECK_OK(scout_session_new(&opts, &s));
    scout_session_free(s);
    s = NULL;
  }
  int bad[] = {3, -1, 1000};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    opts.port_map = bad[i];
    CHECK_ST(scout_session_new(&opts, &s), SCOUT_INVALID_ARGUMENT);
    CHECK(s == NULL);
    char why[SCOUT_ERROR_STRLEN];
    size_t n = sizeof why;
    CHECK_OK(scout_last_error(why, &n));
    CHECK(strstr(why, "port mapping mode") != NULL);
  }

  /* A caller of release 0.2.0: its struct ends at OPTIONS_V1_SIZE, and
     what lies beyond (here: garbage in the reserved padding and a bad
     port_map) is none of its business, never read. */
  CHECK_OK(scout_session_options_init(&opts));
  opts.bootstrap = "";
  opts.listen_addr = "127.0.0.1:0";
  opts.size = OPTIONS_V1_SIZE;
  opts.reserved = 0x5a5a5a5a;
  opts.port_map = 77;
  CHECK_OK(scout_session_new(&opts, &s));
  scout_session_free(s);
  s = NULL;

  /* The query: nothing before start, nothing for a bad handle. */
  opts.size = sizeof opts;
  opts.reserved = 0;
  opts.port_map = SCOUT_PORT_MAP_OFF;
  CHECK_OK(scout_session_new(&opts, &s));
  scout_port_protocol proto = SCOUT_PORT_PROTOCOL_UPNP;
  char ext[SCOUT_ADDR_STRLEN] = "untouched";
  uint32_t lease = 42;
  CHECK_ST(scout_session_port_mapping(s, &proto, ext, NULL, NULL, &lease), SCOUT_NOT_FOUND);
  CHECK(proto == SCOUT_PORT_PROTOCOL_UPNP && strcmp(ext, "untouched") == 0 && lease == 42);
  CHECK_ST(scout_session_port_mapping(s, NULL, NULL, NULL, NULL, NULL), SCOUT_NOT_FOUND);
  scout_session_free(s);
  CHECK_ST(scout_session_port_mapping(s, &proto, ext, ext, ext, &lease), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_port_mapping(NULL, &proto, ext, ext, ext, &lease), SCOUT_INVALID_ARGUMENT);
}

static void test_states(void) {
  t_begin("misuse", "operations_in_the_wrong_state");
  scout_session_options opts;
  scout_session *s = NULL;
  scout_entries *e = NULL;
  char addr[SCOUT_ADDR_STRLEN];
  size_t len = sizeof addr;
  uint16_t port = 0;
  CHECK_OK(scout_entries_new(&e));
  CHECK_OK(scout_session_options_init(&opts));
  opts.bootstrap = ""; /* no peers: everything stays on this machine */
  opts.listen_addr = "127.0.0.1:0";
  opts.timeout_ms = 2000;
  CHECK_OK(scout_session_new(&opts, &s));

  /* Not started. */
  CHECK_ST(scout_synchronize(s, k32, e, NULL, NULL, on_sync, NULL), SCOUT_WRONG_STATE);
  CHECK_ST(scout_put(s, h20, (const uint8_t *)"m", 1, on_put, NULL), SCOUT_WRONG_STATE);
  CHECK_ST(scout_get(s, h20, on_get, NULL), SCOUT_WRONG_STATE);
  CHECK_ST(scout_get_list(s, h20, 0, NULL, on_list, NULL), SCOUT_WRONG_STATE);
  CHECK_ST(scout_session_stop(s), SCOUT_WRONG_STATE);
  CHECK_ST(scout_session_addr(s, addr, &len), SCOUT_WRONG_STATE);
  CHECK_ST(scout_session_port(s, &port), SCOUT_WRONG_STATE);

  CHECK_OK(scout_session_start(s));
  CHECK_ST(scout_session_start(s), SCOUT_WRONG_STATE);
  /* Bad arguments to a running session: refused, nothing called. */
  CHECK_ST(scout_synchronize(s, NULL, e, NULL, NULL, on_sync, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_synchronize(s, k32, NULL, NULL, NULL, on_sync, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_put(s, NULL, (const uint8_t *)"m", 1, on_put, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_put(s, h20, NULL, 1, on_put, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_get(s, NULL, on_get, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_get_list(s, NULL, 0, NULL, on_list, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_addr(s, addr, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_port(s, NULL), SCOUT_INVALID_ARGUMENT);
  /* Address buffers. */
  len = 5;
  CHECK_ST(scout_session_addr(s, addr, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len > 5 && len <= SCOUT_ADDR_STRLEN);
  size_t need = len;
  CHECK_OK(scout_session_addr(s, addr, &len));
  CHECK(len == need && strlen(addr) + 1 == len);
  CHECK_OK(scout_session_port(s, &port));
  CHECK(port != 0);

  CHECK_OK(scout_session_stop(s));
  CHECK_OK(scout_session_stop(s));
  CHECK_ST(scout_session_start(s), SCOUT_WRONG_STATE);
  CHECK_ST(scout_get(s, h20, on_get, NULL), SCOUT_WRONG_STATE);
  CHECK_ST(scout_put(s, h20, (const uint8_t *)"m", 1, on_put, NULL), SCOUT_WRONG_STATE);
  scout_session_free(s);
  scout_entries_free(e);
  CHECK(callbacks == 0);
}

static void test_swarm_misuse(void) {
  t_begin("misuse", "swarm");
  scout_swarm *sw = NULL;
  char buf[SCOUT_ADDR_STRLEN];
  size_t len = sizeof buf;
  CHECK_OK(scout_swarm_start(2, 0, &sw));
  len = 4;
  CHECK_ST(scout_swarm_bootstrap(sw, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len > 11 && len <= strlen("127.0.0.1:65535") + 1);
  CHECK_OK(scout_swarm_bootstrap(sw, buf, &len));
  CHECK(strncmp(buf, "127.0.0.1:", 10) == 0 && strlen(buf) + 1 == len);
  CHECK_ST(scout_swarm_bootstrap(sw, buf, NULL), SCOUT_INVALID_ARGUMENT);
  scout_swarm_free(sw);
  scout_swarm_free(sw);
  CHECK_ST(scout_swarm_bootstrap(sw, buf, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_start(100000, 0, &sw), SCOUT_INVALID_ARGUMENT);
}

static void test_swarm_options_misuse(void) {
  t_begin("misuse", "swarm_options");
  scout_swarm *sw = NULL;
  scout_swarm_options o;
  CHECK_ST(scout_swarm_options_init(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_OK(scout_swarm_options_init(&o));
  CHECK(o.size == sizeof o && o.nodes == 0 && o.wan == 0 && o.rtt_ms == 0 && o.loss == 0.0 && o.seed == 0);
  CHECK_ST(scout_swarm_start_opts(&o, NULL), SCOUT_INVALID_ARGUMENT);
  o.size = SWARM_OPTIONS_V1_SIZE - 1; /* older than the first struct */
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  CHECK_OK(scout_swarm_options_init(&o));
  o.rtt_ms = 80; /* a WAN field without wan */
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  o.wan = 1;
  o.loss = 1.0;
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  o.loss = -0.1;
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  o.loss = 0;
  o.jitter = NAN; /* NaN */
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  o.jitter = 0;
  o.nodes = 100000;
  CHECK_ST(scout_swarm_start_opts(&o, &sw), SCOUT_INVALID_ARGUMENT);
  CHECK(sw == NULL);

  /* A plain swarm has no WAN to kill nodes on. */
  CHECK_OK(scout_swarm_options_init(&o));
  o.nodes = 2;
  CHECK_OK(scout_swarm_start_opts(&o, &sw));
  uint32_t idx[4];
  size_t n = 4;
  CHECK_ST(scout_swarm_kill(sw, 0.5, idx, &n), SCOUT_WRONG_STATE);
  CHECK_ST(scout_swarm_set_dead(sw, 1, 1), SCOUT_WRONG_STATE);
  scout_swarm_free(sw);
  CHECK_ST(scout_swarm_kill(sw, 0.5, idx, &n), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_set_dead(sw, 1, 1), SCOUT_INVALID_ARGUMENT);
  scout_session *s = NULL;
  CHECK_ST(scout_swarm_join(sw, NULL, &s, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);

  /* A perfect WAN of two nodes: kill and set_dead work, within bounds. */
  CHECK_OK(scout_swarm_options_init(&o));
  o.nodes = 2;
  o.wan = 1;
  CHECK_OK(scout_swarm_start_opts(&o, &sw));
  CHECK_ST(scout_swarm_kill(sw, 0.5, idx, NULL), SCOUT_INVALID_ARGUMENT);
  n = 4;
  CHECK_ST(scout_swarm_kill(sw, 1.5, idx, &n), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_kill(sw, -0.5, idx, &n), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_kill(sw, NAN, idx, &n), SCOUT_INVALID_ARGUMENT);
  n = 0;
  CHECK_ST(scout_swarm_kill(sw, 0.5, NULL, &n), SCOUT_BUFFER_TOO_SMALL); /* asks; kills nobody */
  CHECK(n == 1);
  n = 1;
  CHECK_OK(scout_swarm_kill(sw, 0.5, idx, &n));
  CHECK(n == 1 && idx[0] == 1); /* never the first node */
  n = 1;
  CHECK_OK(scout_swarm_kill(sw, 0.5, idx, &n));
  CHECK(n == 0); /* nobody left to kill but the first */
  CHECK_OK(scout_swarm_set_dead(sw, 1, 0));
  CHECK_OK(scout_swarm_set_dead(sw, 0, 1));
  CHECK_OK(scout_swarm_set_dead(sw, 0, 0));
  CHECK_ST(scout_swarm_set_dead(sw, 2, 1), SCOUT_INVALID_ARGUMENT);

  /* Joining: the swarm chooses the address and the bootstrap. */
  scout_session_options so;
  CHECK_OK(scout_session_options_init(&so));
  so.listen_addr = "127.0.0.1:0";
  CHECK_ST(scout_swarm_join(sw, &so, &s, NULL), SCOUT_INVALID_ARGUMENT);
  so.listen_addr = NULL;
  so.bootstrap = "";
  CHECK_ST(scout_swarm_join(sw, &so, &s, NULL), SCOUT_INVALID_ARGUMENT);
  so.bootstrap = NULL;
  so.port_map = 9;
  CHECK_ST(scout_swarm_join(sw, &so, &s, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_swarm_join(sw, NULL, NULL, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);
  uint32_t index = 99;
  so.port_map = SCOUT_PORT_MAP_AUTO;
  so.timeout_ms = 5000;
  CHECK_OK(scout_swarm_join(sw, &so, &s, &index));
  CHECK(s != NULL && index == 2);
  CHECK_ST(scout_session_start(s), SCOUT_WRONG_STATE); /* started already */
  CHECK_ST(scout_session_port_mapping(s, NULL, NULL, NULL, NULL, NULL), SCOUT_NOT_FOUND);
  CHECK_OK(scout_swarm_set_dead(sw, index, 1));
  CHECK_OK(scout_swarm_set_dead(sw, index, 0));
  scout_session *s2 = NULL;
  CHECK_OK(scout_swarm_join(sw, NULL, &s2, NULL));
  /* Freed in either order: the swarm stops the sessions it holds, a
     session freed first is simply gone. */
  scout_session_free(s2);
  scout_swarm_free(sw);
  CHECK_ST(scout_session_stop(s), SCOUT_OK);
  scout_session_free(s);
}

int main(void) {
  test_versions();
  test_null_pointers();
  test_handles();
  test_entries_misuse();
  test_buffers();
  test_options();
  test_states();
  test_swarm_misuse();
  test_port_map_option();
  test_swarm_options_misuse();
  t_begin("handles", "none_leaked");
  size_t live = 99;
  CHECK_OK(scout_handle_count(&live));
  CHECK(live == 0);
  return t_summary();
}
