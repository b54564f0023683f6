#include "simlay_kernels.h"

#include "cpu.h"

#include <immintrin.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

// A GEMM for convolutions whose weights are packed once at load time: OpenBLAS packs both operands on
// every call and zeroes C first, and a separate pass then adds the bias (21% of a pass on
// EfficientNet-Lite0 went to sgemm's packing and zeroing). Here each 6x16 tile of C is summed over the
// whole depth in registers and written once with its bias and clamp. Every element is the same sum in
// the same order whichever tiles, chunks or threads compute it, so results do not depend on the split.

#define MR SIMLAY_GEMM_MR
#define NR SIMLAY_GEMM_NR

size_t simlay_gemm_packed_a_count(int m, int k) { return (size_t)((m + MR - 1) / MR) * MR * (size_t)k; }
size_t simlay_gemm_packed_b_count(int n, int k) { return (size_t)((n + NR - 1) / NR) * NR * (size_t)k; }

// Depth per block: a panel of A (6 x 512 floats, 12 KB) and one of B (32 KB) stay in L1/L2 while a tile
// sums them. Blocks are balanced (1152 = 3 x 384).
#define KC 512
static int depth_block(int k) {
  const int blocks = (k + KC - 1) / KC;
  return blocks > 0 ? (k + blocks - 1) / blocks : 0;
}

// Packed layout: depth blocks outermost, then panels, then depth within the block, then the panel's lanes.
// Element (panel q, depth p, lane r) of an operand with P panels of U lanes sits at
// p0 * P * U + q * kc * U + (p - p0) * U + r, for the block [p0, p0 + kc) holding p. Why blocks first: a
// product walks one depth block of every panel before the next, and weights too large for the caches then
// stream in order (panel-major, a 512-channel 3x3 convolution jumped 110 KB between 12 KB reads, and ran
// 40% slower than OpenBLAS).
#define FOR_BLOCKS(k, P, U, q, dst, ...)                                                           \
  for (int p0 = 0, kc0 = depth_block(k); p0 < k; p0 += kc0) {                                      \
    const int p1 = k - p0 < kc0 ? k : p0 + kc0;                                                    \
    float *d = (dst) + (size_t)p0 * (P) * (U) + (size_t)(q) * (p1 - p0) * (U);                     \
    __VA_ARGS__                                                                                    \
  }

void simlay_gemm_pack_a(const float *a, ptrdiff_t rs, ptrdiff_t ks, int m, int k, float *dst) {
  const int panels = (m + MR - 1) / MR;
  for (int q = 0; q < panels; q++) {
    const int i0 = q * MR, mr = m - i0 < MR ? m - i0 : MR;
    FOR_BLOCKS(k, panels, MR, q, dst, {
      if (mr < MR) memset(d, 0, sizeof(float) * MR * (size_t)(p1 - p0));
      if (rs == 1 && mr == MR) {
        // A constant size: the copy is inlined (a libc call per 24 bytes cost 4% of a pass).
        for (int p = p0; p < p1; p++) memcpy(d + (size_t)(p - p0) * MR, a + (ptrdiff_t)p * ks + i0, sizeof(float) * MR);
      } else {
        for (int r = 0; r < mr; r++) {
          const float *row = a + (ptrdiff_t)(i0 + r) * rs;
          for (int p = p0; p < p1; p++) d[(size_t)(p - p0) * MR + r] = row[(ptrdiff_t)p * ks];
        }
      }
    })
  }
}

#define AVX2 __attribute__((target("avx2,fma")))

static int use_avx2(void) { return simlay_cpu_avx2(); }

// dst[q * ds + i] = src[i * ss + q] for an 8x8 block.
AVX2 static void transpose8(const float *src, ptrdiff_t ss, float *dst, ptrdiff_t ds) {
  __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss), r2 = _mm256_loadu_ps(src + 2 * ss);
  __m256 r3 = _mm256_loadu_ps(src + 3 * ss), r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss);
  __m256 r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3);
  __m256 t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  r0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), r1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  r2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), r3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  r4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), r5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  r6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), r7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(r0, r4, 0x20));
  _mm256_storeu_ps(dst + ds, _mm256_permute2f128_ps(r1, r5, 0x20));
  _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(r2, r6, 0x20));
  _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(r3, r7, 0x20));
  _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(r0, r4, 0x31));
  _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(r1, r5, 0x31));
  _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(r2, r6, 0x31));
  _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(r3, r7, 0x31));
}

// Depth p0..<p1 of a full panel of 16 columns of a B whose columns are contiguous (a channels-last map) by
// 8x8 transposes; returns where the scalar tail starts. A scalar gather here took as long as the product
// itself for the 24-channel projections.
AVX2 static int pack_b_columns_avx2(const float *b, ptrdiff_t cs, int p0, int p1, float *d) {
  int p = p0;
  for (; p + 8 <= p1; p += 8) {
    transpose8(b + p, cs, d + (size_t)(p - p0) * NR, NR);
    transpose8(b + 8 * cs + p, cs, d + (size_t)(p - p0) * NR + 8, NR);
  }
  return p;
}

