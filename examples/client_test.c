/* client_test: the original libscout's example client, in C, on Scout's C
   API. Keys live in files holding the raw 32-byte secret key.

   Usage: client_test [--bootstrap HOST:PORT[,...]] [--listen HOST:PORT]
                      [--timeout MS] COMMAND [ARGS]
     gen-key FILE                  generate a key pair, store the secret key
     dump-key FILE                 print the public key of FILE's secret key
     sync FILE PEER_KEY ID VALUE   synchronize the entry list shared with the
                                   peer (PEER_KEY: 64 hex digits), setting
                                   entry ID to VALUE; prints the list
     put MSG [--list FILE]         store MSG as an offline message; with
                                   --list, push it onto the list whose head
                                   FILE holds (hex) and save the new head
     get HASH [--all]              print the message stored under HASH (hex);
                                   with --all, walk the list from there

   Without --bootstrap the client joins the public DHT, like the original. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scout.h>

static void usage(void) {
  fprintf(stderr,
          "Usage: client_test [--bootstrap HOST:PORT[,...]] [--listen HOST:PORT] [--timeout MS] COMMAND [ARGS]\n"
          "Commands:\n"
          "  gen-key FILE                 generate a key pair and store the secret key in FILE\n"
          "  dump-key FILE                print the public key of the secret key in FILE\n"
          "  sync FILE PEER_KEY ID VALUE  synchronize entries with the peer whose public key is\n"
          "                               PEER_KEY (hex), setting entry ID to VALUE\n"
          "  put MSG [--list FILE]        store MSG in the DHT as an offline message; with --list,\n"
          "                               push it onto the list whose head FILE holds\n"
          "  get HASH [--all]             get the message with the given hash; --all walks the list\n");
  exit(2);
}

static void die(const char *what, scout_status st) {
  fprintf(stderr, "client_test: %s: %s\n", what, scout_strerror(st));
  exit(1);
}

/* ---- hex and files ------------------------------------------------------- */

static void to_hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = 0;
}

static int from_hex(const char *hex, uint8_t *out, size_t n) {
  if (strlen(hex) != 2 * n) return 0;
  for (size_t i = 0; i < 2 * n; i++) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return 0;
    if (i % 2 == 0) out[i / 2] = (uint8_t)(v << 4);
    else out[i / 2] |= (uint8_t)v;
  }
  return 1;
}

static void load_key(const char *path, uint8_t sk[SCOUT_KEY_SIZE]) {
  FILE *f = fopen(path, "rb");
  if (f == NULL || fread(sk, 1, SCOUT_KEY_SIZE, f) != SCOUT_KEY_SIZE) {
    fprintf(stderr, "client_test: cannot read a key from %s. Generate one first with gen-key.\n", path);
    exit(1);
  }
  fclose(f);
}

/* ---- waiting for an operation --------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;
static scout_status result;

static void complete(scout_status st) {
  pthread_mutex_lock(&mu);
  finished = 1;
  result = st;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&mu);
}

static scout_status wait_op(void) {
  pthread_mutex_lock(&mu);
  while (!finished) pthread_cond_wait(&cond, &mu);
  scout_status st = result;
  pthread_mutex_unlock(&mu);
  return st;
}

/* ---- callbacks ------------------------------------------------------------ */

typedef struct {
  uint32_t id;
  const char *value;
} sync_args;

static void print_value(const uint8_t *v, size_t len) {
  fwrite(v, 1, len, stdout);
}

static void on_finalize(void *user, scout_entries *entries) {
  sync_args *a = user;
  uint8_t value[SCOUT_MAX_VALUE_SIZE];
  size_t len = sizeof value;
  /* A newer value from the peer for our id loses to what we were asked to
     set: assign it again, which bumps its seq. */
  if (scout_entries_get(entries, a->id, NULL, value, &len) != SCOUT_OK || len != strlen(a->value) ||
      memcmp(value, a->value, len) != 0)
    scout_entries_assign(entries, a->id, (const uint8_t *)a->value, strlen(a->value), NULL);
  size_t n = 0;
  scout_entries_count(entries, &n);
  for (size_t i = 0; i < n; i++) {
    uint32_t id;
    len = sizeof value;
    if (scout_entries_at(entries, i, &id, NULL, value, &len) != SCOUT_OK) continue;
    printf("%u ", (unsigned)id);
    print_value(value, len);
    printf("\n");
  }
}

