#include "simlay_kernels.h"

#include "cpu.h"

#include <immintrin.h>
#include <string.h>

// Function multi-versioning: the loader picks the widest variant the CPU runs, so one binary is fast on
// AVX-512 and AVX2 machines and still runs anywhere.
#define SIMLAY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

static inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// The input plane is copied once into a zero-padded buffer (cheap next to kh*kw multiply-adds per output),
// so the tap loops have no bounds tests. For stride 2 the padded columns are split into even and odd
// planes, which turns every tap into a contiguous read.
static int padded_width(const simlay_window *w) { return (w->out_w - 1) * w->stride_w + (w->k_w - 1) * w->dilation_w + 1; }
static int padded_height(const simlay_window *w) { return (w->out_h - 1) * w->stride_h + (w->k_h - 1) * w->dilation_h + 1; }

// Output rows are computed in blocks of ROW_BLOCK columns, into a row of whole blocks past the padded
// planes; the columns beyond out_w read up to ROW_SLACK floats past the last padded row (zeroed) and are
// dropped. Why: a row's tail ran scalar, and MobileNetV3's 5x5 depthwise layers have rows of 28 and 14
// (1 thread: 120 x 28 x 28 took 0.62 ms, 3.8 G multiply-adds/s against 14 at 112 wide).
#define ROW_BLOCK 16
#define ROW_SLACK 64
static int blocked_width(const simlay_window *w) { return (w->out_w + ROW_BLOCK - 1) / ROW_BLOCK * ROW_BLOCK; }

size_t simlay_depthwise_scratch(const simlay_window *w) {
  return (size_t)padded_height(w) * (size_t)(padded_width(w) + 2) + ROW_SLACK + (size_t)blocked_width(w);
}

// Accumulates `taps` source rows into y with constant trip counts, so the compiler unrolls the tap loop
// and vectorises across the output row, keeping the sum in registers; n is a multiple of ROW_BLOCK.
#define DEFINE_ROW_KERNEL(NAME, TAPS)                                                                      \
  SIMLAY_CLONES static void NAME(float *restrict y, const float *const *src, const float *restrict wt,       \
                                 float bias, float lo, float hi, int n) {                                     \
    for (int i0 = 0; i0 < n; i0 += ROW_BLOCK) {                                                             \
      for (int i = i0; i < i0 + ROW_BLOCK; i++) {                                                           \
        float acc = bias;                                                                                   \
        for (int t = 0; t < TAPS; t++) acc += wt[t] * src[t][i];                                            \
        y[i] = clampf(acc, lo, hi);                                                                         \
      }                                                                                                     \
    }                                                                                                       \
  }
DEFINE_ROW_KERNEL(row9, 9)
DEFINE_ROW_KERNEL(row25, 25)

