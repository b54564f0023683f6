#include "simlay_kernels.h"

#include <immintrin.h>
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

void simlay_gemm_pack_a(const float *a, ptrdiff_t rs, ptrdiff_t ks, int m, int k, float *dst) {
  for (int i0 = 0; i0 < m; i0 += MR, dst += (size_t)MR * k) {
    const int mr = m - i0 < MR ? m - i0 : MR;
    if (mr < MR) memset(dst, 0, sizeof(float) * MR * (size_t)k);
    if (rs == 1) {
      // A constant size when the panel is full: the copy is inlined (a libc call per 24 bytes cost 4% of a pass).
      if (mr == MR) {
        for (int p = 0; p < k; p++) memcpy(dst + (size_t)p * MR, a + (ptrdiff_t)p * ks + i0, sizeof(float) * MR);
      } else {
        for (int p = 0; p < k; p++) memcpy(dst + (size_t)p * MR, a + (ptrdiff_t)p * ks + i0, sizeof(float) * mr);
      }
    } else {
      for (int r = 0; r < mr; r++) {
        const float *row = a + (ptrdiff_t)(i0 + r) * rs;
        for (int p = 0; p < k; p++) dst[(size_t)p * MR + r] = row[(ptrdiff_t)p * ks];
      }
    }
  }
}

#define AVX2 __attribute__((target("avx2,fma")))

static int use_avx2(void) {
  static int cached = -1;
  if (cached < 0) cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cached;
}

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

// A full panel of 16 columns of a B whose columns are contiguous (a channels-last map): 8x8 transposes. A
// scalar gather here took as long as the product itself for the 24-channel projections.
AVX2 static int pack_b_columns_avx2(const float *b, ptrdiff_t cs, int k, float *dst) {
  int p = 0;
  for (; p + 8 <= k; p += 8) {
    transpose8(b + p, cs, dst + (size_t)p * NR, NR);
    transpose8(b + 8 * cs + p, cs, dst + (size_t)p * NR + 8, NR);
  }
  return p;
}

void simlay_gemm_pack_b(const float *b, ptrdiff_t ks, ptrdiff_t cs, int k, int n, float *dst) {
  const int avx2 = use_avx2();
  for (int j0 = 0; j0 < n; j0 += NR, dst += (size_t)NR * k) {
    const int nr = n - j0 < NR ? n - j0 : NR;
    if (nr < NR) memset(dst, 0, sizeof(float) * NR * (size_t)k);
    if (ks == 1 && nr == NR && avx2) {
      const float *col = b + (ptrdiff_t)j0 * cs;
      for (int p = pack_b_columns_avx2(col, cs, k, dst); p < k; p++)
        for (int c = 0; c < NR; c++) dst[(size_t)p * NR + c] = col[(ptrdiff_t)c * cs + p];
    } else if (cs == 1) {
      if (nr == NR) {
        for (int p = 0; p < k; p++) memcpy(dst + (size_t)p * NR, b + (ptrdiff_t)p * ks + j0, sizeof(float) * NR);
      } else {
        for (int p = 0; p < k; p++) memcpy(dst + (size_t)p * NR, b + (ptrdiff_t)p * ks + j0, sizeof(float) * nr);
      }
    } else {
      for (int c = 0; c < nr; c++) {
        const float *col = b + (ptrdiff_t)(j0 + c) * cs;
        for (int p = 0; p < k; p++) dst[(size_t)p * NR + c] = col[(ptrdiff_t)p * ks];
      }
    }
  }
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
AVX2 static void tile_avx2(int k, const float *a, const float *b, float *const rows[MR], int mr, int nr,
                           const float *rb, const float *cb, float lo, float hi, int first, int last) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5)
  for (int p = 0; p < k; p++, a += MR, b += NR) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
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

// Depth per block: a panel of A (6 x 512 floats, 12 KB) and one of B (32 KB) stay in L1/L2 while a tile
// sums them.
#define KC 512

// Rows of C for the tiles of one call, found once (not per tile): up to this many on the stack.
#define STACK_ROWS 512

void simlay_gemm_packed(int m, int n, int k, const float *pa, const float *pb, float *c, ptrdiff_t ldc,
                        const ptrdiff_t *row_offsets, const simlay_gemm_epilogue *e, int columns_outer) {
  static const float zeros[NR] = {0};
  const int avx2 = use_avx2();
  const int mp = (m + MR - 1) / MR, np = (n + NR - 1) / NR;
  const int outer = columns_outer ? np : mp, inner = columns_outer ? mp : np;
  const int blocks = (k + KC - 1) / KC, kc0 = blocks > 0 ? (k + blocks - 1) / blocks : 0;
  float *stack_rows[STACK_ROWS + MR];
  float **rows = (size_t)mp * MR <= STACK_ROWS ? stack_rows : malloc(sizeof(float *) * (size_t)mp * MR);
  if (!rows) return;
  for (int i = 0; i < mp * MR; i++) {
    const ptrdiff_t off = i >= m ? -1 : row_offsets ? row_offsets[i] : (ptrdiff_t)i * ldc;
    rows[i] = off < 0 ? NULL : c + off;
  }
  const int row_bias = e->bias && !e->bias_per_column, column_bias = e->bias && e->bias_per_column;
  for (int p0 = 0; p0 < k || p0 == 0; p0 += kc0) {
    const int kc = k - p0 < kc0 ? k - p0 : kc0, first = p0 == 0, last = p0 + kc >= k;
    for (int o = 0; o < outer; o++) {
      for (int q = 0; q < inner; q++) {
        const int ip = columns_outer ? q : o, jp = columns_outer ? o : q;
        const int i0 = ip * MR, j0 = jp * NR;
        const int mr = m - i0 < MR ? m - i0 : MR, nr = n - j0 < NR ? n - j0 : NR;
        float *tile_rows[MR];
        for (int r = 0; r < MR; r++) tile_rows[r] = rows[i0 + r] ? rows[i0 + r] + j0 : NULL;
        // Only rows r < mr read their bias, so the last panel's may point past the end.
        const float *rb = row_bias ? e->bias + i0 : zeros;
        float cbuf[NR] = {0};
        const float *cb = zeros;
        if (column_bias) {
          if (nr == NR) {
            cb = e->bias + j0;
          } else {
            memcpy(cbuf, e->bias + j0, sizeof(float) * nr);
            cb = cbuf;
          }
        }
        const float *a = pa + ((size_t)ip * k + p0) * MR, *b = pb + ((size_t)jp * k + p0) * NR;
        (avx2 ? tile_avx2 : tile_portable)(kc, a, b, tile_rows, mr, nr, rb, cb, e->lo, e->hi, first, last);
      }
    }
    if (k == 0) break;
  }
  if (rows != stack_rows) free(rows);
  if (e->kind == SIMLAY_ACT_IDENTITY) return;
  for (int i = 0; i < m; i++) {
    const ptrdiff_t off = row_offsets ? row_offsets[i] : (ptrdiff_t)i * ldc;
    if (off >= 0) simlay_activation(c + off, c + off, (size_t)n, e->kind, e->alpha, e->beta);
  }
}
