import SimlayCore
import SimlayEngine
import SimlayImaging

/// What a sweep varies: the input's rotation about its centre (degrees) or a centred crop-and-resize (scale).
enum SweepKind: String, Sendable {
  case rotate, scale
}

/// What fills the input outside the transformed image.
enum SweepFill: String, Sendable {
  /// The dataset mean: zero after normalisation.
  case mean
  /// Black pixels: `-mean / std` after normalisation.
  case black
}

/// A validated Sweep request: the decode step's output, the compute step's input.
struct SweepJob: Sendable {
  var model: LoadedModel
  var layer: GridLayer
  var image: StoredImage
  var kind: SweepKind
  /// One transform per parameter, in request order.
  var transforms: [SweepTransform]
  /// The query cells on the untransformed grid.
  var queries: [(y: Int, x: Int)]
  /// One label per query ("q0", "q1", ... where the request gave none).
  var labels: [String]
  var metric: SimilarityMetric
  /// Whether to draw the line chart.
  var chart: Bool
  /// The strip's style, nil for no strip.
  var strip: RenderStyle?
}

/// A computed sweep, before packing: per step the maps of every query and the tracked cells.
struct SweepAnswer: Sendable {
  var layer: String
  var height: Int
  var width: Int
  var transforms: [SweepTransform]
  /// The query cells on the untransformed grid.
  var queries: [(y: Int, x: Int)]
  var labels: [String]
  /// Per step: Q maps of height * width values, query-major.
  var maps: [[Float]]
  /// Per step, per query.
  var tracked: [[(cell: TransformTracking.Tracked, similarity: Float)]]
}

/// A Sweep answer with the pictures asked for, PNG-encoded.
struct SweepResult {
  var answer: SweepAnswer
  var chartPNG: [UInt8]?
  var stripPNG: [UInt8]?
}