// Four output rows at once, 16 columns at a time, for a K x K kernel of vertical stride S and dilation 1:
// each padded row's values are loaded once and feed every output row whose window covers it, into four
// independent sums. Why: one row at a time was one chain of K*K dependent multiply-adds per 16 outputs,
// bound by their latency (MobileNetV3's 120 x 28 x 28 5x5 layer, 1 thread: 0.59 ms, about 4 G
// multiply-adds/s). Each output's taps are added in the same order as row9/row25's (row by row, left to
// right, from the bias), so the same bits. p0 is padded row oy * S, ld the padded rows' stride, coff[kx] a
// tap's column offset; rows oy..oy+3 go to y, y + ldy, ...
#define DEFINE_ROWS4_KERNEL(NAME, K, S)                                                                    \
  SIMLAY_CLONES static void NAME(float *restrict y, ptrdiff_t ldy, const float *restrict p0, ptrdiff_t ld,  \
                                 const int *restrict coff, const float *restrict wt, float bias, float lo,  \
                                 float hi, int out_w) {                                                     \
    for (int i0 = 0; i0 < out_w; i0 += ROW_BLOCK) {                                                         \
      float acc[4][ROW_BLOCK];                                                                              \
      for (int r = 0; r < 4; r++)                                                                           \
        for (int i = 0; i < ROW_BLOCK; i++) acc[r][i] = bias;                                               \
      for (int j = 0; j < 3 * S + K; j++) {                                                                 \
        const float *pr = p0 + (ptrdiff_t)j * ld + i0;                                                      \
        for (int kx = 0; kx < K; kx++) {                                                                    \
          const float *src = pr + coff[kx];                                                                 \
          for (int r = 0; r < 4; r++) {                                                                     \
            const int ky = j - S * r;                                                                       \
            if (ky < 0 || ky >= K) continue;                                                                \
            const float k = wt[ky * K + kx];                                                                \
            for (int i = 0; i < ROW_BLOCK; i++) acc[r][i] += k * src[i];                                    \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
      const int n = out_w - i0 < ROW_BLOCK ? out_w - i0 : ROW_BLOCK;                                        \
      for (int r = 0; r < 4; r++)                                                                           \
        for (int i = 0; i < n; i++) y[(ptrdiff_t)r * ldy + i0 + i] = clampf(acc[r][i], lo, hi);             \
    }                                                                                                       \
  }
DEFINE_ROWS4_KERNEL(rows4_k3s1, 3, 1)
DEFINE_ROWS4_KERNEL(rows4_k3s2, 3, 2)
DEFINE_ROWS4_KERNEL(rows4_k5s1, 5, 1)
DEFINE_ROWS4_KERNEL(rows4_k5s2, 5, 2)

SIMLAY_CLONES static void row_generic(float *restrict y, const float *const *src, const float *restrict wt, int taps,
                                      int step, float bias, float lo, float hi, int n) {
  for (int i = 0; i < n; i++) y[i] = bias;
  for (int t = 0; t < taps; t++) {
    const float *s = src[t];
    const float k = wt[t];
    if (step == 1) {
      for (int i = 0; i < n; i++) y[i] += k * s[i];
    } else {
      for (int i = 0; i < n; i++) y[i] += k * s[(ptrdiff_t)i * step];
    }
  }
  for (int i = 0; i < n; i++) y[i] = clampf(y[i], lo, hi);
}

void simlay_depthwise_plane(const float *x, const float *weights, float bias, const simlay_window *w, float lo,
                            float hi, float *y, float *scratch) {
  const int ph = padded_height(w), pw = padded_width(w);
  const int split = w->stride_w == 2 && w->dilation_w == 1;
  const int half = (pw + 1) / 2;  // columns of the even plane (the odd one has pw / 2 <= half)
  const int row_len = split ? 2 * half : pw;
  // Padded column px holds input column px - pad_left; only [lo_px, hi_px) hold image data. Only the
  // cells outside it are zeroed (zeroing the whole buffer first wrote every cell twice).
  const int lo_px = w->pad_left > 0 ? w->pad_left : 0;
  int hi_px = w->in_w + w->pad_left;
  if (hi_px > pw) hi_px = pw;
  for (int py = 0; py < ph; py++) {
    const int iy = py - w->pad_top;
    float *dst = scratch + (ptrdiff_t)py * row_len;
    if (iy < 0 || iy >= w->in_h || lo_px >= hi_px) {
      memset(dst, 0, sizeof(float) * (size_t)row_len);
      continue;
    }
    const float *in = x + (ptrdiff_t)iy * w->in_w - w->pad_left;
    if (split) {
      // Even plane: columns j < half hold padded column 2j, written for 2j in [lo_px, hi_px); odd: 2j + 1.
      float *even = dst, *odd = dst + half;
      const int e0 = (lo_px + 1) / 2, e1 = (hi_px + 1) / 2, o0 = lo_px / 2, o1 = hi_px / 2;
      for (int j = 0; j < e0; j++) even[j] = 0.0f;
      for (int j = e0; j < e1; j++) even[j] = in[2 * j];
      for (int j = e1; j < half; j++) even[j] = 0.0f;
      for (int j = 0; j < o0; j++) odd[j] = 0.0f;
      for (int j = o0; j < o1; j++) odd[j] = in[2 * j + 1];
      for (int j = o1; j < half; j++) odd[j] = 0.0f;
    } else {
      memset(dst, 0, sizeof(float) * (size_t)lo_px);
      memcpy(dst + lo_px, in + lo_px, sizeof(float) * (size_t)(hi_px - lo_px));
      memset(dst + hi_px, 0, sizeof(float) * (size_t)(row_len - hi_px));
    }
  }

  const int taps = w->k_h * w->k_w;
  const float *src[64];
  const int fast = taps <= 64 && (w->stride_w == 1 || split);
  // Blocked rows read past the last padded row into the slack (zeroed: a reused buffer may hold
  // denormals, slow, or NaNs) and write to `row`.
  const int blocked = blocked_width(w);
  float *row = scratch + (size_t)ph * (size_t)(pw + 2) + ROW_SLACK;
  memset(scratch + (size_t)ph * (size_t)row_len, 0, sizeof(float) * (size_t)((ph * (pw + 2) - ph * row_len) + ROW_SLACK));
  // Square 3x3 and 5x5 kernels of dilation 1 and vertical stride 1 or 2: four rows at a time (rows4_*),
  // then the rest one by one.
  int oy = 0;
  const int k = w->k_h == w->k_w && w->dilation_h == 1 && w->dilation_w == 1 ? w->k_h : 0;
  if (fast && (k == 3 || k == 5) && (w->stride_h == 1 || w->stride_h == 2)) {
    int coff[5];
    for (int kx = 0; kx < k; kx++) coff[kx] = split ? (kx & 1) * half + (kx >> 1) : kx;
    void (*rows4)(float *restrict, ptrdiff_t, const float *restrict, ptrdiff_t, const int *restrict,
                  const float *restrict, float, float, float, int) =
        k == 3 ? (w->stride_h == 1 ? rows4_k3s1 : rows4_k3s2) : (w->stride_h == 1 ? rows4_k5s1 : rows4_k5s2);
    for (; oy + 4 <= w->out_h; oy += 4)
      rows4(y + (ptrdiff_t)oy * w->out_w, w->out_w, scratch + (ptrdiff_t)oy * w->stride_h * row_len, row_len, coff,
            weights, bias, lo, hi, w->out_w);
  }
  for (; oy < w->out_h; oy++) {
    float *out = y + (ptrdiff_t)oy * w->out_w;
    if (!fast) {
      // Rare geometry (stride > 2, dilated stride 2, huge kernels): direct sum.
      for (int ox = 0; ox < w->out_w; ox++) {
        float acc = bias;
        for (int ky = 0; ky < w->k_h; ky++) {
          const float *r = scratch + (ptrdiff_t)(oy * w->stride_h + ky * w->dilation_h) * row_len;
          for (int kx = 0; kx < w->k_w; kx++) acc += weights[ky * w->k_w + kx] * r[ox * w->stride_w + kx * w->dilation_w];
        }
        out[ox] = clampf(acc, lo, hi);
      }
      continue;
    }
    for (int ky = 0; ky < w->k_h; ky++) {
      const float *r = scratch + (ptrdiff_t)(oy * w->stride_h + ky * w->dilation_h) * row_len;
      for (int kx = 0; kx < w->k_w; kx++) {
        const int col = kx * w->dilation_w;
        src[ky * w->k_w + kx] = split ? r + (col & 1) * half + (col >> 1) : r + col;
      }
    }
    if (taps == 9 || taps == 25) {
      (taps == 9 ? row9 : row25)(row, src, weights, bias, lo, hi, blocked);
      memcpy(out, row, sizeof(float) * (size_t)w->out_w);
    } else {
      row_generic(out, src, weights, taps, 1, bias, lo, hi, w->out_w);
    }
  }
}

SIMLAY_CLONES void simlay_bias_clamp(float *y, int channels, ptrdiff_t size, const float *bias, float lo, float hi) {
  for (int c = 0; c < channels; c++) {
    float *p = y + (ptrdiff_t)c * size;
    const float b = bias ? bias[c] : 0.0f;
    for (ptrdiff_t i = 0; i < size; i++) p[i] = clampf(p[i] + b, lo, hi);
  }
}

size_t simlay_depthwise_hwc_scratch(const simlay_window *w, int channels) {
  return ((size_t)padded_height(w) * (size_t)padded_width(w) + (size_t)w->out_h * (size_t)w->out_w) * (size_t)channels + 16;
}

// Channel blocks stay in registers across all taps (64 = 4 AVX-512 vectors, then 16), instead of reloading
// and storing a whole row of accumulators per tap. Channel counts of real networks are multiples of 16, so
// the scalar tail rarely runs.
#define DEFINE_HWC_BLOCK(NAME, B)                                                                            \
  static inline void NAME(const float *restrict base, const ptrdiff_t *offsets, int taps,                   \
                          const float *restrict weights, int ldw, const float *restrict bias, int c0, float lo, \
                          float hi, float *restrict dst) {                                                    \
    float acc[B];                                                                                           \
    for (int c = 0; c < B; c++) acc[c] = bias ? bias[c0 + c] : 0.0f;                                        \
    for (int t = 0; t < taps; t++) {                                                                        \
      const float *src = base + offsets[t] + c0;                                                            \
      const float *k = weights + (ptrdiff_t)t * ldw + c0;                                                   \
      for (int c = 0; c < B; c++) acc[c] += k[c] * src[c];                                                  \
    }                                                                                                       \
    for (int c = 0; c < B; c++) dst[c0 + c] = clampf(acc[c], lo, hi);                                       \
  }
DEFINE_HWC_BLOCK(hwc_block64, 64)
DEFINE_HWC_BLOCK(hwc_block16, 16)

// Four output columns by 16 channels: each tap's 16 weights are loaded once and used four times, which
// halves the loads per multiply-add of the one-column blocks (loads, not FMAs, bound this kernel).
static inline void hwc_block16x4(const float *restrict base, ptrdiff_t step, const ptrdiff_t *offsets, int taps,
                                 const float *restrict weights, int ldw, const float *restrict bias, int c0, float lo,
                                 float hi, float *restrict dst, int channels) {
  float a0[16], a1[16], a2[16], a3[16];
  for (int c = 0; c < 16; c++) a0[c] = a1[c] = a2[c] = a3[c] = bias ? bias[c0 + c] : 0.0f;
  for (int t = 0; t < taps; t++) {
    const float *s0 = base + offsets[t] + c0;
    const float *k = weights + (ptrdiff_t)t * ldw + c0;
    for (int c = 0; c < 16; c++) {
      const float kc = k[c];
      a0[c] += kc * s0[c];
      a1[c] += kc * s0[step + c];
      a2[c] += kc * s0[2 * step + c];
      a3[c] += kc * s0[3 * step + c];
    }
  }
  for (int c = 0; c < 16; c++) {
    dst[c0 + c] = clampf(a0[c], lo, hi);
    dst[channels + c0 + c] = clampf(a1[c], lo, hi);
    dst[2 * channels + c0 + c] = clampf(a2[c], lo, hi);
    dst[3 * channels + c0 + c] = clampf(a3[c], lo, hi);
  }
}

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

// Test hook (simlay_depthwise_use_wide_cells): per thread, so that a test turning the 8-cell kernel off
// on its own thread does not change what other tests, running at the same time, compute.
static _Thread_local int wide_cells_off;

int simlay_depthwise_use_wide_cells(int on) {
  wide_cells_off = !on;
  return simlay_cpu_avx512();
}

// Eight output cells (any eight: their windows start at base[0..7]) by 16 channels, for every block of 16
// channels: eight independent sums per tap, each tap's weights loaded once for the eight. Why: the 4-column
// block's four sums were four chains of dependent multiply-adds, bound by their latency (EfficientNet-Lite0,
// 1 thread: 17% of a pass, about 1.5 G vector multiply-adds/s of 7.8). Cells run in raster order across
// output rows, so 7- and 14-wide maps fill every group but the last. Each sum starts from the bias and
// adds the taps in order with one fused multiply-add each.
AVX512 static inline __attribute__((always_inline)) void hwc_cells8_any(const float *const base[8],
                                                                      const ptrdiff_t *offsets, int taps,
                                                                      const float *weights, int ldw,
                                                                      const float *bias, int channels, float lo,
                                                                      float hi, float *dst) {
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const float *b0 = base[0], *b1 = base[1], *b2 = base[2], *b3 = base[3];
  const float *b4 = base[4], *b5 = base[5], *b6 = base[6], *b7 = base[7];
  for (int c0 = 0; c0 < channels; c0 += 16) {
    const __m512 init = bias ? _mm512_loadu_ps(bias + c0) : _mm512_setzero_ps();
    __m512 a0 = init, a1 = init, a2 = init, a3 = init, a4 = init, a5 = init, a6 = init, a7 = init;
    const float *k = weights + c0;
    for (int t = 0; t < taps; t++) {
      const ptrdiff_t o = offsets[t] + c0;
      const __m512 v = _mm512_loadu_ps(k + (ptrdiff_t)t * ldw);
      a0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b0 + o), a0);
      a1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b1 + o), a1);
      a2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b2 + o), a2);
      a3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b3 + o), a3);
      a4 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b4 + o), a4);
      a5 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b5 + o), a5);
      a6 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b6 + o), a6);
      a7 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b7 + o), a7);
    }
    // min(hi, max(lo, v)) with the bound first keeps a NaN, as clampf does.
    float *d = dst + c0;
    _mm512_storeu_ps(d, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a0)));
    _mm512_storeu_ps(d + channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a1)));
    _mm512_storeu_ps(d + 2 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a2)));
    _mm512_storeu_ps(d + 3 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a3)));
    _mm512_storeu_ps(d + 4 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a4)));
    _mm512_storeu_ps(d + 5 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a5)));
    _mm512_storeu_ps(d + 6 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a6)));
    _mm512_storeu_ps(d + 7 * channels, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a7)));
  }
}

