/* Statistics and address families, through the C API only: a session's
   scout_stats move with what it does (queries out by method, operations by
   outcome, datagrams and bytes), read zero before the start and stay put
   after the stop; a struct of a wrong size is refused and a larger one's
   tail zeroed; an IPv6 swarm serves sessions that joined it or bootstrap
   from it, which see IPv6 nodes only; the families and limits options are
   checked, and a send bound reaches the node.
   Usage: test_stats [NODES] [--valgrind]
   --valgrind: longer deadlines. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scout.h"
#include "op_result.h"
#include "sync_util.h"
#include "testing.h"

static unsigned nodes = 16;
static int under_valgrind;

/* ---- one-shot operations, waited for ------------------------------------ */

static void wait_result(result *r) { result_wait(r, under_valgrind ? 300 : 60); }

/* Puts msg as a list of one; returns its hash in hash. */
static scout_status put_msg(scout_session *s, const char *msg, uint8_t hash[SCOUT_HASH_SIZE]) {
  uint8_t head[SCOUT_HASH_SIZE] = {0}, token[SCOUT_HASH_SIZE];
  CHECK_OK(scout_list_push_front(head, (const uint8_t *)msg, strlen(msg), token));
  result r = {0};
  CHECK_OK(scout_put(s, token, (const uint8_t *)msg, strlen(msg), on_put, &r));
  wait_result(&r);
  memcpy(hash, r.hash, SCOUT_HASH_SIZE);
  return r.status;
}

/* Gets what hash holds; with want, checks that it is want. */
static scout_status get_msg(scout_session *s, const uint8_t hash[SCOUT_HASH_SIZE], const char *want) {
  result r = {0};
  CHECK_OK(scout_get(s, hash, on_get, &r));
  wait_result(&r);
  if (want != NULL && r.status == SCOUT_OK) CHECK(strcmp(r.msg, want) == 0);
  return r.status;
}

static scout_stats stats_of(const scout_session *s) {
  scout_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  CHECK_OK(scout_session_stats(s, &st));
  return st;
}

static void last_error_has(const char *want) {
  char why[SCOUT_ERROR_STRLEN];
  size_t n = sizeof why;
  CHECK_OK(scout_last_error(why, &n));
  if (strstr(why, want) == NULL) {
    char msg[SCOUT_ERROR_STRLEN + 64];
    snprintf(msg, sizeof msg, "last error %s lacks \"%s\"", why, want);
    t_fail(__FILE__, __LINE__, msg);
  }
}

static scout_session_options session_options(const char *bootstrap, const char *listen) {
  scout_session_options o;
  CHECK_OK(scout_session_options_init(&o));
  o.bootstrap = bootstrap;
  o.listen_addr = listen;
  o.read_only = 1;
  o.timeout_ms = under_valgrind ? 120000 : 20000;
  return o;
}

static scout_session *started(const char *bootstrap, const char *listen) {
  scout_session_options o = session_options(bootstrap, listen);
  scout_session *s = NULL;
  CHECK_OK(scout_session_new(&o, &s));
  CHECK_OK(scout_session_start(s));
  return s;
}

static scout_swarm *swarm_of(unsigned n, int ipv6, char boot[SCOUT_ADDR_STRLEN]) {
  scout_swarm_options so;
  CHECK_OK(scout_swarm_options_init(&so));
  so.nodes = n;
  so.ipv6 = ipv6;
  scout_swarm *sw = NULL;
  CHECK_OK(scout_swarm_start_opts(&so, &sw));
  size_t len = SCOUT_ADDR_STRLEN;
  boot[0] = 0;
  if (sw != NULL) CHECK_OK(scout_swarm_bootstrap(sw, boot, &len));
  return sw;
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != 0) return 0;
  return 1;
}

/* ---- the tests ------------------------------------------------------------ */

