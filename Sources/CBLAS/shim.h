// OpenBLAS's cblas.h (Debian: libopenblas-dev) also declares openblas_set_num_threads, which the engine uses
// to give the GEMM the same thread budget as its own kernels.
#include <cblas.h>
