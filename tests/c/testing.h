/* A tiny test framework for the C tests: named cases, checks that report
   file, line and the scout status, and a closing line "N passed, N failed"
   that ctest's log and CI read. Header-only: each test program includes it
   once. */
#ifndef SCOUT_TESTING_H
#define SCOUT_TESTING_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scout.h"

static int t_passed, t_failed, t_case_failed, t_in_case;
static char t_name[256];

/* Ends the current case, if any, counting it. */
static inline void t_end(void) {
  if (!t_in_case) return;
  t_in_case = 0;
  if (t_case_failed) {
    t_failed++;
    printf("FAIL %s\n", t_name);
  } else {
    t_passed++;
    if (getenv("SCOUT_TEST_VERBOSE")) printf("ok   %s\n", t_name);
  }
  fflush(stdout);
}

/* Starts a case; the previous one, if any, ends. */
static inline void t_begin(const char *group, const char *name) {
  t_end();
  snprintf(t_name, sizeof t_name, "%s/%s", group, name);
  t_case_failed = 0;
  t_in_case = 1;
  if (getenv("SCOUT_TEST_VERBOSE")) {
    printf("...  %s\n", t_name);
    fflush(stdout);
  }
}

static inline void t_fail(const char *file, int line, const char *what) {
  printf("  %s:%d: %s: check failed: %s\n", file, line, t_name, what);
  fflush(stdout);
  t_case_failed = 1;
}

/* Ends the last case and prints the closing line; returns main's status. */
static inline int t_summary(void) {
  t_end();
  printf("%d passed, %d failed\n", t_passed, t_failed);
  return t_failed == 0 && t_passed > 0 ? 0 : 1;
}

#define CHECK(cond)                                       \
  do {                                                    \
    if (!(cond)) t_fail(__FILE__, __LINE__, #cond);       \
  } while (0)

/* Checks that expr returns the status want; prints both names otherwise. */
#define CHECK_ST(expr, want)                                                              \
  do {                                                                                    \
    scout_status t_got_ = (expr);                                                         \
    if (t_got_ != (want)) {                                                               \
      char t_msg_[512];                                                                   \
      snprintf(t_msg_, sizeof t_msg_, "%s returned %d (%s), want %s", #expr, (int)t_got_, \
               scout_strerror(t_got_), #want);                                            \
      t_fail(__FILE__, __LINE__, t_msg_);                                                 \
    }                                                                                     \
  } while (0)

#define CHECK_OK(expr) CHECK_ST(expr, SCOUT_OK)

/* Checks that two byte ranges are equal. */
#define CHECK_BYTES(got, got_len, want, want_len)                                        \
  do {                                                                                   \
    size_t t_gl_ = (size_t)(got_len), t_wl_ = (size_t)(want_len);                        \
    if (t_gl_ != t_wl_ || (t_gl_ > 0 && memcmp((got), (want), t_gl_) != 0)) {             \
      char t_msg_[256];                                                                  \
      snprintf(t_msg_, sizeof t_msg_, "%s (%zu bytes) != %s (%zu bytes)", #got, t_gl_, #want, \
               t_wl_);                                                                   \
      t_fail(__FILE__, __LINE__, t_msg_);                                                \
    }                                                                                    \
  } while (0)

#endif
