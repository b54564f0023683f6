import CBLAS
import CSimlayKernels

/// Matrix products. Large contiguous products go to OpenBLAS; tiny ones (which dominate ONNX's test cases
/// and small heads) use a plain loop, since `cblas_sgemm`'s packing overhead outweighs their work.
package enum GEMM {
  /// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major, with leading dimensions.
  ///
  /// Large products are split into up to `blocks` column (or row) blocks, each a single-threaded OpenBLAS
  /// call, run over the context's threads. The split depends on the shape alone, never on the thread
  /// count, so a product rounds the same way at any thread count and whether an image is computed alone
  /// or within a batch (OpenBLAS's edge kernels for a narrower block round differently in the last bit,
  /// which made a daemon's maps of an image depend on what else was in its batch). OpenBLAS's own threads
  /// are not used: they spin after each call and would hold the core the engine's next kernel wants.
  package static func multiply(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext? = nil
  ) {
    if m == 0 || n == 0 { return }
    if m == 1, !transA, transB ? ldb == k : ldb == n {
      vector(transB: transB, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c, context: context)
      return
    }
    if m * n * k >= 64 * 64 * 64, max(m, n) >= 128 {
      // Split the longer side: wide products by columns, tall ones (projections of 7x7 and 14x14 maps) by rows.
      let byColumns = n >= m
      let extent = byColumns ? n : m
      let count = min(blocks, extent / 64)
      let size = (extent / max(count, 1) + 15) / 16 * 16
      func run(_ range: Range<Int>) {
        for block in range {
          let i0 = block * size
          let width = min(size, extent - i0)
          if width <= 0 { continue }
          if byColumns {
            single(
              transA: transA, transB: transB, m: m, n: width, k: k, alpha: alpha, a: a, lda: lda,
              b: transB ? b + i0 * ldb : b + i0, ldb: ldb, beta: beta, c: c + i0, ldc: ldc)
          } else {
            single(
              transA: transA, transB: transB, m: width, n: n, k: k, alpha: alpha,
              a: transA ? a + i0 : a + i0 * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + i0 * ldc, ldc: ldc)
          }
        }
      }
      if let context, context.threads > 1 { context.parallelFor(count) { run($0) } } else { run(0..<count) }
      return
    }
    single(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
      beta: beta, c: c, ldc: ldc)
  }

  /// Most blocks a large product is split into: enough for a few threads to share, with chunks to spare
  /// for those that run while one is descheduled; each block packs the smaller operand again (weights of a
  /// pointwise convolution, a 7x7 map's activations), which is small beside its share of the product.
  static let blocks = 8

  /// One product on the calling thread: OpenBLAS, or the plain loop for tiny ones.
  static func single(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m * n * k >= 32 * 32 * 32 {
      cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
      return
    }
    reference(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
      beta: beta, c: c, ldc: ldc)
  }

  /// One row times a matrix (a classifier at batch 1): OpenBLAS's sgemm packs the whole matrix first, which
  /// for mobilenet_v3_large's 960x1280 layer cost 1.9 ms of a 21 ms pass; the matrix-vector kernels read
  /// it once. Rows of a transposed B split over the threads.
  static func vector(
    transB: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float,
    c: UnsafeMutablePointer<Float>, context: ExecutionContext?
  ) {
    let direct = alpha == 1 && beta == 0
    let t = direct ? c : UnsafeMutablePointer<Float>.allocate(capacity: n)
    defer { if !direct { t.deallocate() } }
    if !transB {
      simlay_matvec_columns(b, Int32(n), Int32(k), a, t)
    } else if let context, context.threads > 1, n * k >= 1 << 16 {
      // Blocks of 64 rows: the kernel groups rows by 4 from each call's first, so any split at multiples
      // of 4 rounds as one call does.
      context.parallelFor((n + 63) / 64) { range in
        for block in range {
          let j0 = block * 64
          simlay_matvec_rows(b + j0 * k, Int32(min(64, n - j0)), Int32(k), a, t + j0)
        }
      }
    } else {
      simlay_matvec_rows(b, Int32(n), Int32(k), a, t)
    }
    if !direct {
      for j in 0..<n { c[j] = alpha * t[j] + (beta == 0 ? 0 : beta * c[j]) }
    }
  }

  /// The plain triple loop, also the reference the tests compare OpenBLAS against.
  package static func reference(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    for i in 0..<m {
      let row = c + i * ldc
      for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
      for p in 0..<k {
        let av = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
        if av == 0 { continue }
        if transB {
          for j in 0..<n { row[j] += av * b[j * ldb + p] }
        } else {
          let brow = b + p * ldb
          for j in 0..<n { row[j] += av * brow[j] }
        }
      }
    }
  }
}
