// Reductions over planes (global pooling). Plain loops with explicit independent accumulators, which the
// compiler vectorises (a single running sum is one dependent chain of adds: 12544-cell planes took
// ~12 us each, GlobalAveragePool 2.1 ms of EfficientNet-B0's pass).
#include "simlay_kernels.h"

#define SIMLAY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// 16 float lanes over blocks of 256 (16 values per lane, a relative error of ~1e-6 at most), blocks
// summed in double: planes of hundreds of thousands of cells summed in float alone drift by more.
SIMLAY_CLONES void simlay_plane_means(const float *restrict x, int planes, ptrdiff_t size, float *restrict y) {
  for (int p = 0; p < planes; p++) {
    const float *s = x + (ptrdiff_t)p * size;
    double total = 0;
    ptrdiff_t i = 0;
    for (; i + 256 <= size; i += 256) {
      float acc[16] = {0};
      for (int j = 0; j < 256; j += 16)
        for (int l = 0; l < 16; l++) acc[l] += s[i + j + l];
      double block = 0;
      for (int l = 0; l < 16; l++) block += (double)acc[l];
      total += block;
    }
    for (; i < size; i++) total += (double)s[i];
    y[p] = (float)(total / (double)size);
  }
}
