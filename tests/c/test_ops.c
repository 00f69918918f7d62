/* Error text and per-operation control, through the C API only:
   scout_last_error after failing and succeeding calls, per thread, inside
   completions; scout_op handles that cancel one operation (its completion
   comes exactly once, CANCELLED, and the session goes on); a per-operation
   deadline. The in-flight cases use a session whose peers are gone (their
   swarm was freed after it joined): its lookups wait for queries that are
   never answered, so an operation stays in flight long enough to cancel or
   to reach a short deadline.
   Usage: test_ops [NODES] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scout.h"
#include "sync_util.h"
#include "testing.h"

static unsigned nodes = 8;

/* The calling thread's error text. */
static const char *last_error(void) {
  static _Thread_local char buf[SCOUT_ERROR_STRLEN];
  size_t len = sizeof buf;
  if (scout_last_error(buf, &len) != SCOUT_OK) snprintf(buf, sizeof buf, "(scout_last_error failed)");
  return buf;
}

#define CHECK_TEXT(want)                                                       \
  do {                                                                         \
    const char *t_text_ = last_error();                                        \
    if (strcmp(t_text_, (want)) != 0) {                                        \
      char t_msg_[2 * SCOUT_ERROR_STRLEN];                                     \
      snprintf(t_msg_, sizeof t_msg_, "error text \"%s\", want \"%s\"", t_text_, (want)); \
      t_fail(__FILE__, __LINE__, t_msg_);                                      \
    }                                                                          \
  } while (0)

#define CHECK_TEXT_HAS(part)                                                   \
  do {                                                                         \
    const char *t_text_ = last_error();                                        \
    if (strstr(t_text_, (part)) == NULL) {                                     \
      char t_msg_[2 * SCOUT_ERROR_STRLEN];                                     \
      snprintf(t_msg_, sizeof t_msg_, "error text \"%s\" lacks \"%s\"", t_text_, (part)); \
      t_fail(__FILE__, __LINE__, t_msg_);                                      \
    }                                                                          \
  } while (0)

static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0) return 0;
    p++;
    for (int i = 0; i < n; i++, p++)
      if ((*p & 0xC0) != 0x80) return 0;
  }
  return 1;
}

/* ---- scout_last_error on synchronous calls ----------------------------- */

static void *other_thread_fails(void *arg) {
  (void)arg;
  scout_entries *e = NULL;
  scout_entries_new(&e);
  scout_entries_remove(e, 42); /* fails here only */
  scout_entries_free(e);
  return strdup(last_error());
}

