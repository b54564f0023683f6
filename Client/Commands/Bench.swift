import ArgumentParser
import Foundation
@_spi(Testing) import SimlayEngine

/// `simlay bench`: benchmarks. `forward` times the in-process forward pass; `query` (BenchQuery.swift)
/// load-tests the daemon.
struct Bench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Benchmarks.", subcommands: [Forward.self, Query.self, Compute.self, NMFSolve.self])

  /// `simlay bench forward`: median and p90 of whole forward passes on a random input.
  struct Forward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time forward passes; prints one JSON line.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Threads.") var threads: Int = 1
    @Option(help: "Timed runs (after warm-up).") var runs: Int = 50
    @Option(help: "Batch size.") var batch: Int = 1
    @Option(help: "Warm-up runs.") var warmup: Int = 5
    @Flag(help: "Print the time per operator kind to stderr after each pass.") var profile = false
    @Flag(help: "With --profile, key the timings by output shape and window too.") var profileShapes = false
    @Flag(help: "Turn depthwise-block fusion off (for comparisons).") var noBlockFusion = false

    func run() async throws {
      try await reportingErrors {
        let model = try modelOptions.load()
        let p = try modelOptions.pipeline(for: model).preprocessing
        let shape = [max(batch, 1), 3, p.height, p.width]
        // A fixed linear congruential sequence in [-1, 1): the system generator made one getrandom call per
        // value, half a second of start-up at batch 8.
        var state: UInt64 = 0x5EED
        let input = Tensor(
          shape: shape,
          floats: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 23) - 1
          })
        let context = ExecutionContext(
          threads: threads, blockFusion: !noBlockFusion, profile: profile || profileShapes,
          profileShapes: profileShapes)
        let output = model.outputNames
        for _ in 0..<max(warmup, 1) { _ = try model.run(input, keep: output, context: context) }
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<max(runs, 1) {
          let t = clock.measure { _ = try? model.run(input, keep: output, context: context) }
          times.append(Double(t.components.attoseconds) / 1e15 + Double(t.components.seconds) * 1e3)
        }
        times.sort()
        func pct(_ q: Double) -> Double { times[min(times.count - 1, Int((Double(times.count - 1) * q).rounded()))] }
        let json: [String: Any] = [
          "model": try modelOptions.modelPath(), "threads": context.threads, "batch": shape[0], "runs": times.count,
          "input": shape, "median_ms": pct(0.5), "p90_ms": pct(0.9), "min_ms": times[0],
          "mean_ms": times.reduce(0, +) / Double(times.count),
          // Times the pool found its workers no help (descheduled) and ran loops on the caller alone.
          "pool_fallbacks": ExecutionContext.poolFallbackCount,
          // Of the chunks offered to the workers, the fraction they ran (0.5 at 2 threads when they keep up).
          "pool_worker_share": (ExecutionContext.poolWorkerShare * 1000).rounded() / 1000,
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
      }
    }
  }
}
