// Hot loops of the engine, in C so that the compiler's vectoriser sees plain restrict-qualified loops, and
// built in several variants (AVX-512, AVX2+FMA, baseline) selected at load time by the CPU.
#ifndef SIMLAY_KERNELS_H
#define SIMLAY_KERNELS_H

#include <stddef.h>

/// Geometry of a 2-D window over one plane (same meaning as the engine's Window2D).
typedef struct {
  int in_h, in_w, k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, out_h, out_w;
} simlay_window;

/// Floats of scratch memory simlay_depthwise_plane needs for this window.
size_t simlay_depthwise_scratch(const simlay_window *w);

/// One channel of a depthwise convolution: y = clamp(bias + sum of taps * x, lo, hi).
/// `scratch` holds simlay_depthwise_scratch(w) floats.
void simlay_depthwise_plane(const float *x, const float *weights, float bias, const simlay_window *w,
                            float lo, float hi, float *y, float *scratch);

/// Max pooling of one plane (windows with no tap inside the image give -inf; NaN inputs are skipped).
/// `scratch` holds in_w floats.
void simlay_max_pool_plane(const float *x, const simlay_window *w, float *y, float *scratch);

/// Floats of scratch memory simlay_depthwise_hwc needs.
size_t simlay_depthwise_hwc_scratch(const simlay_window *w, int channels);

/// Depthwise convolution of `channels` consecutive planes at once, vectorised across channels: the planes
/// are transposed to channels-last, which suits small planes (7x7, 14x14) where per-plane overheads
/// dominate. `weights` is laid out [taps][weight_stride] (the first `channels` columns used); `bias` may be
/// NULL.
void simlay_depthwise_hwc(const float *x, int channels, const float *weights, int weight_stride, const float *bias,
                          const simlay_window *w, float lo, float hi, float *y, float *scratch);

/// Floats of a zero-padded channels-last copy of the window's input ([padded_h][padded_w][channels]).
size_t simlay_hwc_padded_count(const simlay_window *w, int channels);

/// Rows of the padded copy (padded_h).
int simlay_hwc_padded_rows(const simlay_window *w);

/// Columns of the padded copy (padded_w).
size_t simlay_hwc_padded_width(const simlay_window *w);

/// Zeroes the border cells (those outside the input) of rows py0..<py1 of `padded`, for a producer that
/// writes the interior cells itself.
void simlay_hwc_zero_border(float *padded, int channels, const simlay_window *w, int py0, int py1);

/// Test hook, for the calling thread only: whether channels-last depthwise may use its 8-cell AVX-512
/// kernel (on by default where the CPU has AVX-512F; off runs the blocks AVX2 machines use); returns whether
/// the CPU has it.
int simlay_depthwise_use_wide_cells(int on);

/// Output rows oy0..<oy1 of a channels-last depthwise convolution over a padded input (see
/// simlay_hwc_zero_border) into out ([out_h*out_w][channels]). `weights` is [taps][ldw].
void simlay_depthwise_hwc_rows(const float *padded, int channels, const float *weights, int ldw, const float *bias,
                               const simlay_window *w, float lo, float hi, int oy0, int oy1, float *out);

/// For each of `channels` planes of `size` floats: y = clamp(y + bias[c], lo, hi); bias may be NULL.
void simlay_bias_clamp(float *y, int channels, ptrdiff_t size, const float *bias, float lo, float hi);

/// y[p] = the mean of plane p, for `planes` consecutive planes of `size` floats (float lanes, double blocks).
void simlay_plane_means(const float *x, int planes, ptrdiff_t size, float *y);

/// y[r] = a[r, :] . x for a row-major [rows, cols] matrix.
void simlay_matvec_rows(const float *a, int rows, int cols, const float *x, float *y);

/// y[i] = sum over d of x[d] * a[d, i] for a channel-major [depth, cells] matrix.
void simlay_matvec_columns(const float *a, int cells, int depth, const float *x, float *y);

/// Runs fn(ctx, i) for i in 0..<count (chunks) on at most `threads` threads: the calling thread and
/// persistent pool workers claim chunks one at a time from a shared counter, so a worker that is slow to
/// wake (descheduled on a busy machine) only delays a chunk it actually claimed. Idle workers spin ~30 us,
/// then sleep. One job at a time: a concurrent or nested caller runs its chunks inline. `stall_us` > 0 is a
/// test hook: the first chunk a worker (not the caller) claims sleeps that long before running.
void simlay_parallel_for_threads(int count, int threads, int stall_us, void (*fn)(void *ctx, int index), void *ctx);

