/* Every case of the shared test vectors (../shared/vectors), checked
   through the C API only. Usage: test_vectors VECTORS_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scout.h"
#include "testing.h"
#include "testing_fail.h"
#include "vectors.h"

void vec_fail(const char *what) { t_fail(__FILE__, 0, what); }

/* "<len>:" || data, the bencoded byte string. */
static bytes bencode(const uint8_t *data, size_t len) {
  bytes b;
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "%zu:", len);
  b.len = (size_t)n + len;
  b.data = malloc(b.len);
  if (b.data == NULL) abort();
  memcpy(b.data, prefix, (size_t)n);
  if (len) memcpy(b.data + n, data, len);
  return b;
}

/* Builds a list from a vector's "entries" array, verbatim (id, seq,
   content). */
static scout_entries *entries_from(const json *arr) {
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  for (size_t i = 0; arr != NULL && i < arr->len; i++) {
    const json *it = json_at(arr, i);
    bytes c = vec_hex(it, "content");
    CHECK_OK(scout_entries_set(e, (uint32_t)vec_int(it, "id"), vec_int(it, "seq"), c.data, c.len));
    bytes_free(&c);
  }
  return e;
}

/* Checks that e holds exactly the vector's entries, in order. */
static void check_entries(const scout_entries *e, const json *arr) {
  size_t count = 0;
  CHECK_OK(scout_entries_count(e, &count));
  CHECK(arr != NULL && count == arr->len);
  for (size_t i = 0; arr != NULL && i < arr->len && i < count; i++) {
    const json *it = json_at(arr, i);
    uint32_t id = 0;
    int64_t seq = 0;
    uint8_t value[SCOUT_MAX_VALUE_SIZE];
    size_t len = sizeof value;
    CHECK_OK(scout_entries_at(e, i, &id, &seq, value, &len));
    bytes c = vec_hex(it, "content");
    CHECK(id == (uint32_t)vec_int(it, "id"));
    CHECK(seq == vec_int(it, "seq"));
    CHECK_BYTES(value, len, c.data, c.len);
    bytes_free(&c);
  }
}

/* Serializes e and compares with want. */
static void check_serialized(const scout_entries *e, const bytes *want) {
  size_t len = 0;
  CHECK_ST(scout_entries_serialize(e, NULL, &len), want->len ? SCOUT_BUFFER_TOO_SMALL : SCOUT_OK);
  CHECK(len == want->len);
  uint8_t *buf = malloc(len + 1);
  size_t cap = len + 1;
  CHECK_OK(scout_entries_serialize(e, buf, &cap));
  CHECK_BYTES(buf, cap, want->data, want->len);
  free(buf);
}

/* ---- keypairs.json ------------------------------------------------------ */

static void test_keypairs(const char *dir) {
  json *doc = vec_load(dir, "keypairs.json");
  const json *a;
  uint8_t sk[32], pk[32], want[32], out[32], bsk[32], bpk[32];

  a = vec_array(doc, "keypairs");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("keypairs", vec_str(c, "name"));
    vec_fixed(c, "secret_key", sk, 32);
    vec_fixed(c, "public_key", want, 32);
    CHECK_OK(scout_public_key(sk, out));
    CHECK_BYTES(out, 32, want, 32);
  }

  a = vec_array(doc, "exchanges");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("exchanges", vec_str(c, "name"));
    vec_fixed(c, "a_secret_key", sk, 32);
    vec_fixed(c, "a_public_key", pk, 32);
    vec_fixed(c, "b_secret_key", bsk, 32);
    vec_fixed(c, "b_public_key", bpk, 32);
    vec_fixed(c, "shared", want, 32);
    CHECK_OK(scout_public_key(sk, out));
    CHECK_BYTES(out, 32, pk, 32);
    CHECK_OK(scout_public_key(bsk, out));
    CHECK_BYTES(out, 32, bpk, 32);
    CHECK_OK(scout_key_exchange(sk, bpk, out));
    CHECK_BYTES(out, 32, want, 32);
    CHECK_OK(scout_key_exchange(bsk, pk, out));
    CHECK_BYTES(out, 32, want, 32);
  }

  a = vec_array(doc, "public_key_high_bit");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("public_key_high_bit", vec_str(c, "name"));
    vec_fixed(c, "secret_key", sk, 32);
    vec_fixed(c, "public_key", pk, 32);
    vec_fixed(c, "shared", want, 32);
    CHECK(pk[31] & 0x80);
    CHECK_OK(scout_key_exchange(sk, pk, out));
    CHECK_BYTES(out, 32, want, 32);
  }

  a = vec_array(doc, "exchange_failures");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("exchange_failures", vec_str(c, "name"));
    vec_fixed(c, "secret_key", sk, 32);
    vec_fixed(c, "public_key", pk, 32);
    memset(out, 0xAB, 32);
    memset(want, 0xAB, 32);
    CHECK_ST(scout_key_exchange(sk, pk, out), SCOUT_INVALID_ARGUMENT);
    CHECK_BYTES(out, 32, want, 32); /* untouched on failure */
  }
  json_free(doc);
}