void simlay_gemm_pack_b(const float *b, ptrdiff_t ks, ptrdiff_t cs, int k, int n, float *dst) {
  const int avx2 = use_avx2(), panels = (n + NR - 1) / NR;
  for (int q = 0; q < panels; q++) {
    const int j0 = q * NR, nr = n - j0 < NR ? n - j0 : NR;
    FOR_BLOCKS(k, panels, NR, q, dst, {
      if (nr < NR) memset(d, 0, sizeof(float) * NR * (size_t)(p1 - p0));
      if (ks == 1 && nr == NR && avx2) {
        const float *col = b + (ptrdiff_t)j0 * cs;
        for (int p = pack_b_columns_avx2(col, cs, p0, p1, d); p < p1; p++)
          for (int c = 0; c < NR; c++) d[(size_t)(p - p0) * NR + c] = col[(ptrdiff_t)c * cs + p];
      } else if (cs == 1 && nr == NR) {
        for (int p = p0; p < p1; p++) memcpy(d + (size_t)(p - p0) * NR, b + (ptrdiff_t)p * ks + j0, sizeof(float) * NR);
      } else {
        for (int c = 0; c < nr; c++) {
          const float *col = b + (ptrdiff_t)(j0 + c) * cs;
          for (int p = p0; p < p1; p++) d[(size_t)(p - p0) * NR + c] = col[(ptrdiff_t)p * ks];
        }
      }
    })
  }
}

// A whole panel's rows of contiguous columns, 8 lanes at a time: the baseline build's loop was 4 wide, 4.4%
// of an EfficientNet-B0 pass's samples (1.9% after).
AVX2 static void pack_b_scaled_rows_avx2(const float *b, ptrdiff_t ks, int p0, int p1, const float *scale, float *d) {
  for (int p = p0; p < p1; p++) {
    const float *row = b + (ptrdiff_t)p * ks;
    const __m256 s = _mm256_broadcast_ss(scale + p);
    float *o = d + (size_t)(p - p0) * NR;
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_loadu_ps(row), s));
    _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_loadu_ps(row + 8), s));
  }
}

// B(p, j) * scale[p]: a squeeze-and-excitation gate applied while packing, so the gated tensor (the Mul
// before a 1x1 convolution) is never written. The product is the same float multiply the Mul makes, so the
// bits are the unfused ones.
void simlay_gemm_pack_b_scaled(const float *b, ptrdiff_t ks, ptrdiff_t cs, int k, int n, const float *scale,
                               float *dst) {
  const int panels = (n + NR - 1) / NR, avx2 = use_avx2() && NR == 16;
  for (int q = 0; q < panels; q++) {
    const int j0 = q * NR, nr = n - j0 < NR ? n - j0 : NR;
    FOR_BLOCKS(k, panels, NR, q, dst, {
      if (nr < NR) memset(d, 0, sizeof(float) * NR * (size_t)(p1 - p0));
      if (avx2 && cs == 1 && nr == NR) {
        pack_b_scaled_rows_avx2(b + j0, ks, p0, p1, scale, d);
        continue;
      }
      for (int p = p0; p < p1; p++) {
        const float s = scale[p], *row = b + (ptrdiff_t)p * ks + (ptrdiff_t)j0 * cs;
        float *o = d + (size_t)(p - p0) * NR;
        if (cs == 1) {
          for (int c = 0; c < nr; c++) o[c] = row[c] * s;
        } else {
          for (int c = 0; c < nr; c++) o[c] = row[(ptrdiff_t)c * cs] * s;
        }
      }
    })
  }
}

// Panels of the unfolded (im2col) matrix straight from the image: B(p, j) = x[c, iy, ix] with p = (c, ky, kx),
// j = (oy, ox), zero outside the image. Unfolding first and packing the copy read and wrote every value
// twice: 0.8 of the 1.2 ms EfficientNet-Lite0's 3x3 stem took for 0.3 ms of multiply-adds. A panel's columns
// split into runs within one output row (at most NR of them); these find them.
typedef struct {
  int count, start[NR], length[NR], oy[NR], ox[NR];
} im2col_runs;

static int panel_columns(const simlay_window *w, int jj, int nr, im2col_runs *runs) {
  runs->count = 0;
  for (int c = 0; c < nr;) {
    const int y = (jj + c) / w->out_w, x0 = (jj + c) % w->out_w;
    const int len = w->out_w - x0 < nr - c ? w->out_w - x0 : nr - c;
    const int r = runs->count++;
    runs->start[r] = c, runs->length[r] = len, runs->oy[r] = y, runs->ox[r] = x0;
    c += len;
  }
  return runs->count;
}