/// simlay_parallel_for_threads with one thread per chunk and no stall.
void simlay_parallel_for(int count, void (*fn)(void *ctx, int index), void *ctx);

/// Test hook: how many stalls (see simlay_parallel_for_threads) workers have performed in this process.
int simlay_pool_stall_count(void);

/// Test hook: how many times the pool, finding its loops waiting on descheduled workers, has fallen back
/// to running loops on the calling thread alone for a while.
int simlay_pool_fallback_count(void);

/// Of the chunks of the loops the workers were offered (not those run inline), the fraction workers ran:
/// about (threads - 1) / threads when they keep up, near 0 when they are asleep or descheduled.
double simlay_pool_worker_share(void);

/// erf of n floats by a rational approximation (|error| < 5e-7), vectorised; y may not alias x.
void simlay_erf(const float *x, float *y, size_t n);

/// Gelu, 0.5 x (1 + erf(x / sqrt 2)), of n floats with the same erf; y may not alias x.
void simlay_gelu(const float *x, float *y, size_t n);

/// Functions of simlay_activation and simlay_bias_activation (`kind`); alpha and beta are their parameters.
#define SIMLAY_ACT_IDENTITY 0    /* x */
#define SIMLAY_ACT_CLIP 1        /* min(max(x, alpha), beta) */
#define SIMLAY_ACT_LEAKY 2       /* x >= 0 ? x : alpha x */
#define SIMLAY_ACT_SIGMOID 3     /* 1 / (1 + exp(-x)) */
#define SIMLAY_ACT_SILU 4        /* x sigmoid(x) */
#define SIMLAY_ACT_HARDSIGMOID 5 /* max(0, min(1, alpha x + beta)) */
#define SIMLAY_ACT_HARDSWISH 6   /* x max(0, min(1, x / 6 + 1/2)) */
#define SIMLAY_ACT_GELU 7        /* 0.5 x (1 + erf(x / sqrt 2)) */
#define SIMLAY_ACT_GELU_TANH 8   /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */

/// y[i] = f(x[i]) for the function `kind`, vectorised (exp with max relative error 1.2e-7, erf 5e-7; see
/// approx.h). y may be x (in place); otherwise the two must not overlap.
void simlay_activation(const float *x, float *y, size_t n, int kind, float alpha, float beta);

/// A convolution's epilogue: for each of `channels` planes of `size` floats,
/// y = f(clamp(y + bias[c], lo, hi)) for the function `kind`; bias may be NULL.
void simlay_bias_activation(float *y, int channels, ptrdiff_t size, const float *bias, float lo, float hi, int kind,
                            float alpha, float beta);

/// The exp approximation the activations use (for tests: its error against double exp).
float simlay_exp(float x);

/// Tile of simlay_gemm_packed: rows of A (MR) and columns of B (NR) per panel.
#define SIMLAY_GEMM_MR 6
#define SIMLAY_GEMM_NR 16

/// Floats of A [m, k] packed into panels of SIMLAY_GEMM_MR rows (zero-padded).
size_t simlay_gemm_packed_a_count(int m, int k);

/// Floats of B [k, n] packed into panels of SIMLAY_GEMM_NR columns (zero-padded).
size_t simlay_gemm_packed_b_count(int n, int k);

/// Packs A(i, p) = a[i * rs + p * ks] for i < m, p < k into panels of SIMLAY_GEMM_MR rows (zero-padded), in
/// blocks of depth: block [p0, p0 + kc) of panel q starts at p0 * panels * MR + q * kc * MR and holds
/// [kc][MR]. Blocks are at most 512 deep, balanced (see gemm.c).
void simlay_gemm_pack_a(const float *a, ptrdiff_t rs, ptrdiff_t ks, int m, int k, float *dst);

/// Packs B(p, j) = b[p * ks + j * cs] for p < k, j < n the same way, in panels of SIMLAY_GEMM_NR columns.
void simlay_gemm_pack_b(const float *b, ptrdiff_t ks, ptrdiff_t cs, int k, int n, float *dst);
/// The same panels with row p of B multiplied by scale[p] (a per-channel gate folded into the pack).
void simlay_gemm_pack_b_scaled(const float *b, ptrdiff_t ks, ptrdiff_t cs, int k, int n, const float *scale,
                               float *dst);

