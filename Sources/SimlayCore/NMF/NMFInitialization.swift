import CBLAS

/// How W and H start.
public enum NMFInitialization: Sendable, Equatable {
  /// NNDSVD with its zeros filled by the data mean (scikit-learn's "nndsvda"); deterministic.
  case nndsvda
  /// Plain NNDSVD: zeros stay zero (and so stay zero under multiplicative-style updates); deterministic.
  case nndsvd
  /// |N(0, 1)| scaled by sqrt(mean / k) (scikit-learn's "random"), from a seed.
  case random(seed: UInt64)
}

extension NMF {
  /// Starting factors W [rows, k] and H [k, columns].
  static func initialFactors(_ a: NMFMatrix, k: Int, _ initialization: NMFInitialization) -> (w: [Float], h: [Float]) {
    let (n, d) = (a.rows, a.columns)
    let mean = a.mean
    if case .random(let seed) = initialization {
      var rng = SplitMix64(seed: seed)
      let scale = (mean / Double(k)).squareRoot()
      let h = (0..<(k * d)).map { _ in Float(scale * abs(rng.normal())) }
      let w = (0..<(n * k)).map { _ in Float(scale * abs(rng.normal())) }
      return (w, h)
    }
    // NNDSVD (Boutsidis & Gallopoulos 2008), as scikit-learn computes it, on a randomized truncated SVD.
    let (u, s, v) = truncatedSVD(a, rank: k)
    var w = [Float](repeating: 0, count: n * k)
    var h = [Float](repeating: 0, count: k * d)
    for j in 0..<k {
      let x = (0..<n).map { u[$0 * k + j] }
      let y = (0..<d).map { v[$0 * k + j] }
      let uj: [Double]
      let vj: [Double]
      let sigma: Double
      if j == 0 {
        (uj, vj, sigma) = (x.map(abs), y.map(abs), 1)
      } else {
        let (xp, xn) = (x.map { max($0, 0) }, x.map { max(-$0, 0) })
        let (yp, yn) = (y.map { max($0, 0) }, y.map { max(-$0, 0) })
        let (xpn, ypn, xnn, ynn) = (norm(xp), norm(yp), norm(xn), norm(yn))
        if xpn * ypn > xnn * ynn {
          (uj, vj, sigma) = (xp.map { $0 / max(xpn, 1e-300) }, yp.map { $0 / max(ypn, 1e-300) }, xpn * ypn)
        } else {
          (uj, vj, sigma) = (xn.map { $0 / max(xnn, 1e-300) }, yn.map { $0 / max(ynn, 1e-300) }, xnn * ynn)
        }
      }
      let lambda = (max(s[j], 0) * sigma).squareRoot()
      for i in 0..<n { w[i * k + j] = Float(lambda * uj[i]) }
      for c in 0..<d { h[j * d + c] = Float(lambda * vj[c]) }
    }
    // Tiny entries become zeros, and nndsvda fills every zero with the mean so no factor starts stuck.
    let fill: Float = initialization == .nndsvda ? Float(mean) : 0
    for i in w.indices where w[i] < 1e-6 { w[i] = fill }
    for i in h.indices where h[i] < 1e-6 { h[i] = fill }
    return (w, h)
  }

  private static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

  /// The top `rank` singular triplets of `a` by a randomized range finder (Halko, Martinsson & Tropp) with
  /// a fixed seed: U [rows, rank], S [rank], V [columns, rank], row-major, in double precision.
  @_spi(Testing) public static func truncatedSVD(_ a: NMFMatrix, rank: Int) -> (u: [Double], s: [Double], v: [Double]) {
    let (n, d) = (a.rows, a.columns)
    let l = min(rank + 10, min(n, d))
    var rng = SplitMix64(seed: 0x5EED)
    var omega = (0..<(d * l)).map { _ in Float(rng.normal()) }
    var y = [Float](repeating: 0, count: n * l)
    var z = [Float](repeating: 0, count: d * l)
    // Y = A Omega, then power iterations Y = A (A^T Y), re-orthonormalised each time for stability.
    gemm(a.values, n, d, false, omega, l, into: &y)
    orthonormalize(&y, rows: n, columns: l)
    for _ in 0..<(rank < Int(0.1 * Double(min(n, d))) ? 7 : 4) {
      gemm(a.values, n, d, true, y, l, into: &z)
      orthonormalize(&z, rows: d, columns: l)
      gemm(a.values, n, d, false, z, l, into: &y)
      orthonormalize(&y, rows: n, columns: l)
    }
    omega = []
    // B = Y^T A (l x d); B B^T = Ub S^2 Ub^T; U = Y Ub, V = B^T Ub / S.
    var bt = [Float](repeating: 0, count: d * l)
    gemm(a.values, n, d, true, y, l, into: &bt)
    var bbt = [Double](repeating: 0, count: l * l)
    for p in 0..<l {
      for q in p..<l {
        var acc = 0.0
        for c in 0..<d { acc += Double(bt[c * l + p]) * Double(bt[c * l + q]) }
        (bbt[p * l + q], bbt[q * l + p]) = (acc, acc)
      }
    }
    let (values, ub) = SymmetricEigen.decompose(bbt, size: l)
    let s = (0..<rank).map { max(values[$0], 0).squareRoot() }
    var u = [Double](repeating: 0, count: n * rank)
    var v = [Double](repeating: 0, count: d * rank)
    for j in 0..<rank {
      for i in 0..<n {
        var acc = 0.0
        for p in 0..<l { acc += Double(y[i * l + p]) * ub[p * l + j] }
        u[i * rank + j] = acc
      }
      let inv = s[j] > 0 ? 1 / s[j] : 0
      for c in 0..<d {
        var acc = 0.0
        for p in 0..<l { acc += Double(bt[c * l + p]) * ub[p * l + j] }
        v[c * rank + j] = acc * inv
      }
    }
    return (u, s, v)
  }

  /// out = A X (A: n x d, X: d x l) or A^T X (X: n x l), row-major, single precision.
  private static func gemm(
    _ a: [Float], _ n: Int, _ d: Int, _ transposeA: Bool, _ x: [Float], _ l: Int, into out: inout [Float]
  ) {
    let (m, inner) = transposeA ? (d, n) : (n, d)
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans, Int32(m), Int32(l), Int32(inner),
      1, a, Int32(d), x, Int32(l), 0, &out, Int32(l))
  }

  /// Gram-Schmidt on the columns of a row-major matrix, in double, projecting twice ("twice is enough"
  /// for orthogonality to working precision). A column left with under 1e-6 of its norm lies in the span of
  /// the previous ones (rank-deficient data) and becomes zero rather than amplified rounding noise.
  private static func orthonormalize(_ m: inout [Float], rows: Int, columns: Int) {
    var q = m.map(Double.init)
    for j in 0..<columns {
      var original = 0.0
      for i in 0..<rows { original += q[i * columns + j] * q[i * columns + j] }
      for _ in 0..<2 {
        for p in 0..<j {
          var dot = 0.0
          for i in 0..<rows { dot += q[i * columns + p] * q[i * columns + j] }
          for i in 0..<rows { q[i * columns + j] -= dot * q[i * columns + p] }
        }
      }
      var nrm = 0.0
      for i in 0..<rows { nrm += q[i * columns + j] * q[i * columns + j] }
      let inv = nrm > 1e-12 * original && nrm > 0 ? 1 / nrm.squareRoot() : 0
      for i in 0..<rows { q[i * columns + j] *= inv }
    }
    m = q.map(Float.init)
  }
}