// The plain packer (and the reference the vector one is tested against): a run whose taps all land inside
// the input row is a plain copy, the rest tested per value.
void simlay_gemm_pack_b_im2col_plain(const float *x, int channels, const simlay_window *w, int j0, int n, float *dst) {
  const int k = channels * w->k_h * w->k_w, taps = w->k_h * w->k_w, panels = (n + NR - 1) / NR;
  for (int q = 0; q < panels; q++) {
    const int jj = j0 + q * NR, nr = j0 + n - jj < NR ? j0 + n - jj : NR;
    im2col_runs rr;
    const int runs = panel_columns(w, jj, nr, &rr);
    const int *start = rr.start, *length = rr.length, *oy = rr.oy, *ox = rr.ox;
    FOR_BLOCKS(k, panels, NR, q, dst, {
      // (ch, ky, kx) of depth p, stepped rather than divided out: four divisions per value of a 3x3
      // convolution's panels cost more than the copy.
      int ch = p0 / taps, ky = (p0 % taps) / w->k_w, kx = p0 % w->k_w;
      for (int p = p0; p < p1; p++) {
        float *row = d + (size_t)(p - p0) * NR;
        if (nr < NR) memset(row + nr, 0, sizeof(float) * (NR - nr));
        const float *plane = x + (ptrdiff_t)ch * w->in_h * w->in_w;
        const int dy = ky * w->dilation_h - w->pad_top, dx = kx * w->dilation_w - w->pad_left;
        for (int r = 0; r < runs; r++) {
          float *out = row + start[r];
          const int iy = oy[r] * w->stride_h + dy, ix0 = ox[r] * w->stride_w + dx, len = length[r];
          if (iy < 0 || iy >= w->in_h) {
            memset(out, 0, sizeof(float) * len);
            continue;
          }
          const float *src = plane + (ptrdiff_t)iy * w->in_w;
          if (ix0 >= 0 && ix0 + (len - 1) * w->stride_w < w->in_w) {
            if (w->stride_w == 1) {
              memcpy(out, src + ix0, sizeof(float) * len);
            } else {
              for (int c = 0; c < len; c++) out[c] = src[ix0 + c * w->stride_w];
            }
            continue;
          }
          for (int c = 0; c < len; c++) {
            const int ix = ix0 + c * w->stride_w;
            out[c] = ix >= 0 && ix < w->in_w ? src[ix] : 0.0f;
          }
        }
        if (++kx == w->k_w) {
          kx = 0;
          if (++ky == w->k_h) ky = 0, ch++;
        }
      }
    })
  }
}

// The same with vectors: each depth's row of 16 is assembled in two registers from one masked load (stride
// 1) or gather per run, lanes outside the run or the image masked to zero, then stored once. The plain
// packer's memcpy per run and per-value tests at the borders (most of a 56-wide map's panels touch one)
// took 16% of a ResNet-18 pass, a third of what the product it feeds took.
AVX2 static void pack_b_im2col_avx2(const float *x, int channels, const simlay_window *w, int j0, int n, float *dst) {
  const int k = channels * w->k_h * w->k_w, taps = w->k_h * w->k_w, panels = (n + NR - 1) / NR;
  const int sw = w->stride_w, in_w = w->in_w, in_h = w->in_h;
  const ptrdiff_t plane_size = (ptrdiff_t)in_h * in_w;
  const __m256i lane0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), lane1 = _mm256_add_epi32(lane0, _mm256_set1_epi32(8));
  const __m256i none = _mm256_set1_epi32(-1), width = _mm256_set1_epi32(in_w);
  const __m256 zero = _mm256_setzero_ps();
  for (int q = 0; q < panels; q++) {
    const int jj = j0 + q * NR, nr = j0 + n - jj < NR ? j0 + n - jj : NR;
    im2col_runs rr;
    const int runs = panel_columns(w, jj, nr, &rr);
    // Per run: which lanes of the row it fills, and the input column (before the tap's offset) of each.
    __m256i in_run[NR][2], column[NR][2];
    for (int r = 0; r < runs; r++) {
      const __m256i s = _mm256_set1_epi32(rr.start[r]), e = _mm256_set1_epi32(rr.start[r] + rr.length[r]);
      in_run[r][0] = _mm256_andnot_si256(_mm256_cmpgt_epi32(s, lane0), _mm256_cmpgt_epi32(e, lane0));
      in_run[r][1] = _mm256_andnot_si256(_mm256_cmpgt_epi32(s, lane1), _mm256_cmpgt_epi32(e, lane1));
      const __m256i base = _mm256_set1_epi32(rr.ox[r] * sw - rr.start[r] * sw), step = _mm256_set1_epi32(sw);
      column[r][0] = _mm256_add_epi32(base, _mm256_mullo_epi32(lane0, step));
      column[r][1] = _mm256_add_epi32(base, _mm256_mullo_epi32(lane1, step));
    }
    FOR_BLOCKS(k, panels, NR, q, dst, {
      int ch = p0 / taps, ky = (p0 % taps) / w->k_w, kx = p0 % w->k_w;
      for (int p = p0; p < p1; p++) {
        const float *plane = x + (ptrdiff_t)ch * plane_size;
        const int dy = ky * w->dilation_h - w->pad_top, dx = kx * w->dilation_w - w->pad_left;
        const __m256i shift = _mm256_set1_epi32(dx);
        __m256 v0 = zero, v1 = zero;
        for (int r = 0; r < runs; r++) {
          const int iy = rr.oy[r] * w->stride_h + dy;
          if (iy < 0 || iy >= in_h) continue;
          const float *src = plane + (ptrdiff_t)iy * in_w;
          const __m256i c0 = _mm256_add_epi32(column[r][0], shift), c1 = _mm256_add_epi32(column[r][1], shift);
          const __m256i m0 = _mm256_and_si256(in_run[r][0], _mm256_and_si256(_mm256_cmpgt_epi32(c0, none), _mm256_cmpgt_epi32(width, c0)));
          const __m256i m1 = _mm256_and_si256(in_run[r][1], _mm256_and_si256(_mm256_cmpgt_epi32(c1, none), _mm256_cmpgt_epi32(width, c1)));
          if (sw == 1) {
            // Lane c reads src[c0[c]] = src[ox + dx - start + c]: one masked load per eight lanes. Masked
            // lanes are not read, so the base may lie before the row.
            const float *at = src + (rr.ox[r] + dx - rr.start[r]);
            v0 = _mm256_or_ps(v0, _mm256_maskload_ps(at, m0));
            v1 = _mm256_or_ps(v1, _mm256_maskload_ps(at + 8, m1));
          } else {
            v0 = _mm256_or_ps(v0, _mm256_mask_i32gather_ps(zero, src, c0, _mm256_castsi256_ps(m0), 4));
            v1 = _mm256_or_ps(v1, _mm256_mask_i32gather_ps(zero, src, c1, _mm256_castsi256_ps(m1), 4));
          }
        }
        float *row = d + (size_t)(p - p0) * NR;
        _mm256_storeu_ps(row, v0);
        _mm256_storeu_ps(row + 8, v1);
        if (++kx == w->k_w) {
          kx = 0;
          if (++ky == w->k_h) ky = 0, ch++;
        }
      }
    })
  }
}

