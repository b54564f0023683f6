/// Small vector loops the similarity code needs besides BLAS.
enum VectorKernels {
  /// |v| accumulated in double: norms are computed once per grid, off the hot path, so they can afford
  /// the precision that keeps cosine within 1e-5 of a double-precision reference.
  static func norm(_ v: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = 0.0
    for i in 0..<n {
      let x = Double(v[i])
      s += x * x
    }
    return s.squareRoot()
  }

  /// out[i] = Float(v[i] * factor), rounding once from double.
  static func scale(_ v: UnsafePointer<Float>, by factor: Double, into out: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { out[i] = Float(Double(v[i]) * factor) }
  }

  /// sum((a[i] - b[i])^2), in float with SIMD accumulators. The differences are formed before squaring,
  /// so there is no cancellation (unlike |a|^2 + |b|^2 - 2a.b) and a cell equal to the query gives exactly 0.
  /// Swift does not reassociate float sums on its own, so the loop is vectorised by hand; `+=` of a
  /// product rather than `addingProduct`, which would become a per-lane libm call on baseline x86-64.
  @inline(__always)
  static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    var acc0 = SIMD8<Float>()
    var acc1 = SIMD8<Float>()
    var i = 0
    while i + 16 <= n {
      let d0 =
        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      let d1 =
        ra.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
        - rb.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
      acc0 += d0 * d0
      acc1 += d1 * d1
      i += 16
    }
    if i + 8 <= n {
      let d =
        ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      acc0 += d * d
      i += 8
    }
    var s = (acc0 + acc1).sum()
    while i < n {
      let d = a[i] - b[i]
      s += d * d
      i += 1
    }
    return s
  }

  /// out[c] = -|query - rows[c]| for `cells` contiguous rows of length `depth`; `0 - d` rather than `-d`
  /// so the query's own cell reads +0, not -0, in maps and JSON.
  static func negativeDistances(
    query: UnsafePointer<Float>, rows: UnsafePointer<Float>, cells: Int, depth: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<cells {
      out[c] = 0 - squaredDistance(query, rows + c * depth, depth).squareRoot()
    }
  }
}
