import Foundation
import SimlayClient
import SimlayCore
import SimlayEngine
import SimlayImaging

/// The daemon's per-query similarity maths, in-process, on real activations: the server-side compute the
/// daemon benchmark compares with numpy (scripts/bench_daemon.py).
public enum ComputeBench {
  /// What a run measured (one JSON object).
  public struct Report: Encodable, Sendable {
    public var layer: String
    public var metric: String
    public var images: Int
    public var queries: Int
    /// `[H, W, C]` of the first image's grid.
    public var grid: [Int]
    public var secondsPerQuery: Double
    public var usPerQuery: Double

    enum CodingKeys: String, CodingKey {
      case layer, metric, images, queries, grid
      case secondsPerQuery = "seconds_per_query", usPerQuery = "us_per_query"
    }
  }

  /// Decodes `images`, runs `model` to `layer` on each, then times `queries` queries over their grids on
  /// one BLAS thread (as the daemon runs them). A layer that is not a grid of cells is a `ClientError`.
  public static func run(
    model: Model, pipeline: InputPipeline, layer: String, images: [String], maxPixels: Int,
    metric: SimilarityMetric, queries: Int
  ) throws -> Report {
    let grids = try images.map { path in
      let image = try ImageDecoder.decode(contentsOf: path, maxPixels: maxPixels)
      let input = pipeline.tensor(for: [image])
      guard let t = try model.run(input, keep: [layer])[layer] else {
        throw ClientError(.usage, "the model has no layer '\(layer)' (see `simlay layers`)")
      }
      guard let grid = LayerGrid.infer(shape: t.shape, inputHeight: input.shape[2], inputWidth: input.shape[3]) else {
        throw ClientError(.usage, "layer '\(layer)' is not a grid of cells (see `simlay layers`)")
      }
      return ActivationGrid(tensor: t, grid: grid)
    }
    guard let first = grids.first else { throw ClientError(.usage, "give at least one IMAGE") }
    ExecutionContext(threads: 1).configureBLASThreads()
    let result = SimilarityBench.run(grids: grids, queries: max(queries, 1), metric: metric)
    return Report(
      layer: layer, metric: metric.rawValue, images: grids.count, queries: queries,
      grid: [first.height, first.width, first.depth],
      secondsPerQuery: result.secondsPerQuery, usPerQuery: result.secondsPerQuery * 1e6)
  }
}
