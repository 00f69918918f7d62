/* Access to the shared test vectors: hex fields decoded into buffers that
   the case owns. A missing or malformed field fails the current case. */
#ifndef SCOUT_TEST_VECTORS_H
#define SCOUT_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

typedef struct {
  uint8_t *data;
  size_t len;
} bytes;

/* Loads DIR/NAME; exits with a message if it cannot. */
json *vec_load(const char *dir, const char *name);
/* The array member key of obj (fails the case and returns NULL if absent). */
const json *vec_array(const json *obj, const char *key);
/* The string member key (NULL if absent or not a string). */
const char *vec_str(const json *obj, const char *key);
/* Decodes the hex member key; data is never NULL (may be empty). Free with
   bytes_free. */
bytes vec_hex(const json *obj, const char *key);
/* Decodes hex into exactly n bytes at out; fails the case otherwise. */
void vec_fixed(const json *obj, const char *key, uint8_t *out, size_t n);
/* The integer member key. */
int64_t vec_int(const json *obj, const char *key);
/* The boolean member key. */
int vec_bool(const json *obj, const char *key);
void bytes_free(bytes *b);

/* Lower-case hex of n bytes into out (2n+1 chars). */
void to_hex(const uint8_t *in, size_t n, char *out);
/* Decodes exactly n bytes of hex; returns 0 on malformed input. */
int from_hex(const char *hex, uint8_t *out, size_t n);

#endif
