/*
 * jpeg_codec.c - JPEG decoding to 8-bit RGB from memory via libjpeg(-turbo).
 *
 * libjpeg calls error_exit on fatal errors (ours longjmps back) and emit_message for warnings.
 * One warning matters: when the data runs out, the memory source manager warns
 * "Premature end of JPEG file" (JWRN_JPEG_EOF) and feeds a fake EOI, so the rest of the image
 * silently decodes as gray. Pillow reports that as "image file is truncated"; so do we.
 */
#include "codecs_internal.h"

#include <setjmp.h>
#include <stdio.h>  // jpeglib.h needs FILE
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct {
  struct jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  jmp_buf jb;
  int truncated;
  int too_much_work;
  char detail[JMSG_LENGTH_MAX];
} jpeg_err_ctx;

/*
 * Decoding work is bounded as well as pixels. A progressive JPEG may hold any number of scans, and
 * every scan walks the whole image's coefficient buffer: a 290 KB file of 7000x7000 pixels with 1000
 * scans held a decoder thread for 10-18 s here. Encoders write about 10 scans (libjpeg's and mozjpeg's
 * progressions); so at most 100 scans, and at most 1.5e9 pixels x scans (30 scans of a 50-megapixel
 * image, about half a second), are decoded.
 */
#define SIMLAY_JPEG_MAX_SCANS 100
#define SIMLAY_JPEG_MAX_SCAN_PIXELS 1500000000ull

typedef struct {
  struct jpeg_progress_mgr pub;  // first member
  jpeg_err_ctx *err;
  uint64_t pixels;
} jpeg_scan_guard;

/// Called by libjpeg many times per scan while it consumes input (once per iMCU row).
static void on_jpeg_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  jpeg_scan_guard *guard = (jpeg_scan_guard *)cinfo->progress;
  uint64_t scans = (uint64_t)((j_decompress_ptr)cinfo)->input_scan_number;
  if (scans > SIMLAY_JPEG_MAX_SCANS || scans * guard->pixels > SIMLAY_JPEG_MAX_SCAN_PIXELS) {
    guard->err->too_much_work = 1;
    snprintf(guard->err->detail, sizeof guard->err->detail,
             "more than %d scans, or more than %llu pixels x scans (at scan %llu of a %llu-pixel image)",
             SIMLAY_JPEG_MAX_SCANS, SIMLAY_JPEG_MAX_SCAN_PIXELS, (unsigned long long)scans,
             (unsigned long long)guard->pixels);
    longjmp(guard->err->jb, 1);
  }
}

static void on_jpeg_error_exit(j_common_ptr cinfo) {
  jpeg_err_ctx *err = (jpeg_err_ctx *)cinfo->err;
  cinfo->err->format_message(cinfo, err->detail);
  longjmp(err->jb, 1);
}

static void on_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;  // trace messages
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
    jpeg_err_ctx *err = (jpeg_err_ctx *)cinfo->err;
    err->truncated = 1;
    cinfo->err->format_message(cinfo, err->detail);
    longjmp(err->jb, 1);
  }
  // Other warnings ("extraneous bytes before marker", ...) are survivable corruption that
  // Pillow decodes through; count them like libjpeg's default handler, print nothing.
  cinfo->err->num_warnings++;
}

static void on_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

