/*
 * png_codec.c - PNG decoding to 8-bit RGB and PNG encoding, from and to memory, via libpng.
 *
 * libpng reports errors by calling an error function that must not return; ours records the
 * message and longjmps back to the entry point, which frees everything and returns a status.
 */
#include "codecs_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/// Error state shared by the read and write paths.
typedef struct {
  jmp_buf jb;
  char detail[SIMLAY_MSG_CAP];
  /// libpng often explains an error in a warning just before it ("Image width is zero in
  /// IHDR", then the error "Invalid IHDR data"), so the latest warning is kept for the message.
  char last_warning[SIMLAY_MSG_CAP];
} png_err_ctx;

/// Input state for reading from memory.
typedef struct {
  png_err_ctx err;  // first member: the error callback sees the same pointer
  const uint8_t *data;
  size_t len;
  size_t pos;
  /// Set when libpng asked for bytes past the end: tells "truncated" apart from "corrupt".
  int truncated;
} png_reader;

/// Growable output buffer for writing to memory.
typedef struct {
  png_err_ctx err;
  uint8_t *buf;
  size_t len;
  size_t cap;
} png_writer;

static void on_png_error(png_structp png, png_const_charp message) {
  png_err_ctx *err = (png_err_ctx *)png_get_error_ptr(png);
  snprintf(err->detail, sizeof err->detail, "%s", message ? message : "unknown libpng error");
  longjmp(err->jb, 1);
}

// libpng warnings (bad ancillary chunks, sRGB profile mismatches, ...) do not affect pixel
// data and Pillow ignores them too: never printed, only remembered to explain a later error.
static void on_png_warning(png_structp png, png_const_charp message) {
  png_err_ctx *err = (png_err_ctx *)png_get_error_ptr(png);
  snprintf(err->last_warning, sizeof err->last_warning, "%s", message ? message : "");
}

static void on_png_read(png_structp png, png_bytep out, size_t n) {
  png_reader *r = (png_reader *)png_get_io_ptr(png);
  if (n > r->len - r->pos) {
    r->truncated = 1;
    png_error(png, "unexpected end of data");
  }
  memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

simlay_status simlay_png_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                                uint8_t *out, size_t out_cap, uint32_t *out_width,
                                uint32_t *out_height, char *msg, size_t cap) {
  png_reader reader;
  memset(&reader, 0, sizeof reader);
  reader.data = data;
  reader.len = len;

  // Everything created after setjmp and released on the error path is volatile, so its value
  // is reliable after longjmp.
  png_structp volatile png = NULL;
  png_infop volatile info = NULL;
  png_bytep *volatile rows = NULL;

  if (setjmp(reader.err.jb)) {
    png_structp p = png;
    png_infop i = info;
    png_destroy_read_struct(&p, &i, NULL);
    free(rows);
    if (reader.truncated) {
      simlay_set_msg(msg, cap, "truncated PNG: data ends after %zu bytes, before the image is complete",
                     len);
      return SIMLAY_ERR_TRUNCATED;
    }
    if (reader.err.last_warning[0])
      simlay_set_msg(msg, cap, "corrupt PNG: %s (%s)", reader.err.detail, reader.err.last_warning);
    else
      simlay_set_msg(msg, cap, "corrupt PNG: %s", reader.err.detail);
    return SIMLAY_ERR_CORRUPT;
  }

  png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader.err, on_png_error, on_png_warning);
  if (png == NULL) {
    simlay_set_msg(msg, cap, "out of memory creating the PNG decoder");
    return SIMLAY_ERR_IO;
  }
  info = png_create_info_struct(png);
  if (info == NULL) {
    png_structp p = png;
    png_destroy_read_struct(&p, NULL, NULL);
    simlay_set_msg(msg, cap, "out of memory creating the PNG decoder");
    return SIMLAY_ERR_IO;
  }
  png_set_read_fn(png, &reader, on_png_read);
  png_read_info(png, info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
  *out_width = width;
  *out_height = height;

  // The decompression-bomb guard: nothing proportional to the image size exists yet.
  simlay_status st = simlay_check_size("PNG", width, height, max_pixels, msg, cap);
  if (st != SIMLAY_OK || out == NULL) {
    png_structp p = png;
    png_infop i = info;
    png_destroy_read_struct(&p, &i, NULL);
    return st;
  }
  size_t row_bytes = (size_t)width * 3;
  if (out_cap / 3 / width < height) {
    png_structp p = png;
    png_infop i = info;
    png_destroy_read_struct(&p, &i, NULL);
    simlay_set_msg(msg, cap, "invalid argument: output buffer of %zu bytes is too small for %ux%u RGB",
                   out_cap, width, height);
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }

  // Normalise every PNG flavour to 8-bit RGB, as Pillow's convert('RGB') would.
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // Rounds (v * 255 + 32767) / 65535 instead of keeping the high byte.
  if (bit_depth == 16) png_set_scale_16(png);
  // Alpha is dropped, not composited. palette_to_rgb also expands tRNS to alpha, so strip
  // whenever a tRNS chunk exists as well.
  if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS))
    png_set_strip_alpha(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(png);
  (void)png_set_interlace_handling(png);
  png_read_update_info(png, info);

  if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
      png_get_rowbytes(png, info) != row_bytes) {
    png_error(png, "unsupported PNG layout after conversion to 8-bit RGB");
  }

  rows = malloc((size_t)height * sizeof(png_bytep));
  if (rows == NULL) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = out + (size_t)y * row_bytes;
  png_read_image(png, rows);
  // png_read_end is skipped on purpose: the pixels are complete, and a missing IEND or a bad
  // trailing ancillary chunk should not reject an otherwise intact image (Pillow agrees).

  png_structp p = png;
  png_infop i = info;
  png_destroy_read_struct(&p, &i, NULL);
  free(rows);
  return SIMLAY_OK;
}