static void test_stats_move(scout_swarm *sw, const char *boot) {
  (void)sw;
  t_begin("stats", "zero before the start");
  scout_session_options o = session_options(boot, "127.0.0.1:0");
  scout_session *s = NULL;
  CHECK_OK(scout_session_new(&o, &s));
  scout_stats st = stats_of(s);
  CHECK(st.size == sizeof st);
  CHECK(all_zero((const char *)&st + sizeof st.size, sizeof st - sizeof st.size));
  char addrs[2 * SCOUT_ADDR_STRLEN];
  size_t n = sizeof addrs;
  CHECK_ST(scout_session_addrs(s, addrs, &n), SCOUT_WRONG_STATE);

  t_begin("stats", "move with a put and a get");
  CHECK_OK(scout_session_start(s));
  scout_stats before = stats_of(s);
  CHECK(before.nodes > 0 && before.nodes6 == 0 && before.good_nodes <= before.nodes);
  CHECK(before.datagrams_out > 0 && before.bytes_out > before.datagrams_out);
  CHECK(before.queries_out[SCOUT_QUERY_FIND_NODE] > 0 || before.queries_out[SCOUT_QUERY_GET] > 0);
  CHECK(strcmp(before.external_addr, "") == 0 && strcmp(before.external_addr6, "") == 0);

  uint8_t hash[SCOUT_HASH_SIZE], unknown[SCOUT_HASH_SIZE];
  CHECK_OK(put_msg(s, "counted once", hash));
  CHECK_OK(get_msg(s, hash, "counted once"));
  memset(unknown, 0x5c, sizeof unknown);
  CHECK_ST(get_msg(s, unknown, NULL), SCOUT_NOT_FOUND);
  scout_stats after = stats_of(s);
  CHECK(after.queries_out[SCOUT_QUERY_PUT] > before.queries_out[SCOUT_QUERY_PUT]);
  CHECK(after.queries_out[SCOUT_QUERY_GET] > before.queries_out[SCOUT_QUERY_GET]);
  CHECK(after.queries_out[SCOUT_QUERY_UNKNOWN] == 0 && after.queries_out[SCOUT_QUERY_METHODS - 1] == 0);
  CHECK(after.ops_ok == before.ops_ok + 2);
  CHECK(after.ops_not_found == before.ops_not_found + 1);
  CHECK(after.ops_timeout == 0 && after.ops_cancelled == 0 && after.ops_conflict == 0 && after.ops_failed == 0);
  CHECK(after.replies > before.replies && after.replies <= after.datagrams_in);
  CHECK(after.datagrams_out > before.datagrams_out && after.datagrams_in > before.datagrams_in);
  CHECK(after.bytes_out > before.bytes_out && after.bytes_in > before.bytes_in);
  CHECK(after.malformed == 0 && after.send_dropped == 0);
  /* A read-only node answers nothing and keeps nothing. */
  CHECK(after.stored_items == 0 && after.queries_in[SCOUT_QUERY_PUT] == 0);
  n = sizeof addrs;
  CHECK_OK(scout_session_addrs(s, addrs, &n));
  CHECK(strncmp(addrs, "127.0.0.1:", 10) == 0 && strchr(addrs, ',') == NULL && n == strlen(addrs) + 1);

  t_begin("stats", "stay put after the stop");
  CHECK_OK(scout_session_stop(s));
  scout_stats stopped = stats_of(s), again = stats_of(s);
  CHECK(memcmp(&stopped, &again, sizeof stopped) == 0);
  CHECK(stopped.ops_ok == after.ops_ok && stopped.datagrams_out >= after.datagrams_out);
  scout_session_free(s);

  t_begin("stats", "a full node answers and stores");
  scout_session_options fo = session_options(boot, "127.0.0.1:0");
  fo.read_only = 0;
  scout_session *full = NULL;
  CHECK_OK(scout_session_new(&fo, &full));
  CHECK_OK(scout_session_start(full));
  scout_session *client = started(boot, "127.0.0.1:0");
  /* The client puts until the full node holds something: it is one of
     nodes + 1 candidates for each item's closest eight. */
  scout_stats fs = stats_of(full);
  for (int i = 0; i < 40 && fs.stored_items == 0; i++) {
    char msg[32];
    snprintf(msg, sizeof msg, "item %d", i);
    CHECK_OK(put_msg(client, msg, hash));
    fs = stats_of(full);
  }
  CHECK(fs.stored_items > 0 && fs.stored_bytes > 0 && fs.queries_in[SCOUT_QUERY_PUT] > 0);
  CHECK(fs.queries_in[SCOUT_QUERY_FIND_NODE] + fs.queries_in[SCOUT_QUERY_GET] + fs.queries_in[SCOUT_QUERY_PING] > 0);
  scout_session_free(client);
  scout_session_free(full);
}