/* ---- signing.json ------------------------------------------------------- */

static void check_signature(const uint8_t shared[32], const uint8_t edpk[32], int64_t seq, const bytes *bv,
                            const uint8_t want[64]) {
  uint8_t sig[64];
  CHECK_OK(scout_mutable_sign(shared, seq, bv->data, bv->len, sig));
  CHECK_BYTES(sig, 64, want, 64);
  CHECK_OK(scout_mutable_verify(edpk, seq, bv->data, bv->len, want));
}

static void test_signing(const char *dir) {
  json *doc = vec_load(dir, "signing.json");
  const json *a;
  uint8_t shared[32], edpk[32], out[32], target[20], sig[64], sk[32], peer[32];
  uint8_t edsk[64], t[20];

  a = vec_array(doc, "keys");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("signing_keys", vec_str(c, "name"));
    vec_fixed(c, "shared_secret", shared, 32);
    vec_fixed(c, "ed25519_public_key", edpk, 32);
    vec_fixed(c, "ed25519_secret_key", edsk, 64);
    vec_fixed(c, "target", target, 20);
    CHECK_OK(scout_shared_signing_key(shared, out));
    CHECK_BYTES(out, 32, edpk, 32);
    /* The 64-byte secret key is seed || public key, the seed being the
       shared secret. */
    CHECK_BYTES(edsk, 32, shared, 32);
    CHECK_BYTES(edsk + 32, 32, out, 32);
    CHECK_OK(scout_shared_target(shared, t));
    CHECK_BYTES(t, 20, target, 20);
  }

  a = vec_array(doc, "signatures");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("signatures", vec_str(c, "name"));
    vec_fixed(c, "shared_secret", shared, 32);
    vec_fixed(c, "ed25519_public_key", edpk, 32);
    vec_fixed(c, "signature", sig, 64);
    int64_t seq = vec_int(c, "seq");
    bytes bv = vec_hex(c, "bencoded_v"), signed_buffer = vec_hex(c, "signed_buffer");
    /* The vector's signed buffer is "3:seqi<seq>e1:v" || bencoded_v. */
    char prefix[64];
    int n = snprintf(prefix, sizeof prefix, "3:seqi%" PRId64 "e1:v", seq);
    CHECK(signed_buffer.len == (size_t)n + bv.len && memcmp(signed_buffer.data, prefix, (size_t)n) == 0 &&
          memcmp(signed_buffer.data + n, bv.data, bv.len) == 0);
    CHECK_OK(scout_shared_signing_key(shared, out));
    CHECK_BYTES(out, 32, edpk, 32);
    check_signature(shared, edpk, seq, &bv, sig);
    bytes_free(&bv);
    bytes_free(&signed_buffer);
  }

  a = vec_array(doc, "bad_signatures");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("bad_signatures", vec_str(c, "name"));
    vec_fixed(c, "ed25519_public_key", edpk, 32);
    vec_fixed(c, "signature", sig, 64);
    bytes bv = vec_hex(c, "bencoded_v");
    CHECK_ST(scout_mutable_verify(edpk, vec_int(c, "seq"), bv.data, bv.len, sig), SCOUT_DECRYPT_FAILED);
    bytes_free(&bv);
  }

  a = vec_array(doc, "end_to_end");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("end_to_end", vec_str(c, "name"));
    uint8_t nonce[24];
    vec_fixed(c, "my_secret_key", sk, 32);
    vec_fixed(c, "peer_public_key", peer, 32);
    vec_fixed(c, "shared_secret", shared, 32);
    vec_fixed(c, "ed25519_public_key", edpk, 32);
    vec_fixed(c, "target", target, 20);
    vec_fixed(c, "nonce", nonce, 24);
    vec_fixed(c, "signature", sig, 64);
    bytes plaintext = vec_hex(c, "plaintext"), bv = vec_hex(c, "bencoded_v");
    int64_t seq = vec_int(c, "seq");

    CHECK_OK(scout_key_exchange(sk, peer, out));
    CHECK_BYTES(out, 32, shared, 32);
    CHECK_OK(scout_shared_signing_key(shared, out));
    CHECK_BYTES(out, 32, edpk, 32);
    CHECK_OK(scout_shared_target(shared, t));
    CHECK_BYTES(t, 20, target, 20);

    scout_entries *e = entries_from(vec_array(c, "entries"));
    check_serialized(e, &plaintext);
    scout_entries_free(e);

    uint8_t sealed[SCOUT_MAX_SEALED_SIZE];
    size_t sealed_len = sizeof sealed;
    CHECK_OK(scout_seal_with_nonce(shared, nonce, plaintext.data, plaintext.len, sealed, &sealed_len));
    bytes mine = bencode(sealed, sealed_len);
    CHECK_BYTES(mine.data, mine.len, bv.data, bv.len);
    check_signature(shared, edpk, seq, &bv, sig);

    uint8_t opened[SCOUT_MAX_PLAINTEXT];
    size_t opened_len = sizeof opened;
    CHECK_OK(scout_open(shared, sealed, sealed_len, opened, &opened_len));
    CHECK_BYTES(opened, opened_len, plaintext.data, plaintext.len);
    bytes_free(&mine);
    bytes_free(&plaintext);
    bytes_free(&bv);
  }
  json_free(doc);
}

