import CBLAS
import CSimlayKernels

/// Similarity maps: a query vector scored against every cell of a layer grid.
///
/// Cosine and dot are one matrix-vector product over the grid's pre-normalised or raw vectors, so a hover
/// query costs what a single float32 matrix-vector product costs; euclidean is a direct SIMD loop of the same
/// memory traffic.
public enum SimilarityMap {
  /// s(u, v) for every cell v of `grid`, row-major H*W (y then x):
  /// - cosine: (u . v) / ((|u| + 1e-4)(|v| + 1e-4)), computed as normalized(u) . normalized(v) with one
  ///   matrix-vector product over the grid's normalised vectors;
  /// - dot: u . v, one matrix-vector product over the raw vectors;
  /// - euclidean: -|u - v| (a negative distance: larger = more similar, 0 at the query cell), computed
  ///   directly as sqrt(sum((u - v)^2)) per cell.
  ///
  /// Traps if `query.raw.count != grid.depth`.
  public static func compute(query: QueryVector, grid: ActivationGrid, metric: SimilarityMetric) -> [Float] {
    var out = [Float](repeating: 0, count: grid.cellCount)
    out.withUnsafeMutableBufferPointer { compute(query: query, grid: grid, metric: metric, into: $0) }
    return out
  }

  /// `compute(query:grid:metric:)` into a caller's buffer of exactly H*W floats, so the hot path (one
  /// hover over many images) allocates nothing. Traps on a wrong buffer size or query length.
  public static func compute(
    query: QueryVector, grid: ActivationGrid, metric: SimilarityMetric,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(query.raw.count == grid.depth, "query has \(query.raw.count) channels, the grid has \(grid.depth)")
    precondition(
      out.count == grid.cellCount, "output buffer holds \(out.count) values, the grid has \(grid.cellCount) cells")
    guard let y = out.baseAddress else { return }
    // Zeroed first: it is the whole answer when depth is 0 (BLAS rejects lda = 0), and it keeps BLAS's
    // beta = 0 from ever seeing NaNs left in a reused buffer.
    y.update(repeating: 0, count: out.count)
    guard grid.depth > 0 else { return }
    let (m, n) = (grid.cellCount, grid.depth)
    switch metric {
    case .cosine:
      matvec(grid.normalized, channelMajor: grid.normalizedChannelMajor, vector: query.normalized, m: m, n: n, into: y)
    case .dot:
      matvec(grid.raw, channelMajor: grid.rawChannelMajor, vector: query.raw, m: m, n: n, into: y)
    case .euclidean:
      query.raw.withUnsafeBufferPointer { u in
        grid.raw.withUnsafeBufferPointer { rows in
          VectorKernels.negativeDistances(query: u.baseAddress!, rows: rows.baseAddress!, cells: m, depth: n, into: y)
        }
      }
    }
  }

  /// One matrix-vector product over a grid: channel-major AXPYs for few channels, row dot products
  /// otherwise. Plain C loops rather than `cblas_sgemv`: a hover computes one small product per image,
  /// and the BLAS call overhead was as large as the arithmetic.
  private static func matvec(
    _ rows: [Float], channelMajor: [Float], vector: [Float], m: Int, n: Int,
    into y: UnsafeMutablePointer<Float>
  ) {
    vector.withUnsafeBufferPointer { x in
      if !channelMajor.isEmpty {
        channelMajor.withUnsafeBufferPointer {
          simlay_matvec_columns($0.baseAddress!, Int32(m), Int32(n), x.baseAddress!, y)
        }
      } else {
        rows.withUnsafeBufferPointer { simlay_matvec_rows($0.baseAddress!, Int32(m), Int32(n), x.baseAddress!, y) }
      }
    }
  }

  /// All pairs: for every cell of `source` (row r = y * Ws + x), its map over every cell of `target`,
  /// as one [Hs*Ws, Ht*Wt] row-major matrix. Cosine and dot are one `cblas_sgemm`; euclidean runs the
  /// direct per-pair loop (the gemm identity |u|^2 + |v|^2 - 2u.v would cancel near matching cells).
  /// Row r equals `compute` for the query at source cell r, up to float summation order (exactly, for
  /// euclidean). Memory grows as (H*W)^2: 2.5 MB for 28x28 grids, 630 MB for 112x112.
  /// Traps if the grids' depths differ.
  public static func allPairs(source: ActivationGrid, target: ActivationGrid, metric: SimilarityMetric) -> [Float] {
    precondition(source.depth == target.depth, "source has \(source.depth) channels, target has \(target.depth)")
    let (ms, mt, d) = (source.cellCount, target.cellCount, source.depth)
    var out = [Float](repeating: 0, count: ms * mt)
    guard ms > 0, mt > 0, d > 0 else { return out }
    out.withUnsafeMutableBufferPointer { c in
      switch metric {
      case .cosine, .dot:
        let a = metric == .cosine ? source.normalized : source.raw
        let b = metric == .cosine ? target.normalized : target.raw
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            cblas_sgemm(
              CblasRowMajor, CblasNoTrans, CblasTrans, Int32(ms), Int32(mt), Int32(d),
              1, a.baseAddress, Int32(d), b.baseAddress, Int32(d), 0, c.baseAddress, Int32(mt))
          }
        }
      case .euclidean:
        source.raw.withUnsafeBufferPointer { a in
          target.raw.withUnsafeBufferPointer { b in
            for r in 0..<ms {
              VectorKernels.negativeDistances(
                query: a.baseAddress! + r * d, rows: b.baseAddress!, cells: mt, depth: d,
                into: c.baseAddress! + r * mt)
            }
          }
        }
      }
    }
    return out
  }
}