static void test_stats_size(const char *boot) {
  t_begin("stats", "size");
  scout_session *s = started(boot, "127.0.0.1:0");
  scout_stats st, orig;
  memset(&st, 0xab, sizeof st);
  st.size = sizeof st - 1;
  orig = st;
  CHECK_ST(scout_session_stats(s, &st), SCOUT_INVALID_ARGUMENT);
  last_error_has("size");
  CHECK(memcmp(&st, &orig, sizeof st) == 0); /* nothing written */
  st.size = 0;
  CHECK_ST(scout_session_stats(s, &st), SCOUT_INVALID_ARGUMENT);
  st.size = 8192;
  CHECK_ST(scout_session_stats(s, &st), SCOUT_INVALID_ARGUMENT);

  /* A newer header's larger struct: what this library knows, then zeros. */
  struct {
    scout_stats st;
    unsigned char newer[40];
  } big;
  memset(&big, 0xab, sizeof big);
  big.st.size = sizeof big;
  CHECK_OK(scout_session_stats(s, &big.st));
  CHECK(big.st.size == sizeof big);
  CHECK(all_zero(big.newer, sizeof big.newer));
  CHECK(big.st.nodes > 0 && big.st.datagrams_out > 0 && big.st.id_secure == 0);
  CHECK(memchr(big.st.external_addr, 0, sizeof big.st.external_addr) != NULL);
  scout_session_free(s);
}

static void test_stats_misuse(const char *boot) {
  t_begin("stats", "misuse");
  scout_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  CHECK_ST(scout_session_stats(NULL, &st), SCOUT_INVALID_ARGUMENT);
  last_error_has("scout_session_stats: not a live scout_session handle");
  scout_session_options o = session_options(boot, "127.0.0.1:0");
  scout_session *s = NULL;
  CHECK_OK(scout_session_new(&o, &s));
  CHECK_ST(scout_session_stats(s, NULL), SCOUT_INVALID_ARGUMENT);
  last_error_has("out is NULL");
  scout_session_free(s);
  CHECK_ST(scout_session_stats(s, &st), SCOUT_INVALID_ARGUMENT); /* stale */
  last_error_has("not a live scout_session handle");
  scout_entries *e = NULL;
  CHECK_OK(scout_entries_new(&e));
  CHECK_ST(scout_session_stats((const scout_session *)e, &st), SCOUT_INVALID_ARGUMENT); /* wrong kind */
  scout_entries_free(e);
  CHECK(st.nodes == 0 && st.datagrams_out == 0);

  char addrs[2 * SCOUT_ADDR_STRLEN];
  size_t n = sizeof addrs;
  CHECK_ST(scout_session_addrs(s, addrs, &n), SCOUT_INVALID_ARGUMENT);
  CHECK_ST(scout_session_addrs(NULL, addrs, &n), SCOUT_INVALID_ARGUMENT);
  s = started(boot, "127.0.0.1:0");
  CHECK_ST(scout_session_addrs(s, addrs, NULL), SCOUT_INVALID_ARGUMENT);
  n = 0;
  CHECK_ST(scout_session_addrs(s, NULL, &n), SCOUT_BUFFER_TOO_SMALL);
  CHECK(n > strlen("127.0.0.1:1") && n <= 2 * SCOUT_ADDR_STRLEN);
  scout_session_free(s);
}

