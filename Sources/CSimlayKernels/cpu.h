// What the CPU runs, asked once per translation unit: the kernels that pick an intrinsic path at run time
// (gemm.c, depthwise.c). Not part of the public header.
#ifndef SIMLAY_CPU_H
#define SIMLAY_CPU_H

static inline int simlay_cpu_avx2(void) {
  static int cached = -1;
  if (cached < 0) cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cached;
}

static inline int simlay_cpu_avx512(void) {
  static int cached = -1;
  if (cached < 0) cached = simlay_cpu_avx2() && __builtin_cpu_supports("avx512f");
  return cached;
}

#endif