/// Pillow's CMYK;I unpacking (it assumes Adobe-inverted CMYK in every 4-channel JPEG) followed
/// by its cmyk2rgb: channel = (255 - k) - round((255 - k) * c / 255) with MULDIV255 rounding.
static void cmyk_row_to_rgb(const uint8_t *in, uint8_t *out, uint32_t width) {
  for (uint32_t x = 0; x < width; ++x, in += 4, out += 3) {
    // Stored values are inverted, so the inverted ink is the stored value itself:
    // nk = 255 - k_ink = stored_k, and c_ink = 255 - stored_c.
    int nk = in[3];
    for (int ch = 0; ch < 3; ++ch) {
      int ink = 255 - in[ch];
      int tmp = ink * nk + 128;
      int v = nk - (((tmp >> 8) + tmp) >> 8);
      out[ch] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
  }
}

simlay_status simlay_jpeg_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                                 uint8_t *out, size_t out_cap, uint32_t *out_width,
                                 uint32_t *out_height, char *msg, size_t cap) {
  struct jpeg_decompress_struct cinfo;
  jpeg_err_ctx err;
  memset(&err, 0, sizeof err);
  uint8_t *volatile row = NULL;
  volatile int created = 0;

  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_jpeg_error_exit;
  err.pub.emit_message = on_jpeg_emit_message;
  err.pub.output_message = on_jpeg_output_message;

  jpeg_scan_guard guard;
  memset(&guard, 0, sizeof guard);
  guard.pub.progress_monitor = on_jpeg_progress;
  guard.err = &err;

  if (setjmp(err.jb)) {
    if (created) jpeg_destroy_decompress(&cinfo);
    free(row);
    if (err.too_much_work) {
      simlay_set_msg(msg, cap, "JPEG needs too much decoding work: %s", err.detail);
      return SIMLAY_ERR_TOO_LARGE;
    }
    if (err.truncated) {
      simlay_set_msg(msg, cap, "truncated JPEG: %s (data ends after %zu bytes)", err.detail, len);
      return SIMLAY_ERR_TRUNCATED;
    }
    simlay_set_msg(msg, cap, "corrupt JPEG: %s", err.detail);
    return SIMLAY_ERR_CORRUPT;
  }

  jpeg_create_decompress(&cinfo);
  created = 1;
  cinfo.progress = &guard.pub;
  jpeg_mem_src(&cinfo, data, (unsigned long)len);
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    // A tables-only ("abbreviated") datastream: valid JPEG syntax but no image in it.
    snprintf(err.detail, sizeof err.detail, "datastream contains tables but no image");
    longjmp(err.jb, 1);
  }
  uint32_t width = cinfo.image_width, height = cinfo.image_height;
  guard.pixels = (uint64_t)width * height;
  *out_width = width;
  *out_height = height;

  // The decompression-bomb guard runs before jpeg_start_decompress, which is where libjpeg
  // allocates (for progressive files, a coefficient buffer for the whole image).
  simlay_status st = simlay_check_size("JPEG", width, height, max_pixels, msg, cap);
  if (st != SIMLAY_OK || out == NULL) {
    jpeg_destroy_decompress(&cinfo);
    return st;
  }
  if (out_cap / 3 / width < height) {
    jpeg_destroy_decompress(&cinfo);
    simlay_set_msg(msg, cap, "invalid argument: output buffer of %zu bytes is too small for %ux%u RGB",
                   out_cap, width, height);
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }

  // Like Pillow, pick the output by component count: 1 = L, 3 = RGB, 4 = CMYK. libjpeg does
  // YCbCr->RGB and YCCK->CMYK itself; its defaults (ISLOW IDCT, fancy upsampling) are
  // Pillow's defaults too.
  switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
      snprintf(err.detail, sizeof err.detail, "unsupported number of components (%d)",
               cinfo.num_components);
      longjmp(err.jb, 1);
  }
  jpeg_start_decompress(&cinfo);
  int comps = cinfo.output_components;
  if (cinfo.output_width != width || cinfo.output_height != height ||
      (comps != 1 && comps != 3 && comps != 4)) {
    snprintf(err.detail, sizeof err.detail, "unexpected output layout (%ux%u, %d components)",
             cinfo.output_width, cinfo.output_height, comps);
    longjmp(err.jb, 1);
  }
  if (comps != 3) {
    row = malloc((size_t)width * (size_t)comps);
    if (row == NULL) {
      snprintf(err.detail, sizeof err.detail, "out of memory");
      longjmp(err.jb, 1);
    }
  }
  size_t row_bytes = (size_t)width * 3;
  while (cinfo.output_scanline < height) {
    uint8_t *dst = out + (size_t)cinfo.output_scanline * row_bytes;
    JSAMPROW target = comps == 3 ? dst : row;
    if (jpeg_read_scanlines(&cinfo, &target, 1) != 1) {
      // Cannot happen with the memory source (it never suspends); guard against a loop.
      snprintf(err.detail, sizeof err.detail, "decoder made no progress");
      longjmp(err.jb, 1);
    }
    if (comps == 1) {
      for (uint32_t x = 0; x < width; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
    } else if (comps == 4) {
      cmyk_row_to_rgb(row, dst, width);
    }
  }
  // jpeg_finish_decompress is skipped on purpose: every row is decoded, and a missing EOI or
  // trailing garbage should not reject the image (Pillow stops at the last row as well).
  jpeg_destroy_decompress(&cinfo);
  free(row);
  return SIMLAY_OK;
}
