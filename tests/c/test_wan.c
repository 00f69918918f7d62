/* A swarm on the emulated WAN, through the C API only: 16 nodes with
   round trips of 20 ms median, jitter and 1 % loss each way; two sessions
   joined to it (so that the model's delays, loss and deaths apply to them)
   put messages and read each other's; a quarter of the nodes die; every
   message is still read, from a session that joined after the deaths and
   from every earlier one left alive. A session made dead reads nothing
   until it is brought back.
   Usage: test_wan [NODES] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scout.h"
#include "op_result.h"
#include "sync_util.h"
#include "testing.h"

#define MESSAGES 8

/* Waits for r's completion (the operation's own deadline ends it). */
static void wait_for(result *r) { result_wait(r, 60); }

static scout_status put(scout_session *s, const char *msg, uint8_t hash[SCOUT_HASH_SIZE]) {
  static const uint8_t no_next[SCOUT_HASH_SIZE];
  result r = {0};
  scout_status st = scout_put(s, no_next, (const uint8_t *)msg, strlen(msg), on_put, &r);
  if (st != SCOUT_OK) return st;
  wait_for(&r);
  memcpy(hash, r.hash, SCOUT_HASH_SIZE);
  return r.status;
}

/* Gets hash within timeout_ms and checks the message is want (unless the
   get failed); returns the get's status. */
static scout_status get(scout_session *s, const uint8_t hash[SCOUT_HASH_SIZE], const char *want,
                        uint32_t timeout_ms) {
  scout_op_options oo;
  scout_op_options_init(&oo);
  oo.timeout_ms = timeout_ms;
  result r = {0};
  scout_status st = scout_get_op(s, hash, &oo, NULL, on_get, &r);
  if (st != SCOUT_OK) return st;
  wait_for(&r);
  if (r.status == SCOUT_OK) CHECK(strcmp(r.msg, want) == 0);
  return r.status;
}

static scout_session *join(scout_swarm *sw, uint32_t *index) {
  scout_session_options o;
  scout_session_options_init(&o);
  o.timeout_ms = 15000;
  o.read_only = 1; /* a client: it asks, it stores nothing for others */
  scout_session *s = NULL;
  CHECK_OK(scout_swarm_join(sw, &o, &s, index));
  return s;
}

static int killed(const uint32_t *dead, size_t n, uint32_t index) {
  for (size_t i = 0; i < n; i++)
    if (dead[i] == index) return 1;
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  uint32_t nodes = argc > 1 ? (uint32_t)atoi(argv[1]) : 16;

  t_begin("wan", "start");
  scout_swarm_options so;
  CHECK_OK(scout_swarm_options_init(&so));
  so.nodes = nodes;
  so.wan = 1;
  so.rtt_ms = 20;
  so.jitter = 0.1;
  so.loss = 0.01;
  so.seed = 7;
  scout_swarm *sw = NULL;
  CHECK_OK(scout_swarm_start_opts(&so, &sw));
  if (sw == NULL) return t_summary();
  uint32_t ia = 0, ib = 0;
  scout_session *a = join(sw, &ia), *b = join(sw, &ib);
  CHECK(ia == nodes && ib == nodes + 1);
  if (a == NULL || b == NULL) return t_summary();

  t_begin("wan", "puts_read_from_another_session");
  uint8_t hashes[MESSAGES][SCOUT_HASH_SIZE];
  char msgs[MESSAGES][32];
  for (int i = 0; i < MESSAGES; i++) {
    snprintf(msgs[i], sizeof msgs[i], "over the WAN %d", i);
    CHECK_OK(put(i % 2 ? b : a, msgs[i], hashes[i]));
    CHECK_OK(get(i % 2 ? a : b, hashes[i], msgs[i], 15000));
  }

  t_begin("wan", "a_quarter_dies");
  uint32_t dead[64];
  size_t ndead = 0;
  CHECK_ST(scout_swarm_kill(sw, 0.25, NULL, &ndead), SCOUT_BUFFER_TOO_SMALL);
  CHECK(ndead > 0 && ndead <= sizeof dead / sizeof dead[0]);
  CHECK_OK(scout_swarm_kill(sw, 0.25, dead, &ndead));
  CHECK(ndead >= (nodes + 2) / 4 && ndead <= (nodes + 2 + 3) / 4); /* a quarter of nodes + 2 */
  for (size_t i = 0; i < ndead; i++) CHECK(dead[i] > 0 && dead[i] < nodes + 2);
  printf("  killed %zu of %u nodes%s%s\n", ndead, nodes + 2, killed(dead, ndead, ia) ? " (session a among them)" : "",
         killed(dead, ndead, ib) ? " (session b among them)" : "");

  t_begin("wan", "every_message_still_read");
  uint32_t ic = 0;
  scout_session *c = join(sw, &ic); /* joins among the dead */
  for (int i = 0; i < MESSAGES; i++) {
    if (c != NULL) CHECK_OK(get(c, hashes[i], msgs[i], 15000));
    if (!killed(dead, ndead, ia)) CHECK_OK(get(a, hashes[i], msgs[i], 15000));
    if (!killed(dead, ndead, ib)) CHECK_OK(get(b, hashes[i], msgs[i], 15000));
  }

  t_begin("wan", "a_dead_session_reads_nothing_until_brought_back");
  if (c != NULL) {
    CHECK_OK(scout_swarm_set_dead(sw, ic, 1));
    CHECK(get(c, hashes[0], msgs[0], 1500) != SCOUT_OK);
    CHECK_OK(scout_swarm_set_dead(sw, ic, 0));
    CHECK_OK(get(c, hashes[0], msgs[0], 15000));
  }

  scout_session_free(c);
  scout_session_free(b);
  scout_session_free(a);
  scout_swarm_free(sw);
  t_begin("handles", "none_leaked");
  size_t live = 99;
  CHECK_OK(scout_handle_count(&live));
  CHECK(live == 0);
  return t_summary();
}
