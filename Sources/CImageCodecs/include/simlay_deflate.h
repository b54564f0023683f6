/*
 * simlay_deflate.h - zlib-format (RFC 1950) compression of byte buffers, for the HTML viewer's data
 * blocks (browsers inflate them with DecompressionStream('deflate')).
 */
#ifndef SIMLAY_DEFLATE_H
#define SIMLAY_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An upper bound on the compressed size of `length` bytes (zlib's compressBound).
size_t simlay_deflate_bound(size_t length);

/// Compresses `src[0..<length]` into `dst` (capacity `*dst_length`, at least simlay_deflate_bound(length))
/// at `level` (0-9); on success stores the compressed size in `*dst_length` and returns 0, else a zlib
/// error code (negative).
int simlay_deflate(const uint8_t *src, size_t length, int level, uint8_t *dst, size_t *dst_length);

/// Decompresses a zlib stream into `dst` (capacity `*dst_length`); on success stores the size in
/// `*dst_length` and returns 0, else a zlib error code (negative; Z_BUF_ERROR = -5 if `dst` is too small).
int simlay_inflate(const uint8_t *src, size_t length, uint8_t *dst, size_t *dst_length);

#ifdef __cplusplus
}
#endif

#endif
