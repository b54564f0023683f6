import CBLAS
import Foundation

/// Non-negative matrix factorisation A ~= W H (W >= 0: rows x k, H >= 0: k x columns) by accelerated
/// HALS (Gillis & Glineur 2012): the two products with A, the expensive part, are computed once per
/// outer iteration with `cblas_sgemm`, and the cheap column updates are repeated on them while they
/// still make progress (a few sweeps, see below). scikit-learn's "cd" solver is the same coordinate descent with one sweep per
/// product, so an iteration here is never worse than one of its iterations.
public enum NMF {
  /// Solver parameters.
  public struct Options: Sendable {
    /// Number of groups.
    public var k: Int
    /// Outer iteration budget.
    public var maxIterations: Int
    /// Stop when 10 iterations together lower the relative error by less than `tolerance` / 100 of its
    /// value (the default 1e-4 stops at a 1e-6 relative improvement: converged to about 6 digits).
    public var tolerance: Double
    /// How W and H start.
    public var initialization: NMFInitialization

    /// Creates options; defaults follow scikit-learn (200 iterations, 1e-4).
    public init(
      k: Int, maxIterations: Int = 200, tolerance: Double = 1e-4, initialization: NMFInitialization = .nndsvda
    ) {
      self.k = k
      self.maxIterations = maxIterations
      self.tolerance = tolerance
      self.initialization = initialization
    }
  }

  /// A factorisation with each row's group.
  public struct Result: Sendable {
    /// Number of groups.
    public let k: Int
    /// [rows, k], scaled so that every row of `h` has unit L2 norm (so columns of W are comparable).
    public let w: [Float]
    /// [k, columns], rows of unit L2 norm (a group's channel profile).
    public let h: [Float]
    /// ||A - W H||_F / ||A||_F.
    public let relativeError: Double
    /// Outer iterations run.
    public let iterations: Int
    /// Each row's group: the argmax of its row of W (the lowest index on ties).
    public let groups: [Int32]
    /// Each row's weight on its group divided by the largest weight of any row on that group, in [0, 1].
    public let strength: [Float]
  }

