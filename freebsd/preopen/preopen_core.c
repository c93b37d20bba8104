/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen's portable core: the STOCKADE_PREOPENS format, lexical normalization and
 * longest-prefix matching. No system calls and no allocation. */

#include <errno.h>
#include <string.h>

#include "preopen.h"

int PreopenNormalize(const char* base, const char* path, char* out, size_t size) {
  if (path[0] == '\0') return ENOENT; /* POSIX: an empty path names nothing */
  if (size < 2) return ENAMETOOLONG;
  size_t used = 0;
  out[used++] = '/';
  /* Two passes over the same component loop: the base (when the path is relative), then the
   * path. Each component is appended after a '/', "." is dropped, ".." removes the last one. */
  const char* parts[2] = {path[0] == '/' ? NULL : base, path};
  if (parts[0] != NULL && parts[0][0] != '/') return EINVAL;
  if (path[0] != '/' && base == NULL) return EINVAL;
  for (int part = 0; part < 2; ++part) {
    const char* p = parts[part];
    if (p == NULL) continue;
    while (*p != '\0') {
      while (*p == '/') ++p;
      const char* start = p;
      while (*p != '\0' && *p != '/') ++p;
      const size_t length = (size_t)(p - start);
      if (length == 0 || (length == 1 && start[0] == '.')) continue;
      if (length == 2 && start[0] == '.' && start[1] == '.') {
        while (used > 1 && out[used - 1] != '/') --used; /* drop the last component */
        if (used > 1) --used;                            /* and its slash, but not the root */
        continue;
      }
      const size_t slash = used > 1 ? 1 : 0;
      if (used + slash + length + 1 > size) return ENAMETOOLONG;
      if (slash) out[used++] = '/';
      memcpy(out + used, start, length);
      used += length;
    }
  }
  out[used] = '\0';
  return 0;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int PreopenDecode(const char* encoded, size_t length, char* out, size_t size) {
  size_t used = 0;
  for (size_t i = 0; i < length; ++i) {
    unsigned char c = (unsigned char)encoded[i];
    if (c == '%') {
      if (i + 2 >= length) return EINVAL;
      const int high = HexValue(encoded[i + 1]);
      const int low = high < 0 ? -1 : HexValue(encoded[i + 2]);
      if (low < 0) return EINVAL;
      c = (unsigned char)(high * 16 + low);
      if (c == '\0') return EINVAL;
      i += 2;
    } else if (c < 0x21 || c > 0x7e) {
      return EINVAL; /* must have been encoded */
    }
    if (used + 1 >= size) return ENAMETOOLONG;
    out[used++] = (char)c;
  }
  out[used] = '\0';
  return 0;
}

int PreopenParse(PreopenTable* table, const char* spec) {
  table->count = 0;
  table->pool_used = 0;
  const char* p = spec;
  while (*p != '\0') {
    const char* end = strchr(p, ',');
    if (end == NULL) end = p + strlen(p);
    /* FD: decimal digits, then ':'. */
    long fd = 0;
    const char* q = p;
    if (q == end || *q < '0' || *q > '9') return EINVAL;
    while (q < end && *q >= '0' && *q <= '9') {
      fd = fd * 10 + (*q - '0');
      if (fd > INT_MAX) return EINVAL;
      ++q;
    }
    if (q == end || *q != ':') return EINVAL;
    ++q;
    char decoded[PATH_MAX];
    const int error = PreopenDecode(q, (size_t)(end - q), decoded, sizeof(decoded));
    if (error != 0) return error;
    if (decoded[0] != '/') return EINVAL;
    if (table->count == PREOPEN_MAX_ENTRIES) return ENOSPC;
    char* slot = table->pool + table->pool_used;
    const size_t room = sizeof(table->pool) - table->pool_used;
    const int normalized = PreopenNormalize(NULL, decoded, slot, room);
    if (normalized == ENAMETOOLONG) return ENOSPC;
    if (normalized != 0) return normalized;
    PreopenEntry* entry = &table->entries[table->count++];
    entry->fd = (int)fd;
    entry->path = slot;
    entry->length = strlen(slot);
    table->pool_used += entry->length + 1;
    p = *end == ',' ? end + 1 : end;
    if (*end == ',' && *p == '\0') return EINVAL; /* a trailing comma */
  }
  return 0;
}

const PreopenEntry* PreopenMatch(const PreopenTable* table, const char* path, const char** rest) {
  const PreopenEntry* best = NULL;
  for (size_t i = 0; i < table->count; ++i) {
    const PreopenEntry* entry = &table->entries[i];
    if (best != NULL && entry->length <= best->length) continue;
    if (strncmp(path, entry->path, entry->length) != 0) continue;
    /* "/srv/data" covers "/srv/data" and "/srv/data/x", not "/srv/database"; "/" covers all. */
    const char next = path[entry->length];
    if (entry->length > 1 && next != '\0' && next != '/') continue;
    best = entry;
  }
  if (best != NULL) {
    const char* after = path + best->length;
    *rest = *after == '/' ? after + 1 : after;
  }
  return best;
}