void simlay_gemm_pack_b_im2col(const float *x, int channels, const simlay_window *w, int j0, int n, float *dst) {
  (use_avx2() ? pack_b_im2col_avx2 : simlay_gemm_pack_b_im2col_plain)(x, channels, w, j0, n, dst);
}

static inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// The plain tile, for CPUs without AVX2 and FMA, continuing the sums in t.
static void tile_plain(int k, const float *a, const float *b, float t[MR][NR]) {
  for (int p = 0; p < k; p++, a += MR, b += NR)
    for (int r = 0; r < MR; r++)
      for (int c = 0; c < NR; c++) t[r][c] += a[r] * b[c];
}

// max(lo, v) then min(hi, v) with the bound as the first operand keeps a NaN, as clampf does.
#define CLAMP(v) _mm256_min_ps(vhi, _mm256_max_ps(vlo, v))
#define LOAD(r)                                                                                    \
  if (!first && r < mr && rows[r]) {                                                               \
    c##r##0 = nr == NR ? _mm256_loadu_ps(rows[r]) : _mm256_maskload_ps(rows[r], m0);                \
    c##r##1 = nr == NR ? _mm256_loadu_ps(rows[r] + 8) : _mm256_maskload_ps(rows[r] + 8, m1);        \
  }
#define ROW(r)                                                                                     \
  if (r < mr && rows[r]) {                                                                         \
    __m256 v0 = c##r##0, v1 = c##r##1;                                                             \
    if (last) {                                                                                    \
      const __m256 bias = _mm256_set1_ps(rb[r]);                                                   \
      v0 = CLAMP(_mm256_add_ps(_mm256_add_ps(v0, bias), cb0));                                     \
      v1 = CLAMP(_mm256_add_ps(_mm256_add_ps(v1, bias), cb1));                                     \
    }                                                                                              \
    if (nr == NR) {                                                                                \
      _mm256_storeu_ps(rows[r], v0);                                                               \
      _mm256_storeu_ps(rows[r] + 8, v1);                                                           \
    } else {                                                                                       \
      _mm256_maskstore_ps(rows[r], m0, v0);                                                        \
      _mm256_maskstore_ps(rows[r] + 8, m1, v1);                                                    \
    }                                                                                              \
  }

// The 6x16 micro-kernel: twelve accumulators, two loads of B and six broadcasts of A per step of depth.
// A depth block after the first continues from the sums stored in C (a float stored and loaded is exact,
// so blocking the depth does not change the result); the last adds the biases and clamps. Adding biases
// after the whole sum, not starting from them, keeps the sum the reference's.
// B is packed (off NULL: row p of the panel at b + p * NR) or read in place (row p at b + off[p]); the
// wrappers below fix which, so each compiles without the test.
AVX2 static inline __attribute__((always_inline)) void tile_avx2_any(int k, const float *a, const float *b,
                                                                     const int *off, float *const rows[MR], int mr,
                                                                     int nr, const float *rb, const float *cb,
                                                                     float lo, float hi, int first, int last) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5)
  for (int p = 0; p < k; p++, a += MR) {
    const float *bp = off ? b + off[p] : b + (size_t)p * NR;
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    __m256 x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00), c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10), c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20), c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30), c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40), c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50), c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const __m256 cb0 = _mm256_loadu_ps(cb), cb1 = _mm256_loadu_ps(cb + 8);
  ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
}

AVX2 static void tile_avx2(int k, const float *a, const float *b, float *const rows[MR], int mr, int nr,
                           const float *rb, const float *cb, float lo, float hi, int first, int last) {
  tile_avx2_any(k, a, b, NULL, rows, mr, nr, rb, cb, lo, hi, first, last);
}

AVX2 static void tile_avx2_direct(int k, const float *a, const float *b, const int *off, float *const rows[MR], int mr,
                                  int nr, const float *rb, const float *cb, float lo, float hi, int first, int last) {
  tile_avx2_any(k, a, b, off, rows, mr, nr, rb, cb, lo, hi, first, last);
}

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

static atomic_int wide_off;  // test hook: simlay_gemm_use_wide_tiles(0)

static int use_avx512(void) { return simlay_cpu_avx512() && !atomic_load_explicit(&wide_off, memory_order_relaxed); }

int simlay_gemm_use_wide_tiles(int on) {
  atomic_store(&wide_off, !on);
  return simlay_cpu_avx512();
}

#define CLAMP512(v) _mm512_min_ps(vhi, _mm512_max_ps(vlo, v))
#define LOAD512(r)                                                      \
  if (!first && r < mr && rows[r]) {                                    \
    c##r##0 = _mm512_maskz_loadu_ps(m0, rows[r]);                       \
    if (two) c##r##1 = _mm512_maskz_loadu_ps(m1, rows[r] + 16);         \
  }
