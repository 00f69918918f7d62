/* Runs a loopback swarm for tests of programs in other processes (the
   example client): starts NODES nodes, writes the bootstrap address to
   ADDR_FILE, and stops when its standard input closes.
   Usage: swarm_helper NODES ADDR_FILE */
#include <stdio.h>
#include <stdlib.h>

#include "scout.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s NODES ADDR_FILE\n", argv[0]);
    return 2;
  }
  scout_swarm *swarm = NULL;
  scout_status st = scout_swarm_start((uint32_t)atoi(argv[1]), 0, &swarm);
  if (st != SCOUT_OK) {
    fprintf(stderr, "swarm_helper: %s\n", scout_strerror(st));
    return 1;
  }
  char addr[SCOUT_ADDR_STRLEN];
  size_t len = sizeof addr;
  st = scout_swarm_bootstrap(swarm, addr, &len);
  if (st != SCOUT_OK) {
    fprintf(stderr, "swarm_helper: %s\n", scout_strerror(st));
    return 1;
  }
  /* Write to a temporary name, then rename: the reader never sees half. */
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
  FILE *f = fopen(tmp, "w");
  if (f == NULL || fprintf(f, "%s\n", addr) < 0 || fclose(f) != 0 || rename(tmp, argv[2]) != 0) {
    perror("swarm_helper");
    return 1;
  }
  while (getchar() != EOF) {
  }
  scout_swarm_free(swarm);
  return 0;
}
