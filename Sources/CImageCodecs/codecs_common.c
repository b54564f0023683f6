/*
 * codecs_common.c - format sniffing, decode dispatch, message formatting and file I/O.
 */
// fileno() and fstat() are POSIX, not ISO C: ask for them explicitly under -std=c11.
#define _POSIX_C_SOURCE 200809L

#include "codecs_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void simlay_set_msg(char *msg, size_t cap, const char *fmt, ...) {
  if (msg == NULL || cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, cap, fmt, ap);
  va_end(ap);
  // Library messages are meant for single-line logs: flatten any embedded line breaks.
  for (char *p = msg; *p; ++p) {
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  }
}

simlay_status simlay_check_size(const char *codec, uint32_t width, uint32_t height,
                                uint64_t max_pixels, char *msg, size_t cap) {
  if (width == 0 || height == 0) {
    simlay_set_msg(msg, cap, "corrupt %s: image has zero size (%ux%u)", codec, width, height);
    return SIMLAY_ERR_CORRUPT;
  }
  uint64_t pixels = (uint64_t)width * (uint64_t)height;
  if (pixels > max_pixels) {
    simlay_set_msg(msg, cap,
                   "%s image too large: %ux%u = %llu pixels exceeds the limit of %llu "
                   "(possible decompression bomb)",
                   codec, width, height, (unsigned long long)pixels,
                   (unsigned long long)max_pixels);
    return SIMLAY_ERR_TOO_LARGE;
  }
  return SIMLAY_OK;
}

simlay_format simlay_sniff(const uint8_t *data, size_t len) {
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (data == NULL) return SIMLAY_FORMAT_UNKNOWN;
  if (len >= 8 && memcmp(data, png_sig, 8) == 0) return SIMLAY_FORMAT_PNG;
  if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return SIMLAY_FORMAT_JPEG;
  return SIMLAY_FORMAT_UNKNOWN;
}