/* ---- entries.json ------------------------------------------------------- */

static void test_entries(const char *dir) {
  json *doc = vec_load(dir, "entries.json");
  const json *a;

  a = vec_array(doc, "entry_serialize");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("entry_serialize", vec_str(c, "name"));
    bytes content = vec_hex(c, "content"), want = vec_hex(c, "serialized");
    scout_entries *e = NULL;
    CHECK_OK(scout_entries_new(&e));
    CHECK_OK(scout_entries_set(e, (uint32_t)vec_int(c, "id"), vec_int(c, "seq"), content.data, content.len));
    /* A one-entry list is the list header (count 1, offset 0) followed by
       the entry exactly as the vector serializes it alone. */
    uint8_t buf[2 + SCOUT_ENTRY_HEADER_SIZE + SCOUT_MAX_VALUE_SIZE];
    size_t len = sizeof buf;
    CHECK_OK(scout_entries_serialize(e, buf, &len));
    CHECK(len >= 2 && buf[0] == 1 && buf[1] == 0);
    CHECK_BYTES(buf + 2, len - 2, want.data, want.len);
    scout_entries *back = NULL;
    size_t consumed = 0;
    CHECK_OK(scout_entries_parse(buf, len, &back, &consumed));
    CHECK(consumed == len);
    int64_t seq = 0;
    uint8_t value[SCOUT_MAX_VALUE_SIZE];
    size_t vlen = sizeof value;
    CHECK_OK(scout_entries_get(back, (uint32_t)vec_int(c, "id"), &seq, value, &vlen));
    CHECK(seq == vec_int(c, "seq"));
    CHECK_BYTES(value, vlen, content.data, content.len);
    scout_entries_free(back);
    scout_entries_free(e);
    bytes_free(&content);
    bytes_free(&want);
  }

  a = vec_array(doc, "lists");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("lists", vec_str(c, "name"));
    bytes want = vec_hex(c, "serialized");
    scout_entries *e = entries_from(vec_array(c, "entries"));
    check_serialized(e, &want);
    scout_entries *back = NULL;
    size_t consumed = 0;
    CHECK_OK(scout_entries_parse(want.data, want.len, &back, &consumed));
    CHECK(consumed == want.len);
    check_entries(back, vec_array(c, "entries"));
    scout_entries_free(back);
    scout_entries_free(e);
    bytes_free(&want);
  }

  a = vec_array(doc, "parse_only");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("parse_only", vec_str(c, "name"));
    bytes input = vec_hex(c, "input"), canonical = vec_hex(c, "canonical");
    scout_entries *e = NULL;
    size_t consumed = 0;
    CHECK_OK(scout_entries_parse(input.data, input.len, &e, &consumed));
    CHECK(consumed == (size_t)vec_int(c, "consumed"));
    check_entries(e, vec_array(c, "entries"));
    check_serialized(e, &canonical);
    scout_entries_free(e);
    bytes_free(&input);
    bytes_free(&canonical);
  }

  a = vec_array(doc, "parse_invalid");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("parse_invalid", vec_str(c, "name"));
    bytes input = vec_hex(c, "input");
    scout_entries *e = NULL;
    size_t consumed = 12345, before = 0, after = 0;
    CHECK_OK(scout_handle_count(&before));
    CHECK_ST(scout_entries_parse(input.data, input.len, &e, &consumed), SCOUT_INVALID_ARGUMENT);
    CHECK(e == NULL);           /* no partial list */
    CHECK(consumed == 12345);   /* outputs untouched */
    CHECK_OK(scout_handle_count(&after));
    CHECK(before == after);
    bytes_free(&input);
  }
  json_free(doc);
}

