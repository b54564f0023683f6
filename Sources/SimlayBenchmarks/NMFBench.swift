import Foundation
import SimlayClient
import SimlayCore
import SimlayEngine

/// The daemon's NMF solver in-process on a saved matrix, so a benchmark can compare it with another solver
/// on exactly the same data.
public enum NMFBench {
  /// What a run measured (one JSON object).
  public struct Report: Encodable, Sendable {
    public var medianS: Double
    public var minS: Double
    public var relativeError: Double
    public var iterations: Int

    enum CodingKeys: String, CodingKey {
      case medianS = "median_s", minS = "min_s", relativeError = "relative_error", iterations
    }
  }

  /// Factors the float32 `[rows, columns]` .npy at `matrix` `runs` times into `k` groups on one BLAS thread
  /// (as the daemon does: thin products run best on one thread); writes the last run's W.npy and H.npy
  /// into `outDir` when given.
  public static func run(
    matrix: String, k: Int, maxIterations: Int, tolerance: Double, runs: Int, outDir: String?
  ) throws -> Report {
    let t = try NPY.read(matrix)
    guard t.rank == 2, t.dataType == .float32 else {
      throw ClientError(.usage, "\(matrix): expected a float32 matrix [rows, columns], got \(t.dataType) \(t.shape)")
    }
    let a = NMFMatrix(rows: t.shape[0], columns: t.shape[1], values: t.withFloats { Array($0) })
    guard a.values.allSatisfy({ $0 >= 0 }) else { throw ClientError(.usage, "\(matrix): has negative values") }
    ExecutionContext(threads: 1).configureBLASThreads()
    var times: [Double] = []
    var last: NMF.Result?
    for _ in 0..<max(runs, 1) {
      let start = ContinuousClock.now
      last = try NMF.factor(a, options: .init(k: k, maxIterations: maxIterations, tolerance: tolerance))
      let d = ContinuousClock.now - start
      times.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    times.sort()
    guard let r = last else { throw ClientError(.usage, "no NMF run") }
    if let outDir {
      let dir = URL(fileURLWithPath: outDir)
      try NPY.write(Tensor(shape: [a.rows, k], floats: r.w), to: dir.appendingPathComponent("W.npy").path)
      try NPY.write(Tensor(shape: [k, a.columns], floats: r.h), to: dir.appendingPathComponent("H.npy").path)
    }
    return Report(
      medianS: times[times.count / 2], minS: times[0], relativeError: Double(r.relativeError), iterations: r.iterations)
  }
}