static void test_last_error(void) {
  t_begin("last_error", "a failing call says why");
  scout_session_options o;
  CHECK_OK(scout_session_options_init(&o));
  CHECK_TEXT("");
  o.bootstrap = "127.0.0.1:6881, no-port-here";
  scout_session *s = NULL;
  CHECK_ST(scout_session_new(&o, &s), SCOUT_INVALID_ARGUMENT);
  CHECK(s == NULL);
  CHECK_TEXT("scout_session_new: invalid argument: bootstrap node \"no-port-here\": address no-port-here: missing "
             "port in address");

  t_begin("last_error", "size query and a small buffer keep the text");
  size_t len = 0;
  CHECK_ST(scout_last_error(NULL, &len), SCOUT_BUFFER_TOO_SMALL);
  size_t need = strlen(last_error()) + 1;
  CHECK(len == need);
  char small[8];
  len = sizeof small;
  CHECK_ST(scout_last_error(small, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == need);
  CHECK_ST(scout_last_error(NULL, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT_HAS("scout_session_new: ");

  t_begin("last_error", "success clears it");
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  CHECK_TEXT("");
  len = 0;
  CHECK_ST(scout_last_error(NULL, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK(len == 1);

  t_begin("last_error", "causes from the library");
  CHECK_ST(scout_entries_get(e, 7, NULL, NULL, NULL), SCOUT_NOT_FOUND);
  CHECK_TEXT("scout_entries_get: no entry with id 7");
  uint8_t big[SCOUT_MAX_VALUE_SIZE + 1] = {0};
  CHECK_ST(scout_entries_assign(e, 1, big, sizeof big, NULL), SCOUT_TOO_LARGE);
  CHECK_TEXT("scout_entries_assign: value too large: 256 > 255");
  CHECK_ST(scout_entries_count((scout_entries *)(uintptr_t)999999, &len), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT_HAS("scout_entries_count: not a live scout_entries handle");
  uint8_t buf[4];
  len = sizeof buf;
  CHECK_OK(scout_entries_assign(e, 1, (const uint8_t *)"hello", 5, NULL));
  CHECK_ST(scout_entries_get(e, 1, NULL, buf, &len), SCOUT_BUFFER_TOO_SMALL);
  CHECK_TEXT("scout_entries_get: the buffer holds 4 bytes, 5 are needed");
  CHECK_ST(scout_entries_parse((const uint8_t *)"\x01\x00\x01", 3, &e, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT_HAS("scout_entries_parse: malformed entry list at byte");
  CHECK_ST(scout_op_options_init(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT("scout_op_options_init: opts is NULL");
  CHECK_ST(scout_session_start(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT("scout_session_start: not a live scout_session handle (NULL, freed, or of another kind)");
  uint8_t hash[SCOUT_HASH_SIZE] = {1};
  scout_op_options oo;
  CHECK_OK(scout_op_options_init(&oo));
  oo.size = 3;
  CHECK_ST(scout_get_op(NULL, hash, &oo, NULL, NULL, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_TEXT_HAS("scout_get_op: not a live scout_session");

  t_begin("last_error", "one text per thread");
  CHECK_ST(scout_entries_remove(e, 41), SCOUT_NOT_FOUND);
  pthread_t t;
  void *other = NULL;
  pthread_create(&t, NULL, other_thread_fails, NULL);
  pthread_join(t, &other);
  CHECK(other != NULL && strcmp(other, "scout_entries_remove: no entry with id 42") == 0);
  free(other);
  CHECK_TEXT("scout_entries_remove: no entry with id 41");
  scout_entries_free(e);
  CHECK_TEXT("scout_entries_remove: no entry with id 41"); /* _free sets nothing */

  t_begin("last_error", "long texts are cut at a character boundary");
  char bootstrap[3 * SCOUT_ERROR_STRLEN];
  size_t n = 0;
  while (n + 2 < sizeof bootstrap - 1) {
    memcpy(bootstrap + n, "\xc3\xa9", 2); /* é */
    n += 2;
  }
  bootstrap[n] = '\0';
  o.bootstrap = bootstrap;
  CHECK_ST(scout_session_new(&o, &s), SCOUT_INVALID_ARGUMENT);
  const char *text = last_error();
  CHECK(strlen(text) <= SCOUT_ERROR_STRLEN - 1 && strlen(text) > SCOUT_ERROR_STRLEN - 5);
  CHECK(valid_utf8(text));
}

/* ---- operations ---------------------------------------------------------- */

typedef struct {
  int done;                       /* completion calls */
  scout_status status;
  char text[SCOUT_ERROR_STRLEN];  /* scout_last_error inside the completion */
  int in_finalize;                /* finalize started and waits for release */
  int release;                    /* let finalize return */
} op_state;

static int done_pred(void *arg) { return ((op_state *)arg)->done > 0; }
static int finalize_pred(void *arg) { return ((op_state *)arg)->in_finalize; }
static int release_pred(void *arg) { return ((op_state *)arg)->release; }

static void wait_done(op_state *op, int seconds) {
  su_lock();
  int ok = su_wait(done_pred, op, seconds);
  su_unlock();
  CHECK(ok);
}

static void complete(op_state *op, scout_status status) {
  su_lock();
  op->done++;
  op->status = status;
  size_t len = sizeof op->text;
  if (scout_last_error(op->text, &len) != SCOUT_OK) snprintf(op->text, sizeof op->text, "(failed)");
  su_unlock();
}

static void on_get(void *user, scout_status status, const uint8_t *msg, size_t len, const uint8_t next[20]) {
  (void)msg, (void)len, (void)next;
  complete(user, status);
}

static void on_put(void *user, scout_status status, const uint8_t hash[20], uint32_t stored) {
  (void)hash, (void)stored;
  complete(user, status);
}

static void on_sync(void *user, scout_status status, int64_t seq, uint32_t stored, uint32_t failed) {
  (void)seq, (void)stored, (void)failed;
  complete(user, status);
}

static void on_list(void *user, scout_status status, size_t count) {
  (void)count;
  complete(user, status);
}

/* Blocks the dispatcher until the test releases it. */
static void on_finalize_wait(void *user, scout_entries *entries) {
  (void)entries;
  op_state *op = user;
  su_lock();
  op->in_finalize = 1;
  pthread_cond_broadcast(&su_cond);
  su_wait(release_pred, op, 60);
  su_unlock();
}

static scout_session *new_session(const char *bootstrap) {
  scout_session_options o;
  scout_session_options_init(&o);
  o.listen_addr = "127.0.0.1:0";
  o.bootstrap = bootstrap;
  o.timeout_ms = 30000;
  scout_session *s = NULL;
  CHECK_OK(scout_session_new(&o, &s));
  CHECK_OK(scout_session_start(s));
  return s;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_ops_live(const char *bootstrap) {
  scout_session *s = new_session(bootstrap);
  uint8_t hash[SCOUT_HASH_SIZE];
  memset(hash, 0xab, sizeof hash);

  t_begin("op", "a completion's text, and cancel after it ended");
  op_state get = {0};
  scout_op *op = NULL;
  CHECK_OK(scout_get_op(s, hash, NULL, &op, on_get, &get));
  CHECK(op != NULL);
  CHECK_TEXT("");
  wait_done(&get, 60);
  CHECK_ST(get.status, SCOUT_NOT_FOUND);
  CHECK(strncmp(get.text, "scout_get_op: not found", 23) == 0);
  CHECK_ST(scout_op_cancel(op), SCOUT_WRONG_STATE);
  CHECK_TEXT_HAS("scout_op_cancel: the operation has already ended");
  scout_op_free(op);
  scout_op_free(op);
  scout_op_free(NULL);
  CHECK_ST(scout_op_cancel(op), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_op_cancel(NULL), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_op_cancel((scout_op *)s), SCOUT_INVALID_ARGUMENT); /* wrong kind */

  t_begin("op", "no handle, default options: a plain put; OK clears the text");
  op_state put = {0};
  uint8_t head[SCOUT_HASH_SIZE] = {0}, token[SCOUT_HASH_SIZE];
  CHECK_OK(scout_list_push_front(head, (const uint8_t *)"hi", 2, token));
  CHECK_OK(scout_put_op(s, token, (const uint8_t *)"hi", 2, NULL, NULL, on_put, &put));
  wait_done(&put, 60);
  CHECK_OK(put.status);
  CHECK(strcmp(put.text, "") == 0);

  t_begin("op", "cancel one synchronize while its finalize runs; the session goes on");
  op_state sync = {0};
  uint8_t shared[SCOUT_KEY_SIZE];
  memset(shared, 7, sizeof shared);
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  CHECK_OK(scout_entries_assign(e, 1, (const uint8_t *)"mine", 4, NULL));
  scout_op_options oo;
  CHECK_OK(scout_op_options_init(&oo));
  CHECK_OK(scout_synchronize_op(s, shared, e, &oo, &op, NULL, on_finalize_wait, on_sync, &sync));
  su_lock();
  CHECK(su_wait(finalize_pred, &sync, 60));
  su_unlock();
  CHECK_OK(scout_op_cancel(op));
  CHECK_ST(scout_op_cancel(op), SCOUT_WRONG_STATE); /* once */
  su_lock();
  CHECK(sync.done == 0); /* never inside scout_op_cancel, and the dispatcher is busy */
  sync.release = 1;
  su_unlock();
  wait_done(&sync, 60);
  CHECK_ST(sync.status, SCOUT_CANCELLED);
  CHECK(strcmp(sync.text, "scout_synchronize_op: cancelled: scout_op_cancel was called") == 0);
  size_t count = 99;
  CHECK_OK(scout_entries_count(e, &count));
  CHECK(count == 1); /* a cancelled synchronize leaves the caller's list alone */
  scout_op_free(op);
  op_state get2 = {0};
  CHECK_OK(scout_get(s, head, on_get, &get2));
  wait_done(&get2, 60);
  CHECK_OK(get2.status);

  scout_session_free(s);
  t_begin("op", "exactly once");
  CHECK(get.done == 1 && put.done == 1 && sync.done == 1 && get2.done == 1);
  scout_entries_free(e);
}

/* A session that joined a swarm which then went away: its lookups wait for
   answers that never come. */
static void test_ops_in_flight(void) {
  t_begin("op", "a session whose peers are gone");
  scout_swarm *gone = NULL;
  CHECK_OK(scout_swarm_start(nodes, 0, &gone));
  char bootstrap[SCOUT_ADDR_STRLEN];
  size_t len = sizeof bootstrap;
  CHECK_OK(scout_swarm_bootstrap(gone, bootstrap, &len));
  scout_session *s = new_session(bootstrap);
  scout_swarm_free(gone);
  uint8_t hash[SCOUT_HASH_SIZE];
  memset(hash, 0xcd, sizeof hash);

  t_begin("op", "cancel one get in flight");
  op_state a = {0}, b = {0};
  scout_op *op_a = NULL, *op_b = NULL;
  CHECK_OK(scout_get_op(s, hash, NULL, &op_a, on_get, &a));
  CHECK_OK(scout_get_op(s, hash, NULL, &op_b, on_get, &b));
  CHECK_OK(scout_op_cancel(op_a));
  wait_done(&a, 60);
  CHECK_ST(a.status, SCOUT_CANCELLED);
  CHECK(strcmp(a.text, "scout_get_op: cancelled: scout_op_cancel was called") == 0);
  su_lock();
  CHECK(b.done == 0); /* the other one is still in flight */
  su_unlock();
  CHECK_OK(scout_op_cancel(op_b));
  wait_done(&b, 60);
  CHECK_ST(b.status, SCOUT_CANCELLED);

  t_begin("op", "cancel a list walk in flight");
  op_state l = {0};
  scout_op *op_l = NULL;
  CHECK_OK(scout_get_list_op(s, hash, 0, NULL, &op_l, NULL, on_list, &l));
  CHECK_OK(scout_op_cancel(op_l));
  wait_done(&l, 60);
  CHECK_ST(l.status, SCOUT_CANCELLED);

  t_begin("op", "a deadline of its own, shorter than the session's");
  op_state d = {0};
  scout_op_options oo;
  CHECK_OK(scout_op_options_init(&oo));
  oo.timeout_ms = 300;
  double t0 = now();
  CHECK_OK(scout_get_op(s, hash, &oo, NULL, on_get, &d));
  wait_done(&d, 60);
  double took = now() - t0;
  CHECK_ST(d.status, SCOUT_TIMEOUT);
  CHECK(strncmp(d.text, "scout_get_op: timed out", 23) == 0);
  CHECK(took >= 0.25 && took < 20); /* the session's deadline is 30 s */

  t_begin("op", "freeing the session ends what an op handle refers to");
  op_state f = {0};
  scout_op *op_f = NULL;
  CHECK_OK(scout_get_op(s, hash, NULL, &op_f, on_get, &f));
  scout_session_free(s);
  CHECK(f.done == 1);
  CHECK_ST(f.status, SCOUT_CANCELLED);
  CHECK(strcmp(f.text, "scout_get_op: cancelled: the session was freed") == 0);
  CHECK_ST(scout_op_cancel(op_f), SCOUT_WRONG_STATE);
  CHECK_ST(scout_get_op(s, hash, NULL, &op_f, on_get, &f), SCOUT_INVALID_ARGUMENT);

  t_begin("op", "exactly once");
  CHECK(a.done == 1 && b.done == 1 && l.done == 1 && d.done == 1 && f.done == 1);
  scout_op_free(op_a);
  scout_op_free(op_b);
  scout_op_free(op_l);
  scout_op_free(op_f);
}

int main(int argc, char **argv) {
  if (argc > 1) nodes = (unsigned)atoi(argv[1]);
  setvbuf(stdout, NULL, _IOLBF, 0);

  test_last_error();

  t_begin("swarm", "start");
  scout_swarm *swarm = NULL;
  CHECK_OK(scout_swarm_start(nodes, 0, &swarm));
  char bootstrap[SCOUT_ADDR_STRLEN];
  size_t len = sizeof bootstrap;
  CHECK_OK(scout_swarm_bootstrap(swarm, bootstrap, &len));
  if (swarm == NULL) return t_summary();
  test_ops_live(bootstrap);
  scout_swarm_free(swarm);
  test_ops_in_flight();

  t_begin("handles", "none leaked");
  size_t live = 99;
  CHECK_OK(scout_handle_count(&live));
  CHECK(live == 0);
  return t_summary();
}