// Constant tap counts for the common kernels, so the tap loop unrolls.
AVX512 static void hwc_cells8(const float *const base[8], const ptrdiff_t *offsets, int taps, const float *weights,
                              int ldw, const float *bias, int channels, float lo, float hi, float *dst) {
  if (taps == 9) {
    hwc_cells8_any(base, offsets, 9, weights, ldw, bias, channels, lo, hi, dst);
  } else if (taps == 25) {
    hwc_cells8_any(base, offsets, 25, weights, ldw, bias, channels, lo, hi, dst);
  } else {
    hwc_cells8_any(base, offsets, taps, weights, ldw, bias, channels, lo, hi, dst);
  }
}

// One cell with the same arithmetic as hwc_cells8's (for a range's last cells): the compiled 64- and 16-wide
// blocks gave other bits, so a cell's value depended on which range, and so which thread count, it fell in.
AVX512 static void hwc_cell1(const float *base, const ptrdiff_t *offsets, int taps, const float *weights, int ldw,
                             const float *bias, int channels, float lo, float hi, float *dst) {
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (int c0 = 0; c0 < channels; c0 += 16) {
    __m512 a = bias ? _mm512_loadu_ps(bias + c0) : _mm512_setzero_ps();
    for (int t = 0; t < taps; t++)
      a = _mm512_fmadd_ps(_mm512_loadu_ps(weights + (ptrdiff_t)t * ldw + c0), _mm512_loadu_ps(base + offsets[t] + c0), a);
    _mm512_storeu_ps(dst + c0, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a)));
  }
}

