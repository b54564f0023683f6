/// The similarity function s(u, v) between a query vector u and a cell's vector v. Larger always means
/// more similar, so overlays can use one colour scale whatever the metric.
public enum SimilarityMetric: String, Sendable, CaseIterable {
  /// (u . v) / ((|u| + 1e-4)(|v| + 1e-4)): the article's default, in [-1, 1] (0 for an all-zero vector).
  case cosine
  /// u . v, unbounded: favours strongly activated cells as well as aligned ones.
  case dot
  /// -|u - v|: a negative distance, 0 at the query's own cell and below it everywhere else.
  case euclidean
}

/// A prepared query vector u: raw, and u / (|u| + 1e-4) for cosine. Preparing it once lets one hover
/// query run against every image's grid without renormalising per grid.
public struct QueryVector: Sendable {
  /// The vector as given (a cell's activations, or a region's mean).
  public let raw: [Float]
  /// raw / (|raw| + 1e-4), rounded once from double.
  public let normalized: [Float]

  /// Prepares `raw` (its length must equal the depth of the grids it is used with).
  public init(_ raw: [Float]) {
    self.raw = raw
    var normalized = [Float](repeating: 0, count: raw.count)
    raw.withUnsafeBufferPointer { src in
      normalized.withUnsafeMutableBufferPointer { dst in
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        let n = VectorKernels.norm(s, raw.count)
        VectorKernels.scale(s, by: 1 / (n + ActivationGrid.normEpsilon), into: d, raw.count)
      }
    }
    self.normalized = normalized
  }
}
