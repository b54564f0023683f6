#include "approx.h"
#include "simlay_kernels.h"

// See approx.h for the approximation and its measured error. Built per instruction set like the other
// kernels: the baseline SSE2 loop runs 4 lanes, AVX2 8.
#define SIMLAY_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

SIMLAY_CLONES void simlay_erf(const float *restrict x, float *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = simlay_erf_approx(x[i]);
}

SIMLAY_CLONES void simlay_gelu(const float *restrict x, float *restrict y, size_t n) {
  const float r = 0.70710678118654752f;
  for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + simlay_erf_approx(x[i] * r));
}
