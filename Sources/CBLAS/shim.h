// OpenBLAS's cblas.h (Debian: libopenblas-dev) also declares openblas_set_num_threads, which the engine uses
// to give the GEMM the same thread budget as its own kernels.
#include <cblas.h>

#include <stddef.h>

// LAPACK's symmetric eigensolver (MRRR, selected eigenpairs), which OpenBLAS bundles: the PCA view takes the
// top k eigenvectors of a layer's D x D covariance with it (D up to 1280; the Jacobi sweeps NMF uses for its
// small matrices are O(D^3) per sweep). Declared here because Debian's lapack.h comes from another package.
// The trailing lengths are the Fortran ABI's hidden string lengths (each 1).
void ssyevr_(const char *jobz, const char *range, const char *uplo, const int *n, float *a, const int *lda,
             const float *vl, const float *vu, const int *il, const int *iu, const float *abstol, int *m, float *w,
             float *z, const int *ldz, int *isuppz, float *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t range_len, size_t uplo_len);