SIMLAY_CLONES void simlay_depthwise_hwc_rows(const float *padded, int channels, const float *weights, int ldw,
                                             const float *bias, const simlay_window *w, float lo, float hi, int oy0,
                                             int oy1, float *out) {
  const int pw = padded_width(w);
  const int taps = w->k_h * w->k_w;
  ptrdiff_t offsets[64];
  for (int t = 0; t < taps && t < 64; t++) {
    offsets[t] = ((ptrdiff_t)(t / w->k_w) * w->dilation_h * pw + (t % w->k_w) * w->dilation_w) * channels;
  }
  const ptrdiff_t step = (ptrdiff_t)w->stride_w * channels;  // input distance between output columns
  if (channels % 16 == 0 && simlay_cpu_avx512() && !wide_cells_off) {
    const int first = oy0 * w->out_w, end = oy1 * w->out_w;
    int cell = first;
    for (; cell + 8 <= end; cell += 8) {
      const float *base[8];
      for (int j = 0; j < 8; j++) {
        const int oy = (cell + j) / w->out_w, ox = (cell + j) % w->out_w;
        base[j] = padded + ((ptrdiff_t)oy * w->stride_h * pw + (ptrdiff_t)ox * w->stride_w) * channels;
      }
      hwc_cells8(base, offsets, taps, weights, ldw, bias, channels, lo, hi, out + (ptrdiff_t)cell * channels);
    }
    for (; cell < end; cell++) {
      const int oy = cell / w->out_w, ox = cell % w->out_w;
      const float *base = padded + ((ptrdiff_t)oy * w->stride_h * pw + (ptrdiff_t)ox * w->stride_w) * channels;
      hwc_cell1(base, offsets, taps, weights, ldw, bias, channels, lo, hi, out + (ptrdiff_t)cell * channels);
    }
    return;
  }
  for (int oy = oy0; oy < oy1; oy++) {
    int ox = 0;
    if (channels % 16 == 0) {
      for (; ox + 4 <= w->out_w; ox += 4) {
        float *dst = out + ((ptrdiff_t)oy * w->out_w + ox) * channels;
        const float *base = padded + ((ptrdiff_t)oy * w->stride_h * pw + (ptrdiff_t)ox * w->stride_w) * channels;
        for (int c0 = 0; c0 < channels; c0 += 16)
          hwc_block16x4(base, step, offsets, taps, weights, ldw, bias, c0, lo, hi, dst, channels);
      }
    }
    for (; ox < w->out_w; ox++) {
      float *dst = out + ((ptrdiff_t)oy * w->out_w + ox) * channels;
      const float *base = padded + ((ptrdiff_t)oy * w->stride_h * pw + (ptrdiff_t)ox * w->stride_w) * channels;
      int c0 = 0;
      for (; c0 + 64 <= channels; c0 += 64) hwc_block64(base, offsets, taps, weights, ldw, bias, c0, lo, hi, dst);
      for (; c0 + 16 <= channels; c0 += 16) hwc_block16(base, offsets, taps, weights, ldw, bias, c0, lo, hi, dst);
      for (int c = c0; c < channels; c++) {
        float acc = bias ? bias[c] : 0.0f;
        for (int t = 0; t < taps; t++) acc += weights[(ptrdiff_t)t * ldw + c] * base[offsets[t] + c];
        dst[c] = clampf(acc, lo, hi);
      }
    }
  }
}

