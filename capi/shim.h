/* Declarations shared by shim.c and the Go files of package capi: the C
   trampolines that call the caller's callbacks. The header's own functions
   are defined in shim.c and forward to the Go exports in _cgo_export.h. */
#ifndef SCOUT_CAPI_SHIM_H
#define SCOUT_CAPI_SHIM_H

#include <stdint.h>
#include <stdlib.h>

#include "scout.h"

/* sizeof(scout_session_options) in release 0.2.0, the first: the least
   size a caller may pass. Fields appended since start at this offset. */
#define SCOUT_SESSION_OPTIONS_V1_SIZE 64

/* sizeof(scout_swarm_options) before ipv6 was appended (item_ttl_ms its
   last field): the least size a caller may pass. */
#define SCOUT_SWARM_OPTIONS_V1_SIZE 64

/* sizeof(scout_stats) in its first release: the least size a caller may
   pass. */
#define SCOUT_STATS_V1_SIZE 448

/* The calling thread's error text (scout_last_error): the cause of the call
   in progress, which the shim prefixes with the function's name, and the
   whole text, which the dispatcher sets before each completion. */
void scout_set_cause(const char *cause, size_t n);
void scout_set_text(const char *text, size_t n);

void scout_call_log(scout_log_fn fn, uintptr_t user, int level, const char *msg);
void scout_call_entry_updated(scout_entry_updated_fn fn, uintptr_t user, uint32_t id, int64_t seq,
                              const uint8_t *value, size_t len);
void scout_call_finalize(scout_finalize_fn fn, uintptr_t user, uintptr_t entries);
void scout_call_sync_finished(scout_sync_finished_fn fn, uintptr_t user, int status, int64_t seq,
                              uint32_t stored, uint32_t failed);
void scout_call_put_finished(scout_put_finished_fn fn, uintptr_t user, int status, const uint8_t *hash,
                             uint32_t stored);
void scout_call_get_received(scout_get_received_fn fn, uintptr_t user, int status, const uint8_t *msg,
                             size_t len, const uint8_t *next);
void scout_call_list_message(scout_list_message_fn fn, uintptr_t user, const uint8_t *hash, const uint8_t *msg,
                             size_t len, const uint8_t *next);
void scout_call_list_finished(scout_list_finished_fn fn, uintptr_t user, int status, size_t count);
void scout_call_keep_round(scout_keep_round_fn fn, uintptr_t user, int status, int64_t seq, uint32_t items,
                           uint32_t stored);
void scout_call_run_finished(scout_run_finished_fn fn, uintptr_t user, int status);
void scout_call_entry_removed(scout_entry_removed_fn fn, uintptr_t user, uint32_t id, int64_t seq);
void scout_call_watch_changed(scout_watch_changed_fn fn, uintptr_t user, int64_t seq, size_t updated,
                              size_t removed);

#endif
