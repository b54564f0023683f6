/*
 * codecs_internal.h - helpers shared by the codec translation units (not part of the
 * public module interface; it lives outside include/ on purpose).
 */
#ifndef SIMLAY_CODECS_INTERNAL_H
#define SIMLAY_CODECS_INTERNAL_H

#include "include/simlay_codecs.h"

/// printf-style write into a caller message buffer, truncating to fit and turning line breaks
/// into spaces so every message stays on one line. Accepts msg == NULL or cap == 0.
void simlay_set_msg(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/// Validates the pixel count against the caller's limit and fills the message on failure.
simlay_status simlay_check_size(const char *codec, uint32_t width, uint32_t height,
                                uint64_t max_pixels, char *msg, size_t cap);

/// PNG half (png_codec.c). `out == NULL` means "header only" (probe).
simlay_status simlay_png_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                                uint8_t *out, size_t out_cap, uint32_t *out_width,
                                uint32_t *out_height, char *msg, size_t cap);

/// JPEG half (jpeg_codec.c). `out == NULL` means "header only" (probe).
simlay_status simlay_jpeg_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                                 uint8_t *out, size_t out_cap, uint32_t *out_width,
                                 uint32_t *out_height, char *msg, size_t cap);

#endif /* SIMLAY_CODECS_INTERNAL_H */
