import ArgumentParser
import Foundation
import SimlayBenchmarks
import SimlayCore

extension Bench {
  /// `simlay bench compute`: the daemon's per-query similarity maths in-process (see `ComputeBench`).
  struct Compute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Time the similarity maths of one query over N images' cached activations; prints one JSON line.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Layer.") var layer: String
    @Option(help: "Metric: cosine, dot or euclidean.") var metric: String = "cosine"
    @Option(help: "Queries to time.") var queries: Int = 2000
    @Argument(help: "Images (the targets of every query).") var images: [String]

    func run() async throws {
      try await reportingErrors {
        guard let metric = SimilarityMetric(rawValue: metric) else {
          throw CLIError("--metric must be cosine, dot or euclidean")
        }
        let model = try modelOptions.load()
        let report = try ComputeBench.run(
          model: model, pipeline: try modelOptions.pipeline(for: model), layer: layer, images: images,
          maxPixels: modelOptions.maxPixels, metric: metric, queries: queries)
        print(try JSONOutput.line(report))
      }
    }
  }

  /// `simlay bench nmf`: the daemon's NMF solver in-process on a saved matrix (see `NMFBench`).
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
        let report = try NMFBench.run(
          matrix: matrix, k: k, maxIterations: maxIter, tolerance: tolerance, runs: runs, outDir: outDir)
        print(try JSONOutput.line(report))
      }
    }
  }
}
