#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p, *end;
  const char *err;
} reader;

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (p == NULL) {
    fprintf(stderr, "json: out of memory\n");
    abort();
  }
  return p;
}

static void skip_ws(reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int literal(reader *r, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return 0;
  r->p += n;
  return 1;
}

static json *parse_value(reader *r, int depth);

static int hex4(reader *r, unsigned *out) {
  unsigned v = 0;
  if (r->end - r->p < 4) return 0;
  for (int i = 0; i < 4; i++) {
    char c = *r->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static size_t put_utf8(char *dst, unsigned cp) {
  if (cp < 0x80) { dst[0] = (char)cp; return 1; }
  if (cp < 0x800) { dst[0] = (char)(0xC0 | (cp >> 6)); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    dst[0] = (char)(0xE0 | (cp >> 12));
    dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = (char)(0xF0 | (cp >> 18));
  dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  dst[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Reads a string after its opening quote into a new buffer. */
static char *parse_string(reader *r, size_t *len) {
  /* Decoded text is never longer than the source. */
  const char *start = r->p;
  while (r->p < r->end && *r->p != '"') r->p += (*r->p == '\\' && r->p + 1 < r->end) ? 2 : 1;
  if (r->p >= r->end) { r->err = "unterminated string"; return NULL; }
  const char *stop = r->p;
  char *out = xcalloc((size_t)(stop - start) + 1, 1);
  size_t n = 0;
  r->p = start;
  while (r->p < stop) {
    unsigned char c = (unsigned char)*r->p++;
    if (c < 0x20) { r->err = "control character in string"; free(out); return NULL; }
    if (c != '\\') { out[n++] = (char)c; continue; }
    char e = *r->p++;
    switch (e) {
    case '"': out[n++] = '"'; break;
    case '\\': out[n++] = '\\'; break;
    case '/': out[n++] = '/'; break;
    case 'b': out[n++] = '\b'; break;
    case 'f': out[n++] = '\f'; break;
    case 'n': out[n++] = '\n'; break;
    case 'r': out[n++] = '\r'; break;
    case 't': out[n++] = '\t'; break;
    case 'u': {
      unsigned cp, lo;
      if (!hex4(r, &cp)) { r->err = "bad \\u escape"; free(out); return NULL; }
      if (cp >= 0xD800 && cp < 0xDC00) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u') { r->err = "lone surrogate"; free(out); return NULL; }
        r->p += 2;
        if (!hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) { r->err = "bad surrogate pair"; free(out); return NULL; }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp < 0xE000) {
        r->err = "lone surrogate"; free(out); return NULL;
      }
      n += put_utf8(out + n, cp);
      break;
    }
    default: r->err = "bad escape"; free(out); return NULL;
    }
  }
  r->p = stop + 1;
  out[n] = 0;
  *len = n;
  return out;
}

static json *parse_number(reader *r) {
  const char *s = r->p;
  int real = 0;
  if (r->p < r->end && *r->p == '-') r->p++;
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') { r->err = "bad number"; return NULL; }
  if (*r->p == '0') r->p++;
  else while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  if (r->p < r->end && *r->p == '.') {
    real = 1;
    r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') { r->err = "bad fraction"; return NULL; }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    real = 1;
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') { r->err = "bad exponent"; return NULL; }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  char buf[64];
  size_t n = (size_t)(r->p - s);
  if (n >= sizeof buf) { r->err = "number too long"; return NULL; }
  memcpy(buf, s, n);
  buf[n] = 0;
  json *j = xcalloc(1, sizeof *j);
  errno = 0;
  if (real) {
    j->type = JSON_REAL;
    j->real = strtod(buf, NULL);
  } else {
    j->type = JSON_INT;
    j->integer = strtoll(buf, NULL, 10);
    if (errno == ERANGE) { r->err = "integer out of int64 range"; free(j); return NULL; }
  }
  return j;
}

static json *parse_container(reader *r, int object, int depth) {
  json *j = xcalloc(1, sizeof *j);
  size_t cap = 8;
  j->type = object ? JSON_OBJECT : JSON_ARRAY;
  j->items = xcalloc(cap, sizeof *j->items);
  if (object) j->keys = xcalloc(cap, sizeof *j->keys);
  skip_ws(r);
  if (r->p < r->end && *r->p == (object ? '}' : ']')) { r->p++; return j; }
  for (;;) {
    if (j->len == cap) {
      cap *= 2;
      j->items = realloc(j->items, cap * sizeof *j->items);
      if (object) j->keys = realloc(j->keys, cap * sizeof *j->keys);
      if (j->items == NULL || (object && j->keys == NULL)) abort();
    }
    skip_ws(r);
    if (object) {
      size_t klen;
      if (r->p >= r->end || *r->p != '"') { r->err = "expected a key"; goto fail; }
      r->p++;
      char *key = parse_string(r, &klen);
      if (key == NULL) goto fail;
      j->keys[j->len] = key;
      skip_ws(r);
      if (r->p >= r->end || *r->p != ':') { free(key); r->err = "expected ':'"; goto fail; }
      r->p++;
    }
    json *v = parse_value(r, depth + 1);
    if (v == NULL) { if (object) free(j->keys[j->len]); goto fail; }
    j->items[j->len++] = v;
    skip_ws(r);
    if (r->p < r->end && *r->p == ',') { r->p++; continue; }
    if (r->p < r->end && *r->p == (object ? '}' : ']')) { r->p++; return j; }
    r->err = "expected ',' or a closing bracket";
    goto fail;
  }
fail:
  json_free(j);
  return NULL;
}

static json *parse_value(reader *r, int depth) {
  if (depth > 64) { r->err = "nested too deep"; return NULL; }
  skip_ws(r);
  if (r->p >= r->end) { r->err = "unexpected end"; return NULL; }
  json *j;
  switch (*r->p) {
  case '{': r->p++; return parse_container(r, 1, depth);
  case '[': r->p++; return parse_container(r, 0, depth);
  case '"':
    r->p++;
    j = xcalloc(1, sizeof *j);
    j->type = JSON_STRING;
    j->string = parse_string(r, &j->len);
    if (j->string == NULL) { free(j); return NULL; }
    return j;
  case 't': case 'f': case 'n':
    j = xcalloc(1, sizeof *j);
    if (literal(r, "true")) { j->type = JSON_BOOL; j->boolean = 1; }
    else if (literal(r, "false")) { j->type = JSON_BOOL; }
    else if (literal(r, "null")) { j->type = JSON_NULL; }
    else { free(j); r->err = "bad literal"; return NULL; }
    return j;
  default:
    return parse_number(r);
  }
}

json *json_parse(const char *text, size_t len) {
  reader r = {text, text + len, NULL};
  json *j = parse_value(&r, 0);
  if (j != NULL) {
    skip_ws(&r);
    if (r.p != r.end) { r.err = "trailing characters"; json_free(j); j = NULL; }
  }
  if (j == NULL) fprintf(stderr, "json: %s at byte %ld\n", r.err ? r.err : "error", (long)(r.p - text));
  return j;
}

json *json_parse_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) { fprintf(stderr, "json: cannot open %s\n", path); return NULL; }
  size_t cap = 1 << 16, n = 0;
  char *buf = xcalloc(cap, 1);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (buf == NULL) abort();
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  json *j = json_parse(buf, n);
  if (j == NULL) fprintf(stderr, "json: in %s\n", path);
  free(buf);
  return j;
}

void json_free(json *j) {
  if (j == NULL) return;
  for (size_t i = 0; i < j->len && j->items != NULL; i++) {
    json_free(j->items[i]);
    if (j->keys != NULL) free(j->keys[i]);
  }
  free(j->items);
  free(j->keys);
  free(j->string);
  free(j);
}

const json *json_get(const json *obj, const char *key) {
  if (obj == NULL || obj->type != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < obj->len; i++)
    if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
  return NULL;
}

const json *json_at(const json *arr, size_t i) {
  if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->len) return NULL;
  return arr->items[i];
}
