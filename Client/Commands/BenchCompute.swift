import ArgumentParser
import Foundation
import SimlayCore
import SimlayEngine
import SimlayImaging

extension Bench {
  /// `simlay bench compute`: the daemon's per-query similarity maths, in-process, on real activations —
  /// the server-side compute the daemon benchmark compares with numpy (scripts/bench_daemon.py).
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
        guard let metric = SimilarityMetric(rawValue: metric) else { throw CLIError("--metric must be cosine, dot or euclidean") }
        let model = try modelOptions.load()
        let pipeline = try modelOptions.pipeline(for: model)
        let grids = try images.map { path in
          let image = try ImageDecoder.decode(contentsOf: path, maxPixels: modelOptions.maxPixels)
          let input = pipeline.tensor(for: [image])
          let t = try model.run(input, keep: [layer])[layer]!
          guard let grid = LayerGrid.infer(shape: t.shape, inputHeight: input.shape[2], inputWidth: input.shape[3]) else {
            throw CLIError("layer '\(layer)' is not a grid of cells (see `simlay layers`)")
          }
          return ActivationGrid(tensor: t, grid: grid)
        }
        ExecutionContext(threads: 1).configureBLASThreads()
        let result = SimilarityBench.run(grids: grids, queries: max(queries, 1), metric: metric)
        let json: [String: Any] = [
          "layer": layer, "metric": metric.rawValue, "images": grids.count, "queries": queries,
          "grid": [grids[0].height, grids[0].width, grids[0].depth],
          "seconds_per_query": result.secondsPerQuery, "us_per_query": result.secondsPerQuery * 1e6,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
      }
    }
  }
}