size_t simlay_hwc_padded_count(const simlay_window *w, int channels) {
  return (size_t)padded_height(w) * (size_t)padded_width(w) * (size_t)channels;
}

int simlay_hwc_padded_rows(const simlay_window *w) { return padded_height(w); }

void simlay_hwc_zero_border(float *padded, int channels, const simlay_window *w, int py0, int py1) {
  const int pw = padded_width(w);
  for (int py = py0; py < py1; py++) {
    const int iy = py - w->pad_top;
    float *row = padded + (ptrdiff_t)py * pw * channels;
    if (iy < 0 || iy >= w->in_h) {
      memset(row, 0, sizeof(float) * (size_t)pw * (size_t)channels);
      continue;
    }
    for (int px = 0; px < pw; px++) {
      const int ix = px - w->pad_left;
      if (ix < 0 || ix >= w->in_w) memset(row + (ptrdiff_t)px * channels, 0, sizeof(float) * (size_t)channels);
    }
  }
}

size_t simlay_hwc_padded_width(const simlay_window *w) { return (size_t)padded_width(w); }

void simlay_depthwise_hwc(const float *x, int channels, const float *weights, int weight_stride, const float *bias, const simlay_window *w,
                          float lo, float hi, float *y, float *scratch) {
  const int ph = padded_height(w), pw = padded_width(w);
  float *padded = scratch;
  float *out = scratch + (size_t)ph * (size_t)pw * (size_t)channels;
  const int cells_in = w->in_h * w->in_w;
  // Only the border needs zeros: every interior cell is written below.
  for (int py = 0; py < ph; py++) {
    const int iy = py - w->pad_top;
    float *row = padded + (ptrdiff_t)py * pw * channels;
    if (iy < 0 || iy >= w->in_h) {
      memset(row, 0, sizeof(float) * (size_t)pw * (size_t)channels);
      continue;
    }
    for (int px = 0; px < pw; px++) {
      const int ix = px - w->pad_left;
      if (ix < 0 || ix >= w->in_w) memset(row + (ptrdiff_t)px * channels, 0, sizeof(float) * (size_t)channels);
    }
  }
  // Transposes in tiles of 16 channels, so the writes (along channels) fill whole cache lines.
  enum { T = 16 };
  for (int c0 = 0; c0 < channels; c0 += T) {
    const int c1 = c0 + T < channels ? c0 + T : channels;
    for (int iy = 0; iy < w->in_h; iy++) {
      const int py = iy + w->pad_top;
      if (py < 0 || py >= ph) continue;
      for (int ix = 0; ix < w->in_w; ix++) {
        const int px = ix + w->pad_left;
        if (px < 0 || px >= pw) continue;
        float *dst = padded + ((ptrdiff_t)py * pw + px) * channels;
        const float *src = x + (ptrdiff_t)iy * w->in_w + ix;
        for (int c = c0; c < c1; c++) dst[c] = src[(ptrdiff_t)c * cells_in];
      }
    }
  }
  simlay_depthwise_hwc_rows(padded, channels, weights, weight_stride, bias, w, lo, hi, 0, w->out_h, out);
  const int cells = w->out_h * w->out_w;
  for (int c0 = 0; c0 < channels; c0 += T) {
    const int c1 = c0 + T < channels ? c0 + T : channels;
    for (int c = c0; c < c1; c++) {
      float *dst = y + (ptrdiff_t)c * cells;
      for (int i = 0; i < cells; i++) dst[i] = out[(ptrdiff_t)i * channels + c];
    }
  }
}