#define ROW512(r)                                                                  \
  if (r < mr && rows[r]) {                                                         \
    __m512 v0 = c##r##0, v1 = c##r##1;                                             \
    if (last) {                                                                    \
      const __m512 bias = _mm512_set1_ps(rb[r]);                                   \
      v0 = CLAMP512(_mm512_add_ps(_mm512_add_ps(v0, bias), cb0));                  \
      v1 = CLAMP512(_mm512_add_ps(_mm512_add_ps(v1, bias), cb1));                  \
    }                                                                              \
    _mm512_mask_storeu_ps(rows[r], m0, v0);                                        \
    if (two) _mm512_mask_storeu_ps(rows[r] + 16, m1, v1);                          \
  }

// Two panels of B at once (6 x 32, twelve 512-bit accumulators): the same multiply-adds in the same order
// as two calls of the 6x16 tile, so the same bits, with half the instructions per multiply-add (on a Zen 4,
// whose 512-bit units are 256 bits wide, what is saved is issue bandwidth, not arithmetic). The second
// panel is at b2 (packed) or 16 floats after the first (read in place). With `two` 0 (a constant in each
// wrapper) only the first panel: the odd panel out of a unit, which the 6x16 AVX2 tile had run at half the
// width (5% of an EfficientNet-Lite0 14x14 block's samples: 196 columns are 6 pairs and one panel).
AVX512 static inline __attribute__((always_inline)) void tile_avx512_any(int k, const float *a, const float *b,
                                                                         const float *b2, const int *off,
                                                                         float *const rows[MR], int mr, int nr,
                                                                         const float *rb, const float *cb, float lo,
                                                                         float hi, int first, int last, int two) {
  const __mmask16 m0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? (__mmask16)0xffff : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1);
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  LOAD512(0) LOAD512(1) LOAD512(2) LOAD512(3) LOAD512(4) LOAD512(5)
  for (int p = 0; p < k; p++, a += MR) {
    const float *bp = off ? b + off[p] : b + (size_t)p * NR;
    const __m512 b0 = _mm512_loadu_ps(bp);
    if (two) {
      const __m512 b1 = _mm512_loadu_ps(off ? bp + NR : b2 + (size_t)p * NR);
      __m512 x = _mm512_set1_ps(a[0]);
      c00 = _mm512_fmadd_ps(x, b0, c00), c01 = _mm512_fmadd_ps(x, b1, c01);
      x = _mm512_set1_ps(a[1]);
      c10 = _mm512_fmadd_ps(x, b0, c10), c11 = _mm512_fmadd_ps(x, b1, c11);
      x = _mm512_set1_ps(a[2]);
      c20 = _mm512_fmadd_ps(x, b0, c20), c21 = _mm512_fmadd_ps(x, b1, c21);
      x = _mm512_set1_ps(a[3]);
      c30 = _mm512_fmadd_ps(x, b0, c30), c31 = _mm512_fmadd_ps(x, b1, c31);
      x = _mm512_set1_ps(a[4]);
      c40 = _mm512_fmadd_ps(x, b0, c40), c41 = _mm512_fmadd_ps(x, b1, c41);
      x = _mm512_set1_ps(a[5]);
      c50 = _mm512_fmadd_ps(x, b0, c50), c51 = _mm512_fmadd_ps(x, b1, c51);
    } else {
      c00 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), b0, c00);
      c10 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), b0, c10);
      c20 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), b0, c20);
      c30 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), b0, c30);
      c40 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), b0, c40);
      c50 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), b0, c50);
    }
  }
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512 cb0 = _mm512_loadu_ps(cb), cb1 = two ? _mm512_loadu_ps(cb + 16) : cb0;
  ROW512(0) ROW512(1) ROW512(2) ROW512(3) ROW512(4) ROW512(5)
}

AVX512 static void tile_avx512(int k, const float *a, const float *b, const float *b2, float *const rows[MR], int mr,
                               int nr, const float *rb, const float *cb, float lo, float hi, int first, int last) {
  tile_avx512_any(k, a, b, b2, NULL, rows, mr, nr, rb, cb, lo, hi, first, last, 1);
}

AVX512 static void tile_avx512_one(int k, const float *a, const float *b, float *const rows[MR], int mr, int nr,
                                   const float *rb, const float *cb, float lo, float hi, int first, int last) {
  tile_avx512_any(k, a, b, NULL, NULL, rows, mr, nr, rb, cb, lo, hi, first, last, 0);
}

AVX512 static void tile_avx512_direct(int k, const float *a, const float *b, const int *off, float *const rows[MR],
                                      int mr, int nr, const float *rb, const float *cb, float lo, float hi, int first,
                                      int last) {
  tile_avx512_any(k, a, b, NULL, off, rows, mr, nr, rb, cb, lo, hi, first, last, 1);
}

AVX512 static void tile_avx512_one_direct(int k, const float *a, const float *b, const int *off,
                                          float *const rows[MR], int mr, int nr, const float *rb, const float *cb,
                                          float lo, float hi, int first, int last) {
  tile_avx512_any(k, a, b, NULL, off, rows, mr, nr, rb, cb, lo, hi, first, last, 0);
}

