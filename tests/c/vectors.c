#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testing_fail.h"

json *vec_load(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  json *j = json_parse_file(path);
  if (j == NULL) {
    fprintf(stderr, "cannot load the vectors file %s\n", path);
    exit(2);
  }
  return j;
}

static const json *member(const json *obj, const char *key, json_type type) {
  const json *v = json_get(obj, key);
  if (v == NULL || v->type != type) {
    char msg[256];
    snprintf(msg, sizeof msg, "vector field \"%s\" missing or of the wrong type", key);
    vec_fail(msg);
    return NULL;
  }
  return v;
}

const json *vec_array(const json *obj, const char *key) { return member(obj, key, JSON_ARRAY); }

const char *vec_str(const json *obj, const char *key) {
  const json *v = member(obj, key, JSON_STRING);
  return v ? v->string : NULL;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int from_hex(const char *hex, uint8_t *out, size_t n) {
  if (strlen(hex) != 2 * n) return 0;
  for (size_t i = 0; i < n; i++) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 1;
}

void to_hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = 0;
}

bytes vec_hex(const json *obj, const char *key) {
  bytes b = {NULL, 0};
  const char *s = vec_str(obj, key);
  size_t n = s ? strlen(s) / 2 : 0;
  b.data = calloc(n ? n : 1, 1);
  if (b.data == NULL) abort();
  if (s == NULL) return b;
  if (strlen(s) % 2 != 0 || !from_hex(s, b.data, n)) {
    vec_fail("vector field is not hex");
    return b;
  }
  b.len = n;
  return b;
}

void vec_fixed(const json *obj, const char *key, uint8_t *out, size_t n) {
  const char *s = vec_str(obj, key);
  memset(out, 0, n);
  if (s != NULL && !from_hex(s, out, n)) {
    char msg[256];
    snprintf(msg, sizeof msg, "vector field \"%s\" is not %zu bytes of hex", key, n);
    vec_fail(msg);
  }
}

int64_t vec_int(const json *obj, const char *key) {
  const json *v = member(obj, key, JSON_INT);
  return v ? v->integer : 0;
}

int vec_bool(const json *obj, const char *key) {
  const json *v = member(obj, key, JSON_BOOL);
  return v ? v->boolean : 0;
}

void bytes_free(bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
}
