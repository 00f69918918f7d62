/* Waiting on conditions set by callbacks that run on library threads: a
   mutex, a condition variable and a deadline. Header-only. */
#ifndef SCOUT_TEST_SYNC_UTIL_H
#define SCOUT_TEST_SYNC_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t su_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t su_cond = PTHREAD_COND_INITIALIZER;

static inline void su_lock(void) { pthread_mutex_lock(&su_mu); }
static inline void su_unlock(void) {
  pthread_cond_broadcast(&su_cond);
  pthread_mutex_unlock(&su_mu);
}

/* Waits, with su_mu held, until pred(arg) is true or seconds pass; returns
   the predicate's last value. */
static inline int su_wait(int (*pred)(void *), void *arg, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  while (!pred(arg)) {
    if (pthread_cond_timedwait(&su_cond, &su_mu, &deadline) == ETIMEDOUT) return pred(arg);
  }
  return 1;
}

#endif