  /// Factors `a`. Deterministic: the same matrix and options give the same result. `cancellation` is
  /// checked before every outer iteration, so a cancelled caller frees the thread within one iteration
  /// (two GEMMs over the matrix and the HALS sweeps: about 0.3 s for 25088 rows x 96 columns at k = 16
  /// on the shared 2-core test machine, 9 iterations in the 3 s before test_shutdown's SIGTERM); then
  /// NMFError `.cancelled` is thrown.
  public static func factor(_ a: NMFMatrix, options: Options, cancellation: CancellationFlag = .never)
    throws(NMFError) -> Result
  {
    let (n, d, k) = (a.rows, a.columns, options.k)
    guard n > 0, d > 0 else { throw NMFError(.invalidParameters, "no data to factor (\(n) rows, \(d) columns)") }
    guard k >= 1, k <= min(n, d) else {
      throw NMFError(
        .invalidParameters,
        "k = \(k) must be between 1 and min(rows, columns) = \(min(n, d)) (\(n) positions, \(d) columns)")
    }
    guard options.maxIterations >= 1 else {
      throw NMFError(.invalidParameters, "max_iter \(options.maxIterations) must be at least 1")
    }
    guard options.tolerance >= 0, options.tolerance.isFinite else {
      throw NMFError(.invalidParameters, "tolerance \(options.tolerance) must be a finite number >= 0")
    }
    let total = a.squaredNorm
    guard total > 0 else { throw NMFError(.invalidParameters, "the data is all zeros: nothing to factor") }
    var (w, h) = initialFactors(a, k: k, options.initialization)
    var p = [Float](repeating: 0, count: n * k)  // A H^T
    var r = [Float](repeating: 0, count: k * d)  // W^T A
    var errors: [Double] = []
    // Sweeps per product: measured on 1960 x 672, k = 6 (the benchmark), 3 and 2 reach a given error in
    // the least time; more sweeps cost more than the products they save.
    let (sweepsW, sweepsH) = (3, 2)
    var iterations = 0
    while iterations < options.maxIterations {
      guard !cancellation.isCancelled else {
        throw NMFError(.cancelled, "NMF cancelled after \(iterations) of at most \(options.maxIterations) iterations")
      }
      iterations += 1
      // W given H: P = A H^T, Q = H H^T.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(d), 1, a.values, Int32(d), h, Int32(d), 0,
        &p, Int32(k))
      let q = gram(h, rows: k, columns: d)
      HALS.updateRows(&w, rows: n, k: k, cross: p, gram: q, maxSweeps: sweepsW)
      // H given W: R = W^T A, S = W^T W.
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(d), Int32(n), 1, w, Int32(k), a.values, Int32(d), 0,
        &r, Int32(d))
      let s = gramOfColumns(w, rows: n, k: k)
      HALS.updateColumns(&h, k: k, columns: d, cross: r, gram: s, maxSweeps: sweepsH)
      // ||A - WH||^2 = ||A||^2 - 2 <H, R> + <S, H H^T>, from what is already computed.
      let hh = gram(h, rows: k, columns: d)
      var cross = 0.0
      for i in 0..<(k * d) { cross += Double(h[i]) * Double(r[i]) }
      var quad = 0.0
      for i in 0..<(k * k) { quad += s[i] * hh[i] }
      errors.append((max(total - 2 * cross + quad, 0) / total).squareRoot())
      if errors.count > 10,
        errors[errors.count - 11] - errors[errors.count - 1] < options.tolerance * 1e-2 * errors[errors.count - 1]
      {
        break
      }
    }
    return finish(a, w: w, h: h, k: k, iterations: iterations, total: total)
  }

  /// Normalises H's rows, assigns groups and strengths, and measures the error exactly.
  private static func finish(_ a: NMFMatrix, w wIn: [Float], h hIn: [Float], k: Int, iterations: Int, total: Double)
    -> Result
  {
    let (n, d) = (a.rows, a.columns)
    var (w, h) = (wIn, hIn)
    for t in 0..<k {
      var nrm = 0.0
      for c in 0..<d { nrm += Double(h[t * d + c]) * Double(h[t * d + c]) }
      nrm = nrm.squareRoot()
      guard nrm > 0 else { continue }
      for c in 0..<d { h[t * d + c] = Float(Double(h[t * d + c]) / nrm) }
      for i in 0..<n { w[i * k + t] = Float(Double(w[i * k + t]) * nrm) }
    }
    var groups = [Int32](repeating: 0, count: n)
    var columnMax = [Float](repeating: 0, count: k)
    for i in 0..<n {
      var best = 0
      for t in 1..<max(k, 1) where w[i * k + t] > w[i * k + best] { best = t }
      groups[i] = Int32(best)
      columnMax[best] = max(columnMax[best], w[i * k + best])
    }
    let strength = (0..<n).map { i -> Float in
      let g = Int(groups[i])
      return columnMax[g] > 0 ? w[i * k + g] / columnMax[g] : 0
    }
    // The reported error is measured on the final factors, not taken from the running estimate.
    var wh = [Float](repeating: 0, count: n * d)
    cblas_sgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(k), 1, w, Int32(k), h, Int32(d), 0, &wh,
      Int32(d))
    var residual = 0.0
    for i in 0..<(n * d) {
      let e = Double(a.values[i]) - Double(wh[i])
      residual += e * e
    }
    return Result(
      k: k, w: w, h: h, relativeError: (residual / total).squareRoot(), iterations: iterations,
      groups: groups, strength: strength)
  }

  /// X X^T for a row-major rows x columns matrix, in double.
  static func gram(_ x: [Float], rows: Int, columns: Int) -> [Double] {
    var g = [Double](repeating: 0, count: rows * rows)
    for s in 0..<rows {
      for t in s..<rows {
        var acc = 0.0
        for c in 0..<columns { acc += Double(x[s * columns + c]) * Double(x[t * columns + c]) }
        (g[s * rows + t], g[t * rows + s]) = (acc, acc)
      }
    }
    return g
  }

  /// W^T W for a row-major rows x k matrix, in double.
  static func gramOfColumns(_ w: [Float], rows: Int, k: Int) -> [Double] {
    var g = [Double](repeating: 0, count: k * k)
    for i in 0..<rows {
      for s in 0..<k {
        let ws = Double(w[i * k + s])
        guard ws != 0 else { continue }
        for t in s..<k { g[s * k + t] += ws * Double(w[i * k + t]) }
      }
    }
    for s in 0..<k { for t in 0..<s { g[s * k + t] = g[t * k + s] } }
    return g
  }
}