static void test_ipv6_swarm(void) {
  t_begin("ipv6", "a swarm on ::1");
  char boot[SCOUT_ADDR_STRLEN];
  scout_swarm *sw = swarm_of(nodes, 1, boot);
  if (sw == NULL) return;
  CHECK(strncmp(boot, "[::1]:", 6) == 0);

  t_begin("ipv6", "a joined session puts and gets; IPv6 nodes only");
  scout_session_options jo;
  CHECK_OK(scout_session_options_init(&jo));
  jo.timeout_ms = under_valgrind ? 120000 : 20000;
  scout_session *joined = NULL;
  uint32_t index = 0;
  CHECK_OK(scout_swarm_join(sw, &jo, &joined, &index));
  CHECK(index == nodes);
  uint8_t hash[SCOUT_HASH_SIZE];
  CHECK_OK(put_msg(joined, "over IPv6", hash));
  CHECK_OK(get_msg(joined, hash, "over IPv6"));
  scout_stats st = stats_of(joined);
  CHECK(st.nodes6 > 0 && st.good_nodes6 > 0 && st.nodes == 0 && st.good_nodes == 0);
  CHECK(st.queries_out[SCOUT_QUERY_PUT] > 0 && st.ops_ok == 2);
  char addrs[2 * SCOUT_ADDR_STRLEN];
  size_t n = sizeof addrs;
  CHECK_OK(scout_session_addrs(joined, addrs, &n));
  CHECK(strncmp(addrs, "[::1]:", 6) == 0 && strchr(addrs, ',') == NULL);

  t_begin("ipv6", "a session bootstrapped from it reads what the joined one wrote");
  scout_session *s = started(boot, "[::1]:0");
  CHECK_OK(get_msg(s, hash, "over IPv6"));
  uint8_t mine[SCOUT_HASH_SIZE];
  CHECK_OK(put_msg(s, "bootstrapped over IPv6", mine));
  CHECK_OK(get_msg(joined, mine, "bootstrapped over IPv6"));
  st = stats_of(s);
  CHECK(st.nodes6 > 0 && st.nodes == 0 && st.ops_ok == 2 && st.ops_not_found == 0);
  scout_session_free(s);

  t_begin("ipv6", "join refuses an address or family of the caller's");
  jo.families = SCOUT_FAMILIES_IPV6;
  scout_session *bad = NULL;
  CHECK_ST(scout_swarm_join(sw, &jo, &bad, NULL), SCOUT_INVALID_ARGUMENT);
  last_error_has("families");
  jo.families = 0;
  jo.listen_addr6 = "[::1]:0";
  CHECK_ST(scout_swarm_join(sw, &jo, &bad, NULL), SCOUT_INVALID_ARGUMENT);
  CHECK(bad == NULL);

  scout_session_free(joined);
  scout_swarm_free(sw);
}