/// Packs columns j0..<j0+n of the im2col matrix of x ([channels, in_h, in_w]) for window w, whose row
/// p = (c * k_h + ky) * k_w + kx and column j = oy * out_w + ox hold x[c, iy, ix] (zero outside the image),
/// into panels laid out as simlay_gemm_pack_b's, without unfolding the whole matrix first.
void simlay_gemm_pack_b_im2col(const float *x, int channels, const simlay_window *w, int j0, int n, float *dst);

/// The plain packer simlay_gemm_pack_b_im2col uses without AVX2: the same panels, value for value.
void simlay_gemm_pack_b_im2col_plain(const float *x, int channels, const simlay_window *w, int j0, int n, float *dst);

/// What simlay_gemm_packed does to each element it writes: x = f(clamp(x + bias, lo, hi)), the bias indexed by
/// column or by row (bias may be NULL), f the function `kind` of simlay_activation.
typedef struct {
  const float *bias;
  int bias_per_column;
  float lo, hi;
  int kind;
  float alpha, beta;
} simlay_gemm_epilogue;

/// C = A B with the epilogue, from packed panels of A [m, k] and B [k, n] (see the pack functions): A's are
/// panels a_first... of a packed buffer of a_panels panels, B's likewise. Row i of C
/// is at c + row_offsets[i] (a negative offset drops the row) or, when row_offsets is NULL, at c + i * ldc;
/// its n columns are contiguous. Each element is the whole sum over k in order, so the result does not depend
/// on how a caller splits C. `columns_outer` walks B's panels in the outer loop (keep whichever operand's
/// panel is reused in cache outer).
void simlay_gemm_packed(int m, int n, int k, const float *pa, int a_panels, int a_first, const float *pb, int b_panels,
                        int b_first, float *c, ptrdiff_t ldc, const ptrdiff_t *row_offsets,
                        const simlay_gemm_epilogue *e, int columns_outer);

/// simlay_gemm_packed's product for a B of one column x (k floats, contiguous) and row biases: rows
/// a_first * SIMLAY_GEMM_MR ..< + m of C, row i at y + i * ldy. The same bits as the tiles give that column.
void simlay_gemv_packed(int m, int k, const float *pa, int a_panels, int a_first, const float *x, float *y,
                        ptrdiff_t ldy, const simlay_gemm_epilogue *e);

/// Test hook: whether the packed products may use the 6x32 AVX-512 tile (on by default where the CPU has
/// AVX-512F); returns whether the CPU has it. Both tiles give the same bits.
int simlay_gemm_use_wide_tiles(int on);

/// The same product with B read in place instead of packed: B(p, j) = b[offsets[p] + j], and reads run up to
/// 2 SIMLAY_GEMM_NR - 1 floats past the last column (rows side only: C[m, n], biases per row). The same sums
/// in the same order as simlay_gemm_packed's over the packed B.
void simlay_gemm_packed_direct(int m, int n, int k, const float *pa, int a_panels, int a_first, const float *b,
                               const int *offsets, float *c, ptrdiff_t ldc, const simlay_gemm_epilogue *e);

/// A convolution as simlay_gemm_packed_direct's B: the input's planes zero-padded to the window's extent and
/// split by the stride into phase planes ([channels][stride_h][stride_w][qh][qw], qh = out_h + dh (k_h - 1) /
/// stride_h, qw likewise, then 2 SIMLAY_GEMM_NR floats of slack the caller zeroes), one offset per im2col
/// row, and simlay_direct_columns(w) columns, of which each output row's first out_w are the
/// convolution's (simlay_direct_compact drops the rest).
size_t simlay_direct_padded_count(const simlay_window *w, int channels);
size_t simlay_direct_columns(const simlay_window *w);
/// Pads channels c0..<c1 of x into dst (laid out for all channels).
void simlay_direct_pad(const float *x, int c0, int c1, const simlay_window *w, float *dst);
/// offsets[p] for the channels * k_h * k_w rows.
void simlay_direct_offsets(int channels, const simlay_window *w, int *offsets);
/// Columns between one output row and the next in the product (out_w plus the seam).
int simlay_direct_width(const simlay_window *w);
/// Copies output rows oy0..<oy1 of rows c0..<c1 of a product t computed from column oy0 * width on (row ch
/// of t at t + ch * ldt) into y ([rows][out_h][out_w]).
void simlay_direct_compact(const float *t, ptrdiff_t ldt, int c0, int c1, int oy0, int oy1, const simlay_window *w,
                           float *y);

#endif
