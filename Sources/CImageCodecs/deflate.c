/*
 * deflate.c - zlib one-shot compression for the HTML viewer (see simlay_deflate.h).
 * zlib's one-shot calls take uLong sizes; callers keep buffers far below 4 GiB (the viewer's data is
 * bounded by its cell limits), and the casts are checked anyway.
 */
#include "simlay_deflate.h"

#include <zlib.h>

size_t simlay_deflate_bound(size_t length) { return (size_t)compressBound((uLong)length); }

int simlay_deflate(const uint8_t *src, size_t length, int level, uint8_t *dst, size_t *dst_length) {
  if ((size_t)(uLong)length != length || (size_t)(uLong)*dst_length != *dst_length) return Z_BUF_ERROR;
  uLongf out = (uLongf)*dst_length;
  int rc = compress2(dst, &out, src, (uLong)length, level);
  if (rc == Z_OK) *dst_length = (size_t)out;
  return rc;
}

int simlay_inflate(const uint8_t *src, size_t length, uint8_t *dst, size_t *dst_length) {
  if ((size_t)(uLong)length != length || (size_t)(uLong)*dst_length != *dst_length) return Z_BUF_ERROR;
  uLongf out = (uLongf)*dst_length;
  int rc = uncompress(dst, &out, src, (uLong)length);
  if (rc == Z_OK) *dst_length = (size_t)out;
  return rc;
}