/// Shared front half of probe and decode: argument checks and format dispatch.
static simlay_status dispatch(const uint8_t *data, size_t len, uint64_t max_pixels, uint8_t *out,
                              size_t out_cap, simlay_format *out_format, uint32_t *out_width,
                              uint32_t *out_height, char *msg, size_t cap) {
  uint32_t w = 0, h = 0;
  if (out_width) *out_width = 0;
  if (out_height) *out_height = 0;
  if (out_format) *out_format = SIMLAY_FORMAT_UNKNOWN;
  if (max_pixels == 0) {
    simlay_set_msg(msg, cap, "invalid argument: max_pixels must be positive");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  if (len == 0) {
    simlay_set_msg(msg, cap, "empty input (0 bytes)");
    return SIMLAY_ERR_EMPTY;
  }
  if (data == NULL) {
    simlay_set_msg(msg, cap, "invalid argument: NULL data");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  simlay_format fmt = simlay_sniff(data, len);
  if (out_format) *out_format = fmt;
  simlay_status st;
  switch (fmt) {
    case SIMLAY_FORMAT_PNG:
      st = simlay_png_decode(data, len, max_pixels, out, out_cap, &w, &h, msg, cap);
      break;
    case SIMLAY_FORMAT_JPEG:
      st = simlay_jpeg_decode(data, len, max_pixels, out, out_cap, &w, &h, msg, cap);
      break;
    default: {
      // Show the first bytes: enough to tell a GIF, a WebP or an HTML error page apart.
      char head[3 * 8 + 1] = "";
      size_t shown = len < 8 ? len : 8;
      for (size_t i = 0; i < shown; ++i) snprintf(head + 3 * i, 4, " %02X", data[i]);
      simlay_set_msg(msg, cap,
                     "not an image (unsupported format): expected PNG or JPEG magic bytes, "
                     "got%s",
                     head);
      return SIMLAY_ERR_NOT_IMAGE;
    }
  }
  if (out_width) *out_width = w;
  if (out_height) *out_height = h;
  return st;
}

simlay_status simlay_probe(const uint8_t *data, size_t len, uint64_t max_pixels,
                           simlay_format *out_format, uint32_t *out_width,
                           uint32_t *out_height, char *msg, size_t msg_cap) {
  return dispatch(data, len, max_pixels, NULL, 0, out_format, out_width, out_height, msg,
                  msg_cap);
}

simlay_status simlay_decode_rgb(const uint8_t *data, size_t len, uint64_t max_pixels,
                                uint8_t *out, size_t out_cap, uint32_t *out_width,
                                uint32_t *out_height, char *msg, size_t msg_cap) {
  if (out == NULL) {
    simlay_set_msg(msg, msg_cap, "invalid argument: NULL output buffer");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  return dispatch(data, len, max_pixels, out, out_cap, NULL, out_width, out_height, msg,
                  msg_cap);
}

simlay_status simlay_read_file(const char *path, uint8_t **out_data, size_t *out_len,
                               char *msg, size_t msg_cap) {
  if (path == NULL || out_data == NULL || out_len == NULL) {
    simlay_set_msg(msg, msg_cap, "invalid argument: NULL path or output");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  *out_data = NULL;
  *out_len = 0;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    simlay_set_msg(msg, msg_cap, "cannot open file: %s", strerror(errno));
    return SIMLAY_ERR_IO;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    simlay_set_msg(msg, msg_cap, "cannot stat file: %s", strerror(errno));
    fclose(f);
    return SIMLAY_ERR_IO;
  }
  if (S_ISDIR(st.st_mode)) {
    simlay_set_msg(msg, msg_cap, "cannot read file: is a directory");
    fclose(f);
    return SIMLAY_ERR_IO;
  }
  // st_size is only a hint (pipes and /proc report 0): read until EOF, growing as needed.
  size_t cap = (S_ISREG(st.st_mode) && st.st_size > 0) ? (size_t)st.st_size + 1 : 65536;
  size_t len = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) {
    simlay_set_msg(msg, msg_cap, "out of memory reading file (%zu bytes)", cap);
    fclose(f);
    return SIMLAY_ERR_IO;
  }
  for (;;) {
    if (len == cap) {
      size_t ncap = cap * 2;
      uint8_t *nbuf = realloc(buf, ncap);
      if (nbuf == NULL) {
        simlay_set_msg(msg, msg_cap, "out of memory reading file (%zu bytes)", ncap);
        free(buf);
        fclose(f);
        return SIMLAY_ERR_IO;
      }
      buf = nbuf;
      cap = ncap;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) {
      if (ferror(f)) {
        simlay_set_msg(msg, msg_cap, "cannot read file: %s", strerror(errno));
        free(buf);
        fclose(f);
        return SIMLAY_ERR_IO;
      }
      break;  // EOF
    }
  }
  fclose(f);
  *out_data = buf;
  *out_len = len;
  return SIMLAY_OK;
}

simlay_status simlay_write_file(const char *path, const uint8_t *data, size_t len, char *msg,
                                size_t msg_cap) {
  if (path == NULL || (data == NULL && len > 0)) {
    simlay_set_msg(msg, msg_cap, "invalid argument: NULL path or data");
    return SIMLAY_ERR_INVALID_ARGUMENT;
  }
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    simlay_set_msg(msg, msg_cap, "cannot create file: %s", strerror(errno));
    return SIMLAY_ERR_IO;
  }
  if (len > 0 && fwrite(data, 1, len, f) != len) {
    simlay_set_msg(msg, msg_cap, "cannot write file: %s", strerror(errno));
    fclose(f);
    return SIMLAY_ERR_IO;
  }
  // fclose flushes: a full disk is often only reported here.
  if (fclose(f) != 0) {
    simlay_set_msg(msg, msg_cap, "cannot write file: %s", strerror(errno));
    return SIMLAY_ERR_IO;
  }
  return SIMLAY_OK;
}

void simlay_free(void *ptr) { free(ptr); }
