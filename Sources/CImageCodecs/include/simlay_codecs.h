/*
 * simlay_codecs.h - in-memory PNG/JPEG decoding to 8-bit RGB and PNG encoding.
 *
 * A thin C layer over libpng and libjpeg(-turbo). Both libraries report fatal errors by
 * longjmp; every function here catches them and returns a status code plus a one-line
 * message, so callers (Swift) never see a longjmp, an abort or anything on stderr.
 *
 * Conventions:
 *  - Every function returns a simlay_status; SIMLAY_OK (0) means success.
 *  - `msg` / `msg_cap` is a caller-owned buffer that receives a NUL-terminated, single-line
 *    description on failure (it may be NULL / 0 when the caller does not want it).
 *  - Buffers returned through `uint8_t **` are malloc'd and must be released with
 *    simlay_free().
 */
#ifndef SIMLAY_CODECS_H
#define SIMLAY_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result of every simlay_* call. Values are stable: the Swift layer maps them to error codes.
typedef enum {
  SIMLAY_OK = 0,
  /// The bytes are neither PNG nor JPEG (magic-number sniffing failed).
  SIMLAY_ERR_NOT_IMAGE = 1,
  /// The data ends before the image is complete.
  SIMLAY_ERR_TRUNCATED = 2,
  /// The header announces more pixels than the caller allows (decompression-bomb guard).
  SIMLAY_ERR_TOO_LARGE = 3,
  /// Zero bytes of input.
  SIMLAY_ERR_EMPTY = 4,
  /// The codec rejected the data (bad CRC, bad Huffman table, zero dimensions, ...).
  SIMLAY_ERR_CORRUPT = 5,
  /// A file could not be opened, read or written, or memory ran out.
  SIMLAY_ERR_IO = 6,
  /// The caller passed inconsistent arguments (NULL buffer, too-small capacity, ...).
  SIMLAY_ERR_INVALID_ARGUMENT = 7,
} simlay_status;

/// Container format recognised by its magic bytes.
typedef enum {
  SIMLAY_FORMAT_UNKNOWN = 0,
  SIMLAY_FORMAT_PNG = 1,
  SIMLAY_FORMAT_JPEG = 2,
} simlay_format;

/// Recommended size for message buffers (messages are truncated to fit, never overflow).
#define SIMLAY_MSG_CAP 256

/// Sniffs the format from the first bytes: PNG signature (89 50 4E 47 0D 0A 1A 0A) or
/// JPEG SOI + marker (FF D8 FF). Never fails; returns SIMLAY_FORMAT_UNKNOWN otherwise.
simlay_format simlay_sniff(const uint8_t *data, size_t len);

/// Reads only the header and reports the format and dimensions. Fails with
/// SIMLAY_ERR_TOO_LARGE when width * height > max_pixels, before anything big is allocated.
simlay_status simlay_probe(const uint8_t *data, size_t len, uint64_t max_pixels,
                           simlay_format *out_format, uint32_t *out_width,
                           uint32_t *out_height, char *msg, size_t msg_cap);

/// Decodes a PNG or JPEG into caller-provided interleaved 8-bit RGB (row-major, no padding).
/// `out_cap` must be at least width * height * 3 as reported by simlay_probe; the header is
/// read and checked again here (dimensions, max_pixels, capacity) before any pixel is decoded.
/// Conversion rules (chosen to match Pillow's `Image.open(f).convert('RGB')`):
///  - PNG: palette expanded; gray (1-16 bit) replicated to RGB; alpha and tRNS dropped, not
///    composited; 16-bit samples rounded to 8 bits with png_set_scale_16, i.e.
///    round(v * 255 / 65535) (Pillow instead keeps the high byte, see the Swift docs).
///  - JPEG: grayscale replicated; YCbCr/RGB converted by libjpeg; CMYK/YCCK read as
///    Adobe-inverted CMYK and converted like Pillow's cmyk2rgb.
///  - Truncated data is an error (SIMLAY_ERR_TRUNCATED), never gray-filled.
simlay_status simlay_decode_rgb(const uint8_t *data, size_t len, uint64_t max_pixels,
                                uint8_t *out, size_t out_cap, uint32_t *out_width,
                                uint32_t *out_height, char *msg, size_t msg_cap);

/// Encodes 8-bit RGB (channels = 3) or RGBA (channels = 4) pixels, row-major without padding,
/// into a PNG held in memory. On success *out_data (free with simlay_free) holds *out_len bytes.
simlay_status simlay_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                int channels, uint8_t **out_data, size_t *out_len, char *msg,
                                size_t msg_cap);

/// Reads a whole regular file into memory. On success *out_data (free with simlay_free; it is
/// non-NULL even for an empty file) holds *out_len bytes.
simlay_status simlay_read_file(const char *path, uint8_t **out_data, size_t *out_len,
                               char *msg, size_t msg_cap);

/// Writes `len` bytes to `path`, replacing any existing file.
simlay_status simlay_write_file(const char *path, const uint8_t *data, size_t len, char *msg,
                                size_t msg_cap);

/// Releases a buffer returned by this library.
void simlay_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* SIMLAY_CODECS_H */