static void tile_portable(int k, const float *a, const float *b, float *const rows[MR], int mr, int nr,
                          const float *rb, const float *cb, float lo, float hi, int first, int last) {
  float t[MR][NR] = {{0}};
  for (int r = 0; r < mr; r++)
    if (!first && rows[r]) memcpy(t[r], rows[r], sizeof(float) * nr);
  tile_plain(k, a, b, t);
  for (int r = 0; r < mr; r++) {
    if (!rows[r]) continue;
    for (int c = 0; c < nr; c++) rows[r][c] = last ? clampf(t[r][c] + rb[r] + cb[c], lo, hi) : t[r][c];
  }
}

// Rows of C for the tiles of one call, found once (not per tile): up to this many on the stack.
#define STACK_ROWS 512

// Both products: B packed (pb, b_panels, b_first) or, with `offsets`, read in place (row p of columns j..
// at pb + offsets[p] + j).
static void gemm(int m, int n, int k, const float *pa, int a_panels, int a_first, const float *pb, int b_panels,
                 int b_first, const int *offsets, float *c, ptrdiff_t ldc, const ptrdiff_t *row_offsets,
                 const simlay_gemm_epilogue *e, int columns_outer) {
  static const float zeros[2 * NR] = {0};
  const int avx2 = use_avx2();
  // Columns in units of two panels for the 6x32 tile where the CPU has it (a unit's odd panel out runs
  // the 6x16 one).
  const int wide = use_avx512() ? 2 : 1;
  const int mp = (m + MR - 1) / MR, np = (n + NR - 1) / NR, units = (np + wide - 1) / wide;
  const int outer = columns_outer ? units : mp, inner = columns_outer ? mp : units;
  const int kc0 = depth_block(k);
  float *stack_rows[STACK_ROWS + MR];
  float **rows = (size_t)mp * MR <= STACK_ROWS ? stack_rows : malloc(sizeof(float *) * (size_t)mp * MR);
  if (!rows) return;
  float *panel = offsets && !avx2 ? malloc(sizeof(float) * KC * NR) : NULL;
  if (offsets && !avx2 && !panel) {
    if (rows != stack_rows) free(rows);
    return;
  }
  for (int i = 0; i < mp * MR; i++) {
    const ptrdiff_t off = i >= m ? -1 : row_offsets ? row_offsets[i] : (ptrdiff_t)i * ldc;
    rows[i] = off < 0 ? NULL : c + off;
  }
  const int row_bias = e->bias && !e->bias_per_column, column_bias = e->bias && e->bias_per_column;
  for (int p0 = 0; p0 < k || p0 == 0; p0 += kc0) {
    const int kc = k - p0 < kc0 ? k - p0 : kc0, first = p0 == 0, last = p0 + kc >= k;
    for (int o = 0; o < outer; o++) {
      for (int q = 0; q < inner; q++) {
        const int ip = columns_outer ? q : o, jp = (columns_outer ? o : q) * wide, pair = wide == 2 && jp + 1 < np;
        const int i0 = ip * MR, j0 = jp * NR, width = pair ? 2 * NR : NR;
        const int mr = m - i0 < MR ? m - i0 : MR, nr = n - j0 < width ? n - j0 : width;
        float *tile_rows[MR];
        for (int r = 0; r < MR; r++) tile_rows[r] = rows[i0 + r] ? rows[i0 + r] + j0 : NULL;
        // Only rows r < mr read their bias, so the last panel's may point past the end.
        const float *rb = row_bias ? e->bias + i0 : zeros;
        float cbuf[2 * NR] = {0};
        const float *cb = zeros;
        if (column_bias) {
          if (nr == width) {
            cb = e->bias + j0;
          } else {
            memcpy(cbuf, e->bias + j0, sizeof(float) * nr);
            cb = cbuf;
          }
        }
        const float *a = pa + (size_t)p0 * a_panels * MR + (size_t)(a_first + ip) * kc * MR;
        if (pair) {
          const float *b = pb + (size_t)p0 * b_panels * NR + (size_t)(b_first + jp) * kc * NR;
          if (offsets) {
            tile_avx512_direct(kc, a, pb + j0, offsets + p0, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
          } else {
            tile_avx512(kc, a, b, b + (size_t)kc * NR, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
          }
          continue;
        }
        if (wide == 2) {
          // The odd panel out (nr <= NR, so the mask m1 is empty).
          if (offsets) {
            tile_avx512_one_direct(kc, a, pb + j0, offsets + p0, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
          } else {
            const float *b = pb + (size_t)p0 * b_panels * NR + (size_t)(b_first + jp) * kc * NR;
            tile_avx512_one(kc, a, b, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
          }
          continue;
        }
        if (offsets && avx2) {
          tile_avx2_direct(kc, a, pb + j0, offsets + p0, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
          continue;
        }
        const float *b = pb + (size_t)p0 * b_panels * NR + (size_t)(b_first + jp) * kc * NR;
        if (offsets) {
          // Without AVX2: the panel copied out, for the plain tile.
          for (int p = 0; p < kc; p++) memcpy(panel + (size_t)p * NR, pb + j0 + offsets[p0 + p], sizeof(float) * NR);
          b = panel;
        }
        (avx2 ? tile_avx2 : tile_portable)(kc, a, b, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
      }
    }
    if (k == 0) break;
  }
  if (rows != stack_rows) free(rows);
  free(panel);
  if (e->kind == SIMLAY_ACT_IDENTITY) return;
  for (int i = 0; i < m; i++) {
    const ptrdiff_t off = row_offsets ? row_offsets[i] : (ptrdiff_t)i * ldc;
    if (off >= 0) simlay_activation(c + off, c + off, (size_t)n, e->kind, e->alpha, e->beta);
  }
}

void simlay_gemm_packed(int m, int n, int k, const float *pa, int a_panels, int a_first, const float *pb, int b_panels,
                        int b_first, float *c, ptrdiff_t ldc, const ptrdiff_t *row_offsets,
                        const simlay_gemm_epilogue *e, int columns_outer) {
  gemm(m, n, k, pa, a_panels, a_first, pb, b_panels, b_first, NULL, c, ldc, row_offsets, e, columns_outer);
}

void simlay_gemm_packed_direct(int m, int n, int k, const float *pa, int a_panels, int a_first, const float *b,
                               const int *offsets, float *c, ptrdiff_t ldc, const simlay_gemm_epilogue *e) {
  gemm(m, n, k, pa, a_panels, a_first, b, 0, 0, offsets, c, ldc, NULL, e, 1);
}

// C's one column when B has one (n = 1): a squeeze-and-excitation's 1x1 convolutions on a pooled vector. The
// tiles packed the column into a 16-wide panel and computed 16 lanes for it (MobileNetV3-Large, 1 thread:
// 1.05 ms of a 7.6 ms pass in those convolutions). Here a panel's 6 weights per depth step are one load,
// GEMV_PANELS panels at once for independent sums (one at a time was bound by the multiply-add's latency),
// and each sum is the tiles' own (one fused multiply-add per depth step from zero, in order, then the bias
// and the clamp), so the same bits as the tiles.
#define GEMV_PANELS 8
AVX2 static void gemv_avx2(int mp, int k, const float *pa, int a_panels, int a_first, const float *x, float *sums) {
  const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  const int kc0 = depth_block(k);
  for (int q0 = 0; q0 < mp; q0 += GEMV_PANELS) {
    const int count = mp - q0 < GEMV_PANELS ? mp - q0 : GEMV_PANELS;
    __m256 acc[GEMV_PANELS];
    for (int u = 0; u < GEMV_PANELS; u++) acc[u] = _mm256_setzero_ps();
    for (int p0 = 0; p0 < k; p0 += kc0) {
      const int kc = k - p0 < kc0 ? k - p0 : kc0;
      const float *a = pa + (size_t)p0 * a_panels * MR + (size_t)(a_first + q0) * kc * MR;
      const size_t step = (size_t)kc * MR;
      if (count == GEMV_PANELS) {
        // Lanes 6 and 7 of a plain load are the next step's weights, summed and dropped; only a panel's
        // last step, whose next floats may be past the buffer, needs the masked load.
        for (int p = 0; p + 1 < kc; p++) {
          const __m256 v = _mm256_broadcast_ss(x + p0 + p);
          const float *ap = a + (size_t)p * MR;
          for (int u = 0; u < GEMV_PANELS; u++) acc[u] = _mm256_fmadd_ps(_mm256_loadu_ps(ap + u * step), v, acc[u]);
        }
        if (kc > 0) {
          const __m256 v = _mm256_broadcast_ss(x + p0 + kc - 1);
          const float *ap = a + (size_t)(kc - 1) * MR;
          for (int u = 0; u < GEMV_PANELS; u++)
            acc[u] = _mm256_fmadd_ps(_mm256_maskload_ps(ap + u * step, six), v, acc[u]);
        }
      } else {
        for (int p = 0; p < kc; p++) {
          const __m256 v = _mm256_broadcast_ss(x + p0 + p);
          for (int u = 0; u < count; u++)
            acc[u] = _mm256_fmadd_ps(_mm256_maskload_ps(a + u * step + (size_t)p * MR, six), v, acc[u]);
        }
      }
    }
    for (int u = 0; u < count; u++) {
      float lanes[8];
      _mm256_storeu_ps(lanes, acc[u]);
      memcpy(sums + (size_t)(q0 + u) * MR, lanes, sizeof(float) * MR);
    }
  }
}

// The same sums as tile_plain's, for CPUs without AVX2 and FMA.
static void gemv_plain(int mp, int k, const float *pa, int a_panels, int a_first, const float *x, float *sums) {
  const int kc0 = depth_block(k);
  for (int q = 0; q < mp; q++) {
    float t[MR] = {0};
    for (int p0 = 0; p0 < k; p0 += kc0) {
      const int kc = k - p0 < kc0 ? k - p0 : kc0;
      const float *a = pa + (size_t)p0 * a_panels * MR + (size_t)(a_first + q) * kc * MR;
      for (int p = 0; p < kc; p++, a += MR)
        for (int r = 0; r < MR; r++) t[r] += a[r] * x[p0 + p];
    }
    memcpy(sums + (size_t)q * MR, t, sizeof(t));
  }
}

void simlay_gemv_packed(int m, int k, const float *pa, int a_panels, int a_first, const float *x, float *y,
                        ptrdiff_t ldy, const simlay_gemm_epilogue *e) {
  enum { PANELS = 64 };
  float sums[PANELS * MR];
  const int row_bias = e->bias && !e->bias_per_column;
  for (int i0 = 0; i0 < m; i0 += PANELS * MR) {
    const int rows = m - i0 < PANELS * MR ? m - i0 : PANELS * MR, mp = (rows + MR - 1) / MR;
    (use_avx2() ? gemv_avx2 : gemv_plain)(mp, k, pa, a_panels, a_first + i0 / MR, x, sums);
    for (int r = 0; r < rows; r++) {
      // The tile's (sum + row bias) + column bias (zero here), then its clamp and function.
      float *out = y + (ptrdiff_t)(i0 + r) * ldy;
      *out = clampf((sums[r] + (row_bias ? e->bias[i0 + r] : 0.0f)) + 0.0f, e->lo, e->hi);
      if (e->kind != SIMLAY_ACT_IDENTITY) simlay_activation(out, out, 1, e->kind, e->alpha, e->beta);
    }
  }
}

// A window's im2col matrix read in place. With stride 1, over planes zero-padded to ph x pw (the output's
// rows and columns plus the kernel's extent), column j = oy * pw + ox of row p = (c, ky, kx) is
// padded[c][oy + ky dh][ox + kx dw] = padded[offsets[p] + j]. A stride s splits each padded plane into
// s_h x s_w phase planes, phase (a, b) holding the padded rows s y + a and columns s x + b: the tap at
// padded row s oy + ky dh is row oy + (ky dh) / s of phase (ky dh) % s, again a plane shifted by a constant,
// so any stride and dilation reads in place. The columns ox >= out_w of each row are the seam between rows,
// computed and then dropped: on a 56-wide map 2 in 58, against a pack of every value (14% of a ResNet-18
// pass; the stride-2 stem's gathers took 5% of EfficientNet-Lite0's).
static int direct_height(const simlay_window *w) { return w->out_h + (w->dilation_h * (w->k_h - 1)) / w->stride_h; }
static int direct_width(const simlay_window *w) { return w->out_w + (w->dilation_w * (w->k_w - 1)) / w->stride_w; }
static size_t direct_plane(const simlay_window *w) { return (size_t)direct_height(w) * (size_t)direct_width(w); }

size_t simlay_direct_padded_count(const simlay_window *w, int channels) {
  // 2 NR floats of slack: a last partial pair of panels' loads run up to 2 NR - 1 floats past the last column.
  return (size_t)channels * (size_t)(w->stride_h * w->stride_w) * direct_plane(w) + 2 * NR;
}

// Up to the last row's last output column: a panel's loads then stay within the planes and the slack.
size_t simlay_direct_columns(const simlay_window *w) {
  return w->out_h == 0 ? 0 : (size_t)(w->out_h - 1) * (size_t)direct_width(w) + (size_t)w->out_w;
}

void simlay_direct_pad(const float *x, int c0, int c1, const simlay_window *w, float *dst) {
  const int qh = direct_height(w), qw = direct_width(w), sh = w->stride_h, sw = w->stride_w;
  for (int ch = c0; ch < c1; ch++) {
    const float *plane = x + (ptrdiff_t)ch * w->in_h * w->in_w;
    for (int a = 0; a < sh; a++) {
      for (int b = 0; b < sw; b++) {
        float *out = dst + ((size_t)(ch * sh + a) * sw + b) * direct_plane(w);
        // Phase column x holds input column x sw + b - pad_left: inside the image for x in [lo, hi).
        const int first = w->pad_left - b, lo = first > 0 ? (first + sw - 1) / sw : 0;
        int hi = (w->in_w + w->pad_left - b + sw - 1) / sw;
        if (hi > qw) hi = qw;
        for (int y = 0; y < qh; y++) {
          float *row = out + (ptrdiff_t)y * qw;
          const int iy = y * sh + a - w->pad_top;
          if (iy < 0 || iy >= w->in_h || lo >= hi) {
            memset(row, 0, sizeof(float) * (size_t)qw);
            continue;
          }
          const float *src = plane + (ptrdiff_t)iy * w->in_w + (b - w->pad_left);
          memset(row, 0, sizeof(float) * (size_t)lo);
          if (sw == 1) {
            memcpy(row + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
          } else {
            for (int x = lo; x < hi; x++) row[x] = src[(ptrdiff_t)x * sw];
          }
          memset(row + hi, 0, sizeof(float) * (size_t)(qw - hi));
        }
      }
    }
  }
}

void simlay_direct_offsets(int channels, const simlay_window *w, int *offsets) {
  const int qw = direct_width(w), sh = w->stride_h, sw = w->stride_w;
  const size_t plane = direct_plane(w);
  int p = 0;
  for (int ch = 0; ch < channels; ch++)
    for (int ky = 0; ky < w->k_h; ky++)
      for (int kx = 0; kx < w->k_w; kx++) {
        const int ty = ky * w->dilation_h, tx = kx * w->dilation_w;
        const size_t phase = ((size_t)(ch * sh + ty % sh) * sw + tx % sw) * plane;
        offsets[p++] = (int)(phase + (size_t)(ty / sh) * qw + (size_t)(tx / sw));
      }
}

int simlay_direct_width(const simlay_window *w) { return direct_width(w); }

void simlay_direct_compact(const float *t, ptrdiff_t ldt, int c0, int c1, int oy0, int oy1, const simlay_window *w,
                           float *y) {
  const int qw = direct_width(w);
  for (int ch = c0; ch < c1; ch++)
    for (int oy = oy0; oy < oy1; oy++)
      memcpy(y + ((ptrdiff_t)ch * w->out_h + oy) * w->out_w, t + ch * ldt + (ptrdiff_t)(oy - oy0) * qw,
             sizeof(float) * (size_t)w->out_w);
}