static void on_sync_finished(void *user, scout_status st, int64_t seq, uint32_t stored, uint32_t failed) {
  (void)user;
  if (st == SCOUT_OK)
    printf("synchronized: seq %lld, stored on %u nodes, %u unreadable copies\n", (long long)seq, stored, failed);
  complete(st);
}

static void on_put_finished(void *user, scout_status st, const uint8_t hash[SCOUT_HASH_SIZE], uint32_t stored) {
  (void)user;
  char hex[2 * SCOUT_HASH_SIZE + 1];
  to_hex(hash, SCOUT_HASH_SIZE, hex);
  if (st == SCOUT_OK) printf("inserted message with hash %s (stored on %u nodes)\n", hex, stored);
  complete(st);
}

static void on_get(void *user, scout_status st, const uint8_t *msg, size_t len, const uint8_t next[SCOUT_HASH_SIZE]) {
  (void)user;
  if (st == SCOUT_OK) {
    char hex[2 * SCOUT_HASH_SIZE + 1];
    to_hex(next, SCOUT_HASH_SIZE, hex);
    printf("Got message: ");
    print_value(msg, len);
    printf("\nNext hash: %s\n", hex);
  }
  complete(st);
}

static void on_list_message(void *user, const uint8_t hash[SCOUT_HASH_SIZE], const uint8_t *msg, size_t len,
                            const uint8_t next[SCOUT_HASH_SIZE]) {
  (void)user;
  (void)next;
  char hex[2 * SCOUT_HASH_SIZE + 1];
  to_hex(hash, SCOUT_HASH_SIZE, hex);
  printf("%s ", hex);
  print_value(msg, len);
  printf("\n");
}

