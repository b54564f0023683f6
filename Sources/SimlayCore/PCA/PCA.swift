import CBLAS

/// Principal components of a set of vectors (the cells of one layer over N images, fitted jointly), as
/// the patch-similarity viewers show them: the top components' scores per cell, and the fraction of the
/// total variance each explains.
public enum PCA {
  /// A fitted PCA: `components` eigenvectors of the covariance, their variances, and each row's scores.
  public struct Fit: Sendable {
    /// Rows fitted and their dimension.
    public var rows: Int
    public var dimension: Int
    /// The mean vector (dimension values).
    public var mean: [Float]
    /// k eigenvectors, row-major [k, dimension], by decreasing variance; each one's largest-magnitude
    /// entry is positive (scikit-learn's sign convention), so the result is deterministic.
    public var axes: [Float]
    /// The variance along each axis (eigenvalues of the covariance, with the n - 1 divisor).
    public var variances: [Double]
    /// Total variance (the covariance's trace): `variances[i] / totalVariance` is the explained fraction.
    public var totalVariance: Double
    /// Scores, row-major [rows, k]: (x - mean) projected on each axis.
    public var scores: [Float]

    /// Components fitted.
    public var components: Int { variances.count }
    /// The fraction of the total variance each component explains.
    public var explainedFraction: [Double] { variances.map { totalVariance > 0 ? $0 / totalVariance : 0 } }
  }

  /// Why a fit failed.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// Fits the top `k` components of `rows` x `dimension` row-major `data` (k <= dimension, rows >= 2).
  /// Covariance by one `ssyrk`, the top k eigenpairs by LAPACK's `ssyevr`, scores by one `sgemm`.
  public static func fit(_ data: [Float], rows: Int, dimension d: Int, components k: Int) throws -> Fit {
    precondition(data.count == rows * d, "data has \(data.count) values, not \(rows) x \(d)")
    guard rows >= 2 else { throw Failure(description: "PCA needs at least 2 cells, got \(rows)") }
    guard k >= 1, k <= d else {
      throw Failure(description: "components \(k) must be in 1...\(d) (the layer's channels)")
    }
    var mean = [Double](repeating: 0, count: d)
    for r in 0..<rows { for c in 0..<d { mean[c] += Double(data[r * d + c]) } }
    for c in 0..<d { mean[c] /= Double(rows) }
    var centred = data
    for r in 0..<rows { for c in 0..<d { centred[r * d + c] -= Float(mean[c]) } }
    // Upper triangle of the covariance, row-major: X^T X / (n - 1).
    var cov = [Float](repeating: 0, count: d * d)
    cblas_ssyrk(
      CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(rows), 1 / Float(rows - 1), centred, Int32(d), 0, &cov,
      Int32(d))
    var total = 0.0
    for c in 0..<d { total += Double(cov[c * d + c]) }
    // Row-major upper is column-major lower: LAPACK reads the same numbers with uplo = "L".
    let (values, vectors) = try topEigenpairs(&cov, size: d, count: k)
    var axes = [Float](repeating: 0, count: k * d)
    for j in 0..<k {
      // ssyevr returns ascending eigenvalues in column-major columns; component j is column k - 1 - j.
      let column = Array(vectors[((k - 1 - j) * d)..<((k - j) * d)])
      let peak = column.indices.max { abs(column[$0]) < abs(column[$1]) } ?? 0
      let sign: Float = column[peak] < 0 ? -1 : 1
      for c in 0..<d { axes[j * d + c] = sign * column[c] }
    }
    var scores = [Float](repeating: 0, count: rows * k)
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(d), 1, centred, Int32(d), axes, Int32(d), 0,
      &scores, Int32(k))
    return Fit(
      rows: rows, dimension: d, mean: mean.map(Float.init), axes: axes,
      variances: (0..<k).map { Double(max(values[k - 1 - $0], 0)) }, totalVariance: total, scores: scores)
  }

  /// The `count` largest eigenvalues (ascending) of the symmetric `size` x `size` matrix whose lower
  /// triangle (column-major) `a` holds, and their eigenvectors (column-major, size x count). `a` is overwritten.
  static func topEigenpairs(_ a: inout [Float], size n: Int, count k: Int) throws -> ([Float], [Float]) {
    var (nn, lda, il, iu, ldz) = (Int32(n), Int32(n), Int32(n - k + 1), Int32(n), Int32(n))
    var (vl, vu, abstol): (Float, Float, Float) = (0, 0, 0)
    var found: Int32 = 0
    var w = [Float](repeating: 0, count: n)
    var z = [Float](repeating: 0, count: n * k)
    var isuppz = [Int32](repeating: 0, count: 2 * max(k, 1))
    var info: Int32 = 0
    // Workspace query first, then the solve.
    var workSize: Float = 0
    var iworkSize: Int32 = 0
    var (lwork, liwork): (Int32, Int32) = (-1, -1)
    ssyevr_(
      "V", "I", "L", &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &isuppz, &workSize, &lwork,
      &iworkSize, &liwork, &info, 1, 1, 1)
    guard info == 0 else { throw Failure(description: "ssyevr workspace query failed (info \(info))") }
    lwork = Int32(workSize)
    liwork = iworkSize
    var work = [Float](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    ssyevr_(
      "V", "I", "L", &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &isuppz, &work, &lwork,
      &iwork, &liwork, &info, 1, 1, 1)
    guard info == 0, found == Int32(k) else {
      throw Failure(description: "ssyevr failed (info \(info), \(found) of \(k) eigenpairs)")
    }
    return (Array(w[0..<k]), z)
  }
}

extension PCA {
  /// Fits jointly over every cell of `grids` (one layer, so one depth): rows image-major, then y, then x.
  public static func fit(grids: [ActivationGrid], components k: Int) throws -> Fit {
    guard let d = grids.first?.depth, grids.allSatisfy({ $0.depth == d }) else {
      throw Failure(description: "PCA needs grids of one layer (the same channels)")
    }
    var data: [Float] = []
    data.reserveCapacity(grids.reduce(0) { $0 + $1.raw.count })
    for g in grids { data += g.raw }
    return try fit(data, rows: data.count / max(d, 1), dimension: d, components: k)
  }
}
