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

/// What a sweep's transform acts on: the model input (the squashed square) or the original photo.
enum SweepSpace: String, Sendable {
  case input, photo
}

/// One query of a sweep: its cells on the untransformed grid (the vector: one cell, or a region's mean)
/// and the exact point tracked through the transforms.
struct SweepQuery: Sendable {
  /// Cells y0..<y1, x0..<x1 of the untransformed grid.
  var cells: LayerAnswer.Region
  /// A pixel query's point in the photo's continuous pixel coordinates; nil for cells and regions, whose
  /// point is their centre.
  var pixel: (y: Double, x: Double)?
  /// The legend's name ("q0", "q1", ... where the request gave none).
  var label: String

  /// The point in continuous pixels of an image of `height` x `width` that the grid (`gridHeight` x
  /// `gridWidth`) covers and that the photo (`photoHeight` x `photoWidth`) was squashed to (or is).
  /// Multiplying before dividing keeps a stride-16 cell centre exact.
  func point(height: Int, width: Int, gridHeight: Int, gridWidth: Int, photoHeight: Int, photoWidth: Int) -> (
    y: Double, x: Double
  ) {
    if let pixel {
      return (y: pixel.y * Double(height) / Double(photoHeight), x: pixel.x * Double(width) / Double(photoWidth))
    }
    return (
      y: Double(cells.y0 + cells.y1) * Double(height) / Double(2 * gridHeight),
      x: Double(cells.x0 + cells.x1) * Double(width) / Double(2 * gridWidth)
    )
  }

  /// How the chart's legend shows the query: "(y,x)", "(y0,x0)-(y1,x1)" or "@px,py".
  var text: String {
    if let pixel { return "@\(SweepQuery.compact(pixel.x)),\(SweepQuery.compact(pixel.y))" }
    let c = cells
    return c.y1 - c.y0 == 1 && c.x1 - c.x0 == 1 ? "(\(c.y0),\(c.x0))" : "(\(c.y0),\(c.x0))-(\(c.y1),\(c.x1))"
  }

  /// A number without a trailing ".0".
  static func compact(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
  }
}

/// Where one query went at one step: the tracked cell, the map there, and (with a track radius) the
/// best cell near it.
struct SweepTrack: Sendable {
  var cell: TransformTracking.Tracked
  var similarity: Float
  var best: (y: Int, x: Int, value: Float)?
}

/// A validated Sweep request: the decode step's output, the compute step's input.
struct SweepJob: Sendable {
  var model: LoadedModel
  var layer: GridLayer
  var image: StoredImage
  var kind: SweepKind
  /// One transform per parameter, in request order.
  var transforms: [SweepTransform]
  /// The queries, `queries` then `query_points`.
  var queries: [SweepQuery]
  /// Where the transforms act.
  var space: SweepSpace
  /// Report the best cell within this Chebyshev radius of each tracked cell; nil = not asked.
  var trackRadius: Int?
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
  var queries: [SweepQuery]
  /// Per step: Q maps of height * width values, query-major.
  var maps: [[Float]]
  /// Per step, per query.
  var tracked: [[SweepTrack]]
}

/// A Sweep answer with the pictures asked for, PNG-encoded.
struct SweepResult {
  var answer: SweepAnswer
  var chartPNG: [UInt8]?
  var stripPNG: [UInt8]?
}