static void test_options(const char *boot) {
  t_begin("options", "init zeroes the appended fields");
  scout_session_options o;
  memset(&o, 0xab, sizeof o);
  CHECK_OK(scout_session_options_init(&o));
  CHECK(o.size == sizeof o && o.listen_addr6 == NULL && o.families == SCOUT_FAMILIES_AUTO);
  CHECK(o.query_burst == 0 && o.query_rate == 0 && o.block_ms == 0 && o.send_rate == 0 && o.limit_loopback == 0);
  CHECK(offsetof(scout_session_options, listen_addr6) == offsetof(scout_session_options, refresh_on_read) + sizeof(int));
  scout_swarm_options so;
  memset(&so, 0xab, sizeof so);
  CHECK_OK(scout_swarm_options_init(&so));
  CHECK(so.size == sizeof so && so.ipv6 == 0 && so.reserved == 0 && offsetof(scout_swarm_options, ipv6) >= 64);

  t_begin("options", "families and limits refused when invalid");
  static const struct {
    int families;
    const char *listen, *listen6;
    double rate;
    const char *why;
  } bad[] = {
      {4, "127.0.0.1:0", NULL, 0, "Families 4"},
      {-1, "127.0.0.1:0", NULL, 0, "Families -1"},
      {SCOUT_FAMILIES_IPV4, "[::1]:0", NULL, 0, "IPv4Only"},
      {SCOUT_FAMILIES_IPV6, "127.0.0.1:0", NULL, 0, "IPv6Only"},
      {SCOUT_FAMILIES_DUAL_STACK, "[::1]:0", NULL, 0, "dual-stack"},
      {SCOUT_FAMILIES_AUTO, "127.0.0.1:0", "127.0.0.1:0", 0, "IPv6 listen address"},
      {SCOUT_FAMILIES_AUTO, "[::1]:0", "[::1]:0", 0, "ListenAddr6"},
      {SCOUT_FAMILIES_AUTO, "127.0.0.1:0", NULL, -1, "limits"},
      {SCOUT_FAMILIES_AUTO, "127.0.0.1:0", NULL, NAN, "limits"},
      {SCOUT_FAMILIES_AUTO, "127.0.0.1:0", NULL, INFINITY, "limits"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    o = session_options(boot, bad[i].listen);
    o.families = bad[i].families;
    o.listen_addr6 = bad[i].listen6;
    o.query_rate = bad[i].rate;
    scout_session *s = NULL;
    CHECK_ST(scout_session_new(&o, &s), SCOUT_INVALID_ARGUMENT);
    CHECK(s == NULL);
    last_error_has(bad[i].why);
  }

  t_begin("options", "an older struct's size leaves the appended fields unread");
  o = session_options(boot, "127.0.0.1:0");
  o.size = offsetof(scout_session_options, listen_addr6);
  o.families = 99;
  o.query_rate = -5;
  scout_session *old = NULL;
  CHECK_OK(scout_session_new(&o, &old));
  scout_session_free(old);
  so.size = 64; /* before ipv6 */
  so.nodes = 2;
  so.ipv6 = 1;
  scout_swarm *sw4 = NULL;
  CHECK_OK(scout_swarm_start_opts(&so, &sw4));
  char b4[SCOUT_ADDR_STRLEN];
  size_t n = sizeof b4;
  CHECK_OK(scout_swarm_bootstrap(sw4, b4, &n));
  CHECK(strncmp(b4, "127.0.0.1:", 10) == 0);
  scout_swarm_free(sw4);

  t_begin("options", "dual-stack listens on both families");
  o = session_options("", "127.0.0.1:0");
  o.families = SCOUT_FAMILIES_DUAL_STACK;
  o.listen_addr6 = "[::1]:0";
  scout_session *dual = NULL;
  CHECK_OK(scout_session_new(&o, &dual));
  CHECK_OK(scout_session_start(dual));
  char addrs[2 * SCOUT_ADDR_STRLEN];
  n = sizeof addrs;
  CHECK_OK(scout_session_addrs(dual, addrs, &n));
  const char *comma = strchr(addrs, ',');
  CHECK(strncmp(addrs, "127.0.0.1:", 10) == 0 && comma != NULL && strncmp(comma + 1, "[::1]:", 6) == 0);
  char first[SCOUT_ADDR_STRLEN];
  n = sizeof first;
  CHECK_OK(scout_session_addr(dual, first, &n));
  CHECK(comma != NULL && strncmp(addrs, first, (size_t)(comma - addrs)) == 0);
  scout_session_free(dual);

  t_begin("options", "limits reach the node: a send bound drops datagrams");
  o = session_options(boot, "127.0.0.1:0");
  o.send_rate = 1; /* one byte a second: no datagram fits */
  o.query_rate = 5;
  o.query_burst = 10;
  o.block_ms = 1000;
  o.limit_loopback = 1;
  o.timeout_ms = 2000;
  scout_session *bound = NULL;
  CHECK_OK(scout_session_new(&o, &bound));
  CHECK_OK(scout_session_start(bound));
  scout_stats st = stats_of(bound);
  CHECK(st.send_dropped > 0 && st.datagrams_out == 0 && st.bytes_out == 0 && st.nodes == 0);
  scout_session_free(bound);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--valgrind") == 0)
      under_valgrind = 1;
    else
      nodes = (unsigned)atoi(argv[i]);
  }
  size_t handles_before = 0;
  CHECK_OK(scout_handle_count(&handles_before));

  char boot[SCOUT_ADDR_STRLEN];
  scout_swarm *sw = swarm_of(nodes, 0, boot);
  if (sw != NULL) {
    test_stats_move(sw, boot);
    test_stats_size(boot);
    test_stats_misuse(boot);
    test_options(boot);
    scout_swarm_free(sw);
  }
  test_ipv6_swarm();

  t_begin("handles", "none left");
  size_t handles_after = 0;
  CHECK_OK(scout_handle_count(&handles_after));
  CHECK(handles_after == handles_before);
  return t_summary();
}
