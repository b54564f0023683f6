import ArgumentParser
import Foundation
import SimlayCore
import SimlayEngine

extension Bench {
  /// `simlay bench nmf`: the daemon's NMF solver in-process on a saved matrix, so a benchmark can compare it
  /// with another solver on exactly the same data.
  struct NMFSolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "nmf", abstract: "Time the NMF solver on a float32 [rows, columns] .npy; prints one JSON line.")

    @Option(help: "A non-negative float32 matrix [rows, columns] (.npy).") var matrix: String
    @Option(name: .customLong("k"), help: "Number of groups.") var k: Int
    @Option(name: .customLong("max-iter"), help: "Iteration budget.") var maxIter: Int = 200
    @Option(help: "Tolerance.") var tolerance: Double = 1e-4
    @Option(help: "Timed runs.") var runs: Int = 5
    @Option(name: .customLong("out-dir"), help: "Write the last run's W.npy and H.npy here.") var outDir: String?

    func run() async throws {
      try await reportingErrors {
        let t = try NPY.read(matrix)
        guard t.rank == 2, t.dataType == .float32 else {
          throw CLIError("\(matrix): expected a float32 matrix [rows, columns], got \(t.dataType) \(t.shape)")
        }
        let a = NMFMatrix(rows: t.shape[0], columns: t.shape[1], values: t.withFloats { Array($0) })
        guard a.values.allSatisfy({ $0 >= 0 }) else { throw CLIError("\(matrix): has negative values") }
        ExecutionContext(threads: 1).configureBLASThreads()  // as in the daemon: thin products run best on one thread
        var times: [Double] = []
        var result: SimlayCore.NMF.Result?
        for _ in 0..<max(runs, 1) {
          let start = ContinuousClock.now
          result = try SimlayCore.NMF.factor(a, options: .init(k: k, maxIterations: maxIter, tolerance: tolerance))
          let d = ContinuousClock.now - start
          times.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        times.sort()
        let r = result!
        if let outDir {
          try NPY.write(Tensor(shape: [a.rows, k], floats: r.w), to: URL(fileURLWithPath: outDir).appendingPathComponent("W.npy").path)
          try NPY.write(Tensor(shape: [k, a.columns], floats: r.h), to: URL(fileURLWithPath: outDir).appendingPathComponent("H.npy").path)
        }
        print("{\"median_s\": \(times[times.count / 2]), \"min_s\": \(times[0]), \"relative_error\": \(r.relativeError), \"iterations\": \(r.iterations)}")
      }
    }
  }
}