/* ---- sealed.json -------------------------------------------------------- */

static void test_sealed(const char *dir) {
  json *doc = vec_load(dir, "sealed.json");
  const json *a;
  uint8_t key[32], nonce[24];

  a = vec_array(doc, "cases");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("sealed", vec_str(c, "name"));
    vec_fixed(c, "key", key, 32);
    vec_fixed(c, "nonce", nonce, 24);
    bytes plaintext = vec_hex(c, "plaintext"), sealed = vec_hex(c, "sealed"), bv = vec_hex(c, "bencoded_v");

    uint8_t out[SCOUT_MAX_SEALED_SIZE];
    size_t len = sizeof out;
    CHECK_OK(scout_seal_with_nonce(key, nonce, plaintext.data, plaintext.len, out, &len));
    CHECK_BYTES(out, len, sealed.data, sealed.len);
    CHECK(len == (size_t)vec_int(c, "sealed_length"));
    CHECK(len == plaintext.len + SCOUT_SEAL_OVERHEAD);
    bytes mine = bencode(out, len);
    CHECK_BYTES(mine.data, mine.len, bv.data, bv.len);
    CHECK(mine.len == (size_t)vec_int(c, "bencoded_length"));
    CHECK((mine.len <= 1000) == (vec_bool(c, "fits_bep44") != 0));

    uint8_t opened[SCOUT_MAX_SEALED_SIZE];
    size_t opened_len = sizeof opened;
    CHECK_OK(scout_open(key, sealed.data, sealed.len, opened, &opened_len));
    CHECK_BYTES(opened, opened_len, plaintext.data, plaintext.len);

    scout_entries *e = NULL;
    size_t consumed = 0;
    CHECK_OK(scout_entries_parse(opened, opened_len, &e, &consumed));
    check_entries(e, vec_array(c, "entries"));
    check_serialized(e, &plaintext);
    scout_entries_free(e);

    /* A random nonce gives a different seal that opens to the same list. */
    len = sizeof out;
    CHECK_OK(scout_seal(key, plaintext.data, plaintext.len, out, &len));
    CHECK(len == sealed.len);
    opened_len = sizeof opened;
    CHECK_OK(scout_open(key, out, len, opened, &opened_len));
    CHECK_BYTES(opened, opened_len, plaintext.data, plaintext.len);

    bytes_free(&mine);
    bytes_free(&plaintext);
    bytes_free(&sealed);
    bytes_free(&bv);
  }

  a = vec_array(doc, "open_failures");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("open_failures", vec_str(c, "name"));
    vec_fixed(c, "key", key, 32);
    bytes sealed = vec_hex(c, "sealed");
    uint8_t out[2048];
    size_t len = sizeof out;
    CHECK_ST(scout_open(key, sealed.data, sealed.len, out, &len), SCOUT_DECRYPT_FAILED);
    CHECK(len == sizeof out);
    bytes_free(&sealed);
  }
  json_free(doc);
}