static void on_png_write(png_structp png, png_bytep data, size_t n) {
  png_writer *w = (png_writer *)png_get_io_ptr(png);
  if (n > w->cap - w->len) {
    size_t ncap = w->cap ? w->cap : 4096;
    while (ncap - w->len < n) {
      if (ncap > SIZE_MAX / 2) png_error(png, "output too large");
      ncap *= 2;
    }
    uint8_t *nbuf = realloc(w->buf, ncap);
    if (nbuf == NULL) png_error(png, "out of memory");
    w->buf = nbuf;
    w->cap = ncap;
  }
  memcpy(w->buf + w->len, data, n);
  w->len += n;
}

static void on_png_flush(png_structp png) { (void)png; }

simlay_status simlay_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                int channels, uint8_t **out_data, size_t *out_len, char *msg,
                                size_t msg_cap) {
  if (out_data == NULL || out_len == NULL || pixels == NULL) {
    simlay_set_msg(msg, msg_cap, "invalid argument: NULL pixels or output");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  *out_data = NULL;
  *out_len = 0;
  if (width == 0 || height == 0 || (channels != 3 && channels != 4)) {
    simlay_set_msg(msg, msg_cap, "invalid argument: cannot encode %ux%u with %d channels",
                   width, height, channels);
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }

  png_writer writer;
  memset(&writer, 0, sizeof writer);
  png_structp volatile png = NULL;
  png_infop volatile info = NULL;
  png_bytep *volatile rows = NULL;

  if (setjmp(writer.err.jb)) {
    png_structp p = png;
    png_infop i = info;
    png_destroy_write_struct(&p, &i);
    free(rows);
    free(writer.buf);
    simlay_set_msg(msg, msg_cap, "PNG encoding failed: %s", writer.err.detail);
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }

  png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer.err, on_png_error, on_png_warning);
  if (png == NULL) {
    simlay_set_msg(msg, msg_cap, "out of memory creating the PNG encoder");
    return SIMLAY_ERR_IO;
  }
  info = png_create_info_struct(png);
  if (info == NULL) png_error(png, "out of memory");
  png_set_write_fn(png, &writer, on_png_write, on_png_flush);
  // set_IHDR validates the dimensions (libpng caps them at 1,000,000 per side by default).
  png_set_IHDR(png, info, width, height, 8,
               channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);

  rows = malloc((size_t)height * sizeof(png_bytep));
  if (rows == NULL) png_error(png, "out of memory");
  size_t row_bytes = (size_t)width * (size_t)channels;
  // libpng's row type is non-const, but it only reads rows when writing.
  for (uint32_t y = 0; y < height; ++y) rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
  png_write_image(png, rows);
  png_write_end(png, NULL);

  png_structp p = png;
  png_infop i = info;
  png_destroy_write_struct(&p, &i);
  free(rows);
  *out_data = writer.buf;
  *out_len = writer.len;
  return SIMLAY_OK;
}
