#include "simlay_kernels.h"

#define SIMLAY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// y[r] = a[r, :] . x for a row-major [rows, cols] matrix. A plain loop is what matters for the hover path, where OpenBLAS's per-call overhead on small
// matrices (one per image) outweighed the arithmetic.
SIMLAY_CLONES void simlay_matvec_rows(const float *restrict a, int rows, int cols, const float *restrict x,
                                      float *restrict y) {
  int r = 0;
  // Four rows at a time share each load of x.
  for (; r + 4 <= rows; r += 4) {
    const float *r0 = a + (ptrdiff_t)r * cols, *r1 = r0 + cols, *r2 = r1 + cols, *r3 = r2 + cols;
    float a0[16] = {0}, a1[16] = {0}, a2[16] = {0}, a3[16] = {0};
    int c = 0;
    for (; c + 16 <= cols; c += 16) {
      for (int j = 0; j < 16; j++) {
        const float v = x[c + j];
        a0[j] += r0[c + j] * v;
        a1[j] += r1[c + j] * v;
        a2[j] += r2[c + j] * v;
        a3[j] += r3[c + j] * v;
      }
    }
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int j = 0; j < 16; j++) { s0 += a0[j]; s1 += a1[j]; s2 += a2[j]; s3 += a3[j]; }
    for (; c < cols; c++) { s0 += r0[c] * x[c]; s1 += r1[c] * x[c]; s2 += r2[c] * x[c]; s3 += r3[c] * x[c]; }
    y[r] = s0; y[r + 1] = s1; y[r + 2] = s2; y[r + 3] = s3;
  }
  for (; r < rows; r++) {
    const float *row = a + (ptrdiff_t)r * cols;
    float acc[16] = {0};
    int c = 0;
    for (; c + 16 <= cols; c += 16) {
      for (int j = 0; j < 16; j++) acc[j] += row[c + j] * x[c + j];
    }
    float s = 0;
    for (int j = 0; j < 16; j++) s += acc[j];
    for (; c < cols; c++) s += row[c] * x[c];
    y[r] = s;
  }
}

// y[i] = sum_d x[d] * a[d, i] for a channel-major [depth, cells] matrix: for few channels (say 40 over
// 784 cells) the row dot products would be too short to vectorise, while these AXPYs run the full width.
SIMLAY_CLONES void simlay_matvec_columns(const float *restrict a, int cells, int depth, const float *restrict x,
                                         float *restrict y) {
  int i0 = 0;
  // 64 cells' sums stay in registers across all channels: one load per multiply-add, one store per cell.
  for (; i0 + 64 <= cells; i0 += 64) {
    float acc[64] = {0};
    for (int d = 0; d < depth; d++) {
      const float *p = a + (ptrdiff_t)d * cells + i0;
      const float k = x[d];
      for (int j = 0; j < 64; j++) acc[j] += k * p[j];
    }
    for (int j = 0; j < 64; j++) y[i0 + j] = acc[j];
  }
  for (int i = i0; i < cells; i++) y[i] = 0;
  for (int d = 0; d < depth && i0 < cells; d++) {
    const float *p = a + (ptrdiff_t)d * cells;
    const float k = x[d];
    for (int i = i0; i < cells; i++) y[i] += k * p[i];
  }
}
