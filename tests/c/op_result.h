/* One operation's outcome, filled in by its completion, and the
   completions that fill it: for the C tests that start one operation and
   wait for it (test_stats, test_wan, test_keep). Header-only; the
   functions are static inline so that a test may leave some unused. */
#ifndef SCOUT_TEST_OP_RESULT_H
#define SCOUT_TEST_OP_RESULT_H

#include <stdint.h>
#include <string.h>

#include "scout.h"
#include "sync_util.h"
#include "testing.h"

typedef struct {
  int done;
  scout_status status;
  uint8_t hash[SCOUT_HASH_SIZE];        /* put: where it stored */
  uint32_t stored;                      /* put: how many nodes stored it */
  int64_t seq;                          /* synchronize: the item seq written */
  size_t count;                         /* get_list: messages read */
  char msg[SCOUT_MAX_MESSAGE_SIZE + 1]; /* get: the message, NUL-terminated */
} result;

static inline int result_done(void *arg) { return ((result *)arg)->done; }

/* Waits up to seconds for r's completion, and checks that it came. */
static inline void result_wait(result *r, int seconds) {
  su_lock();
  int ok = su_wait(result_done, r, seconds);
  su_unlock();
  CHECK(ok);
}

static inline void on_put(void *user, scout_status status, const uint8_t hash[SCOUT_HASH_SIZE], uint32_t stored) {
  result *r = user;
  su_lock();
  r->status = status;
  memcpy(r->hash, hash, SCOUT_HASH_SIZE);
  r->stored = stored;
  r->done = 1;
  su_unlock();
}

static inline void on_get(void *user, scout_status status, const uint8_t *msg, size_t len,
                          const uint8_t next[SCOUT_HASH_SIZE]) {
  (void)next;
  result *r = user;
  su_lock();
  r->status = status;
  memcpy(r->msg, msg, len);
  r->msg[len] = 0;
  r->done = 1;
  su_unlock();
}

#endif