static void on_list_finished(void *user, scout_status st, size_t count) {
  (void)user;
  if (st == SCOUT_OK) printf("%zu messages\n", count);
  complete(st);
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv) {
  const char *bootstrap = NULL, *listen = NULL, *list_file = NULL;
  unsigned long timeout_ms = 0;
  int all = 0;
  char *args[8];
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bootstrap") == 0 && i + 1 < argc) bootstrap = argv[++i];
    else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen = argv[++i];
    else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout_ms = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--list") == 0 && i + 1 < argc) list_file = argv[++i];
    else if (strcmp(argv[i], "--all") == 0) all = 1;
    else if (strncmp(argv[i], "--", 2) == 0 || n == 8) usage();
    else args[n++] = argv[i];
  }
  if (n < 1) usage();
  const char *cmd = args[0];
  setvbuf(stdout, NULL, _IOLBF, 0);

  if (scout_abi_version() != SCOUT_ABI_VERSION) {
    fprintf(stderr, "client_test: libscout ABI %u, built for %u\n", scout_abi_version(), SCOUT_ABI_VERSION);
    return 1;
  }

  if (strcmp(cmd, "gen-key") == 0) {
    if (n != 2) usage();
    uint8_t sk[SCOUT_KEY_SIZE], pk[SCOUT_KEY_SIZE];
    scout_status st = scout_generate_keypair(sk, pk);
    if (st != SCOUT_OK) die("generating a key pair", st);
    FILE *f = fopen(args[1], "wb");
    if (f == NULL || fwrite(sk, 1, sizeof sk, f) != sizeof sk || fclose(f) != 0) {
      fprintf(stderr, "client_test: cannot write %s: %s\n", args[1], strerror(errno));
      return 1;
    }
    return 0;
  }

  if (strcmp(cmd, "dump-key") == 0) {
    if (n != 2) usage();
    uint8_t sk[SCOUT_KEY_SIZE], pk[SCOUT_KEY_SIZE];
    char hex[2 * SCOUT_KEY_SIZE + 1];
    load_key(args[1], sk);
    scout_status st = scout_public_key(sk, pk);
    if (st != SCOUT_OK) die("computing the public key", st);
    to_hex(pk, sizeof pk, hex);
    printf("Public key: %s\n", hex);
    return 0;
  }

  /* The network commands: check their arguments, then start a session. */
  uint8_t shared[SCOUT_KEY_SIZE], hash[SCOUT_HASH_SIZE], head[SCOUT_HASH_SIZE] = {0};
  sync_args sa = {0, NULL};
  if (strcmp(cmd, "sync") == 0) {
    if (n != 5) usage();
    uint8_t sk[SCOUT_KEY_SIZE], peer[SCOUT_KEY_SIZE];
    load_key(args[1], sk);
    if (!from_hex(args[2], peer, sizeof peer)) usage();
    scout_status st = scout_key_exchange(sk, peer, shared);
    if (st != SCOUT_OK) die("key exchange", st);
    char *end;
    unsigned long id = strtoul(args[3], &end, 10);
    if (*end != 0 || id > 0xFFFFFFFFul) usage();
    sa.id = (uint32_t)id;
    sa.value = args[4];
  } else if (strcmp(cmd, "put") == 0) {
    if (n != 2) usage();
    if (list_file != NULL) {
      FILE *f = fopen(list_file, "r");
      char hex[2 * SCOUT_HASH_SIZE + 2] = {0};
      if (f != NULL) {
        if (fgets(hex, sizeof hex, f) != NULL) hex[strcspn(hex, "\n")] = 0;
        fclose(f);
        if (!from_hex(hex, head, sizeof head)) {
          fprintf(stderr, "client_test: %s does not hold a list head\n", list_file);
          return 1;
        }
      }
    }
  } else if (strcmp(cmd, "get") == 0) {
    if (n != 2 || !from_hex(args[1], hash, sizeof hash)) usage();
  } else {
    usage();
  }

  scout_session_options opts;
  scout_session *ses = NULL;
  scout_session_options_init(&opts);
  opts.bootstrap = bootstrap;
  opts.listen_addr = listen;
  opts.timeout_ms = (uint32_t)timeout_ms;
  opts.read_only = 1; /* a short-lived client: ask, never answer */
  scout_status st = scout_session_new(&opts, &ses);
  if (st != SCOUT_OK) die("creating the session", st);
  st = scout_session_start(ses);
  if (st != SCOUT_OK) die("starting the session", st);

  if (strcmp(cmd, "sync") == 0) {
    scout_entries *entries = NULL;
    scout_entries_new(&entries);
    st = scout_entries_assign(entries, sa.id, (const uint8_t *)sa.value, strlen(sa.value), NULL);
    if (st != SCOUT_OK) die("setting the entry", st);
    st = scout_synchronize(ses, shared, entries, NULL, on_finalize, on_sync_finished, &sa);
    if (st == SCOUT_OK) st = wait_op();
    scout_entries_free(entries);
  } else if (strcmp(cmd, "put") == 0) {
    uint8_t token[SCOUT_HASH_SIZE];
    st = scout_list_push_front(head, (const uint8_t *)args[1], strlen(args[1]), token);
    if (st == SCOUT_OK) st = scout_put(ses, token, (const uint8_t *)args[1], strlen(args[1]), on_put_finished, NULL);
    if (st == SCOUT_OK) st = wait_op();
    if (st == SCOUT_OK && list_file != NULL) {
      char hex[2 * SCOUT_HASH_SIZE + 1];
      to_hex(head, sizeof head, hex);
      FILE *f = fopen(list_file, "w");
      if (f == NULL || fprintf(f, "%s\n", hex) < 0 || fclose(f) != 0) {
        fprintf(stderr, "client_test: cannot write %s: %s\n", list_file, strerror(errno));
        st = SCOUT_INTERNAL;
      }
    }
  } else if (all) {
    st = scout_get_list(ses, hash, 0, on_list_message, on_list_finished, NULL);
    if (st == SCOUT_OK) st = wait_op();
  } else {
    st = scout_get(ses, hash, on_get, NULL);
    if (st == SCOUT_OK) st = wait_op();
  }
  scout_session_free(ses);
  if (st != SCOUT_OK) die(cmd, st);
  return 0;
}
