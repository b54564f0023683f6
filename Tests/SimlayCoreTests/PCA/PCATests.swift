@_spi(Testing) import SimlayCore
import Testing

/// The PCA view's fit (ssyrk + LAPACK's ssyevr + sgemm) against a plain reference: the covariance summed in
/// double and diagonalised by the Jacobi sweeps NMF uses, on odd shapes.
@Suite("PCA")
struct PCATests {
  /// Correlated data: rows of a few latent factors mixed into `d` channels, plus noise, offset from zero.
  static func data(rows: Int, dimension d: Int, seed: UInt64) -> [Float] {
    var state = seed
    func next() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    let mix = (0..<(3 * d)).map { _ in next() * 2 }
    return (0..<rows).flatMap { _ -> [Float] in
      let z = [next() * 4, next() * 2, next()]
      return (0..<d).map { c in 3 + z[0] * mix[c] + z[1] * mix[d + c] + z[2] * mix[2 * d + c] + next() * 0.1 }
    }
  }

  /// The reference: covariance in double, all eigenpairs by Jacobi, the same sign convention.
  static func reference(_ x: [Float], rows n: Int, dimension d: Int, k: Int) -> (
    variances: [Double], axes: [[Double]], total: Double
  ) {
    var mean = [Double](repeating: 0, count: d)
    for r in 0..<n { for c in 0..<d { mean[c] += Double(x[r * d + c]) / Double(n) } }
    var cov = [Double](repeating: 0, count: d * d)
    for r in 0..<n {
      for a in 0..<d {
        for b in 0..<d {
          cov[a * d + b] += (Double(x[r * d + a]) - mean[a]) * (Double(x[r * d + b]) - mean[b]) / Double(n - 1)
        }
      }
    }
    let total = (0..<d).reduce(0.0) { $0 + cov[$1 * d + $1] }
    let (values, vectors) = SymmetricEigen.decompose(cov, size: d)
    let axes = (0..<k).map { j -> [Double] in
      let v = (0..<d).map { vectors[$0 * d + j] }
      let peak = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
      return v.map { v[peak] < 0 ? -$0 : $0 }
    }
    return (Array(values.prefix(k)), axes, total)
  }

  @Test(
    "variances, axes and scores match the reference", arguments: [(13, 7, 3), (124, 13, 5), (301, 40, 3), (50, 3, 3)])
  func matchesReference(rows n: Int, dimension d: Int, components k: Int) throws {
    let x = Self.data(rows: n, dimension: d, seed: UInt64(n * 31 + d))
    let fit = try PCA.fit(x, rows: n, dimension: d, components: k)
    let ref = Self.reference(x, rows: n, dimension: d, k: k)
    #expect(abs(fit.totalVariance - ref.total) <= 1e-4 * ref.total)
    for j in 0..<k {
      // float32 covariance and solver: relative 1e-4 of the leading variance.
      #expect(abs(fit.variances[j] - ref.variances[j]) <= 1e-4 * ref.variances[0], "variance \(j)")
      // Axes are defined up to sign (fixed by the convention) when their eigenvalue is well separated.
      let worst = (0..<d).map { abs(Double(fit.axes[j * d + $0]) - ref.axes[j][$0]) }.max()!
      #expect(worst <= 2e-3, "axis \(j): \(worst)")
    }
    // Scores are the centred rows projected on the axes.
    for r in [0, n / 2, n - 1] {
      for j in 0..<k {
        let expected = (0..<d).reduce(0.0) {
          $0 + (Double(x[r * d + $1]) - Double(fit.mean[$1])) * Double(fit.axes[j * d + $1])
        }
        #expect(abs(Double(fit.scores[r * k + j]) - expected) <= 1e-3 * max(1, abs(expected)))
      }
    }
    let fractions = fit.explainedFraction
    #expect(fractions == fractions.sorted(by: >) && fractions.reduce(0, +) <= 1 + 1e-6)
  }

  @Test("colours are scaled jointly: the extremes of each component are 0 and 255; background is black")
  func colors() throws {
    let x = Self.data(rows: 60, dimension: 5, seed: 9)
    let fit = try PCA.fit(x, rows: 60, dimension: 5, components: 3)
    let rgb = fit.colors()
    for c in 0..<3 {
      let channel = (0..<60).map { rgb[$0 * 3 + c] }
      #expect(channel.min() == 0 && channel.max() == 255)
    }
    let mask = fit.foreground(threshold: 0)
    #expect(mask.contains(true) && mask.contains(false))
    let masked = fit.colors(foreground: mask)
    for r in 0..<60 where !mask[r] { #expect(masked[(r * 3)..<(r * 3 + 3)].allSatisfy { $0 == 0 }) }
    #expect(zip(mask, (0..<60).map { fit.scores[$0 * 3] }).allSatisfy { $0 == ($1 > 0) })
  }

  @Test("too few rows or too many components are refused by name")
  func refusals() {
    #expect(throws: PCA.Failure.self) { try PCA.fit([1, 2, 3], rows: 1, dimension: 3, components: 1) }
    #expect(throws: PCA.Failure.self) {
      try PCA.fit([Float](repeating: 1, count: 12), rows: 4, dimension: 3, components: 4)
    }
  }
}