/* ---- messages.json ------------------------------------------------------ */

static void check_parse_message(const bytes *blob, const bytes *msg, const uint8_t next[20]) {
  uint8_t out[SCOUT_MAX_BLOB_SIZE + 64], got_next[20];
  size_t len = sizeof out;
  CHECK_OK(scout_message_parse(blob->data, blob->len, out, &len, got_next));
  CHECK_BYTES(out, len, msg->data, msg->len);
  CHECK_BYTES(got_next, 20, next, 20);
}

static void test_messages(const char *dir) {
  json *doc = vec_load(dir, "messages.json");
  const json *a;
  uint8_t next[20], target[20], h[20];

  a = vec_array(doc, "blobs");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("blobs", vec_str(c, "name"));
    bytes msg = vec_hex(c, "message"), blob = vec_hex(c, "blob"), bv = vec_hex(c, "bencoded_v");
    vec_fixed(c, "next_hash", next, 20);
    vec_fixed(c, "target", target, 20);
    int fits = vec_bool(c, "fits_bep44");
    CHECK(bv.len == (size_t)vec_int(c, "bencoded_length"));
    CHECK((bv.len <= 1000) == (fits != 0));
    bytes mine = bencode(blob.data, blob.len);
    CHECK_BYTES(mine.data, mine.len, bv.data, bv.len);
    CHECK_OK(scout_message_hash(blob.data, blob.len, h));
    CHECK_BYTES(h, 20, target, 20);

    uint8_t out[SCOUT_MAX_BLOB_SIZE + 64];
    size_t len = sizeof out;
    uint8_t head[20], token[20], head_before[20];
    memcpy(head, next, 20);
    memcpy(head_before, next, 20);
    if (fits) {
      CHECK_OK(scout_message_encode(next, msg.data, msg.len, out, &len));
      CHECK_BYTES(out, len, blob.data, blob.len);
      check_parse_message(&blob, &msg, next);
      /* Pushing it onto a list whose head is next_hash stores this blob. */
      CHECK_OK(scout_list_push_front(head, msg.data, msg.len, token));
      CHECK_BYTES(token, 20, next, 20);
      CHECK_BYTES(head, 20, target, 20);
    } else {
      /* A put must refuse it: encoding and pushing do. */
      CHECK_ST(scout_message_encode(next, msg.data, msg.len, out, &len), SCOUT_TOO_LARGE);
      CHECK_ST(scout_list_push_front(head, msg.data, msg.len, token), SCOUT_TOO_LARGE);
      CHECK_BYTES(head, 20, head_before, 20);
    }
    bytes_free(&mine);
    bytes_free(&msg);
    bytes_free(&blob);
    bytes_free(&bv);
  }

  a = vec_array(doc, "parse_only");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("messages_parse_only", vec_str(c, "name"));
    bytes msg = vec_hex(c, "message"), blob = vec_hex(c, "blob");
    vec_fixed(c, "next_hash", next, 20);
    check_parse_message(&blob, &msg, next);
    bytes_free(&msg);
    bytes_free(&blob);
  }

  a = vec_array(doc, "parse_invalid");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    t_begin("messages_parse_invalid", vec_str(c, "name"));
    bytes blob = vec_hex(c, "blob");
    uint8_t out[SCOUT_MAX_BLOB_SIZE];
    size_t len = sizeof out;
    CHECK_ST(scout_message_parse(blob.data, blob.len, out, &len, next), SCOUT_INVALID_ARGUMENT);
    bytes_free(&blob);
  }

  const json *list = json_get(doc, "list");
  t_begin("list", "push_front");
  uint8_t head[20], want[20], token[20];
  vec_fixed(list, "empty_head", head, 20);
  CHECK_BYTES(head, 20, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
  const json *steps = vec_array(list, "push_front");
  for (size_t i = 0; steps && i < steps->len; i++) {
    const json *c = json_at(steps, i);
    bytes msg = vec_hex(c, "message"), blob = vec_hex(c, "blob"), bv = vec_hex(c, "bencoded_v");
    vec_fixed(c, "head_before", want, 20);
    CHECK_BYTES(head, 20, want, 20);
    CHECK_OK(scout_list_push_front(head, msg.data, msg.len, token));
    vec_fixed(c, "token", want, 20);
    CHECK_BYTES(token, 20, want, 20);
    vec_fixed(c, "head_after", want, 20);
    CHECK_BYTES(head, 20, want, 20);
    uint8_t out[SCOUT_MAX_BLOB_SIZE];
    size_t len = sizeof out;
    CHECK_OK(scout_message_encode(token, msg.data, msg.len, out, &len));
    CHECK_BYTES(out, len, blob.data, blob.len);
    bytes mine = bencode(out, len);
    CHECK_BYTES(mine.data, mine.len, bv.data, bv.len);
    CHECK_OK(scout_message_hash(out, len, target));
    CHECK_BYTES(target, 20, want, 20);
    bytes_free(&mine);
    bytes_free(&msg);
    bytes_free(&blob);
    bytes_free(&bv);
  }
  vec_fixed(list, "final_head", want, 20);
  CHECK_BYTES(head, 20, want, 20);

  /* Walk back from the final head: each target is the hash of a pushed
     blob, which parses to the walk's message and next hash. */
  t_begin("list", "walk");
  const json *walk = vec_array(list, "walk");
  uint8_t at[20];
  memcpy(at, head, 20);
  for (size_t i = 0; walk && i < walk->len; i++) {
    const json *w = json_at(walk, i);
    vec_fixed(w, "target", target, 20);
    CHECK_BYTES(target, 20, at, 20);
    bytes msg = vec_hex(w, "message");
    vec_fixed(w, "next_hash", next, 20);
    int found = 0;
    for (size_t j = 0; steps && j < steps->len; j++) {
      bytes blob = vec_hex(json_at(steps, j), "blob");
      CHECK_OK(scout_message_hash(blob.data, blob.len, h));
      if (memcmp(h, target, 20) == 0) {
        found = 1;
        check_parse_message(&blob, &msg, next);
      }
      bytes_free(&blob);
    }
    CHECK(found);
    memcpy(at, next, 20);
    bytes_free(&msg);
  }
  CHECK_BYTES(at, 20, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
  json_free(doc);
}

/* ---- limits.json -------------------------------------------------------- */

static void test_limits(const char *dir) {
  json *doc = vec_load(dir, "limits.json");
  t_begin("limits", "sizes");
  CHECK(vec_int(doc, "entries_header_size") == SCOUT_ENTRIES_HEADER_SIZE);
  CHECK(vec_int(doc, "entry_header_size") == SCOUT_ENTRY_HEADER_SIZE);
  CHECK(vec_int(doc, "entry_max_content_length") == SCOUT_MAX_VALUE_SIZE);
  CHECK(vec_int(doc, "entry_list_max_count") == SCOUT_MAX_ENTRIES);
  CHECK(vec_int(doc, "nonce_size") == SCOUT_NONCE_SIZE);
  CHECK(vec_int(doc, "nonce_size") + vec_int(doc, "mac_size") == SCOUT_SEAL_OVERHEAD);
  CHECK(vec_int(doc, "seal_overhead") == SCOUT_SEAL_OVERHEAD);
  CHECK(vec_int(doc, "min_sealed_length_accepted") == SCOUT_MIN_SEALED_SIZE);
  CHECK(vec_int(doc, "max_sealed_plaintext") == SCOUT_MAX_PLAINTEXT);
  CHECK(vec_int(doc, "max_sealed_length") == SCOUT_MAX_SEALED_SIZE);
  CHECK(vec_int(doc, "msg_header_size") == SCOUT_MESSAGE_HEADER_SIZE);
  CHECK(vec_int(doc, "max_message_length") == SCOUT_MAX_MESSAGE_SIZE);
  CHECK(vec_int(doc, "max_message_blob_length") == SCOUT_MAX_BLOB_SIZE);
  CHECK(vec_int(doc, "hash_size") == SCOUT_HASH_SIZE);
  CHECK(vec_int(doc, "key_size") == SCOUT_KEY_SIZE);
  CHECK(vec_int(doc, "ed25519_signature_size") == SCOUT_SIGNATURE_SIZE);
  CHECK(vec_int(doc, "bep44_max_bencoded_v") == 1000);

  /* The entry counts that fit once sealed: n entries with empty content,
     or with 255-byte content, and one more does not. */
  t_begin("limits", "max_entries_sealable");
  uint8_t key[32] = {1}, nonce[24] = {2}, value[255];
  memset(value, 'v', sizeof value);
  int64_t counts[2] = {vec_int(doc, "max_entries_empty_content_sealable"),
                       vec_int(doc, "max_entries_content_255_sealable")};
  for (int k = 0; k < 2; k++) {
    scout_entries *e = NULL;
    CHECK_OK(scout_entries_new(&e));
    for (int64_t n = 0; n <= counts[k]; n++) {
      uint8_t plain[SCOUT_MAX_ENTRIES_SIZE], sealed[SCOUT_MAX_ENTRIES_SIZE + 64];
      size_t plen = sizeof plain, slen = sizeof sealed;
      CHECK_OK(scout_entries_serialize(e, plain, &plen));
      CHECK_OK(scout_seal_with_nonce(key, nonce, plain, plen, sealed, &slen));
      CHECK_OK(scout_entries_set(e, (uint32_t)n, 1, value, k == 0 ? 0 : 255));
    }
    uint8_t plain[SCOUT_MAX_ENTRIES_SIZE], sealed[SCOUT_MAX_ENTRIES_SIZE + 64];
    size_t plen = sizeof plain, slen = sizeof sealed;
    CHECK_OK(scout_entries_serialize(e, plain, &plen));
    CHECK_ST(scout_seal_with_nonce(key, nonce, plain, plen, sealed, &slen), SCOUT_TOO_LARGE);
    scout_entries_free(e);
  }

  const json *a = vec_array(doc, "examples");
  for (size_t i = 0; a && i < a->len; i++) {
    const json *c = json_at(a, i);
    char name[96];
    const char *kind = vec_str(c, "kind");
    int64_t length = vec_int(c, "length");
    snprintf(name, sizeof name, "%s_%" PRId64, kind ? kind : "?", length);
    t_begin("limits_examples", name);
    int fits = vec_bool(c, "fits");
    size_t want_len = (size_t)vec_int(c, "bencoded_v_length");
    uint8_t *in = calloc((size_t)length + 1, 1), out[2048];
    size_t len = sizeof out;
    scout_status st = SCOUT_INTERNAL;
    if (kind && strcmp(kind, "entry_list_plaintext") == 0) {
      st = scout_seal_with_nonce(key, nonce, in, (size_t)length, out, &len);
    } else if (kind && strcmp(kind, "message") == 0) {
      uint8_t zero[20] = {0};
      st = scout_message_encode(zero, in, (size_t)length, out, &len);
    } else {
      CHECK(!"unknown kind");
    }
    if (fits) {
      CHECK_OK(st);
      bytes mine = bencode(out, len);
      CHECK(mine.len == want_len);
      bytes_free(&mine);
    } else {
      CHECK_ST(st, SCOUT_TOO_LARGE);
      char prefix[32];
      /* What it would have taken: the value plus its length prefix. */
      size_t would = (size_t)length + (strcmp(kind, "message") == 0 ? SCOUT_MESSAGE_HEADER_SIZE : SCOUT_SEAL_OVERHEAD);
      CHECK(would + (size_t)snprintf(prefix, sizeof prefix, "%zu:", would) == want_len);
      CHECK(want_len > 1000);
    }
    free(in);
  }
  json_free(doc);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
    return 2;
  }
  test_keypairs(argv[1]);
  test_signing(argv[1]);
  test_entries(argv[1]);
  test_sealed(argv[1]);
  test_messages(argv[1]);
  test_limits(argv[1]);
  t_begin("handles", "none_leaked");
  size_t live = 99;
  CHECK_OK(scout_handle_count(&live));
  CHECK(live == 0);
  return t_summary();
}
