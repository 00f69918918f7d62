/* A minimal JSON reader for the test vectors: the whole of RFC 8259's
   grammar, integers kept exact as int64 (the vectors' seqs reach 2^63-1),
   strings decoded to UTF-8. Not a general-purpose library: it reads small
   trusted files into a tree and reports the first syntax error. */
#ifndef SCOUT_TEST_JSON_H
#define SCOUT_TEST_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_INT, JSON_REAL, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
  json_type type;
  int boolean;           /* JSON_BOOL */
  int64_t integer;       /* JSON_INT */
  double real;           /* JSON_REAL */
  char *string;          /* JSON_STRING, NUL-terminated UTF-8 */
  size_t len;            /* JSON_STRING: bytes; JSON_ARRAY/OBJECT: items */
  struct json **items;   /* JSON_ARRAY and JSON_OBJECT values */
  char **keys;           /* JSON_OBJECT keys */
} json;

/* Parses a file; NULL on error, with a message on stderr. */
json *json_parse_file(const char *path);
/* Parses text of length len; NULL on error. */
json *json_parse(const char *text, size_t len);
void json_free(json *j);

/* Member key of an object, or NULL. */
const json *json_get(const json *obj, const char *key);
/* Item i of an array, or NULL. */
const json *json_at(const json *arr, size_t i);

#endif
