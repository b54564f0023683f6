import SimlayCore
import SimlayEngine

/// Maps of one layer for N target images, with the query's resolved cells.
struct LayerAnswer: Sendable {
  var layer: String
  var height: Int
  var width: Int
  /// N * height * width values, target-major.
  var maps: [Float]
  /// The query's cells on the grid (one cell unless the query was a region).
  var cells: Region
  struct Region: Sendable { var y0, x0, y1, x1: Int }
}

/// A validated Similarity request: the decode step's output, the compute step's input.
struct SimilarityQuery: Sendable {
  /// Where the query vector comes from.
  enum Source: Sendable {
    /// The mean of `cells` (one cell unless a region) on `image`'s grid.
    case cells(image: StoredImage, cells: LayerAnswer.Region)
    /// The centroid of group `group` of the factorisation `job`.
    case group(job: NMFJob, group: Int32)
  }
  var model: LoadedModel
  var layer: GridLayer
  var source: Source
  var targets: [StoredImage]
  var metric: SimilarityMetric
  /// The top-K matches asked for, if any.
  var top: TopRequest? = nil
}

/// A validated LayerSync request: the point's cell on each layer's grid.
struct SyncQuery: Sendable {
  var model: LoadedModel
  var layers: [GridLayer]
  var pointImage: StoredImage
  /// Per layer, in order: the cell under the point.
  var cells: [LayerAnswer.Region]
  var targets: [StoredImage]
  var metric: SimilarityMetric
}

/// A Similarity answer with what rendering it needs.
struct SimilarityResult {
  var targets: [StoredImage]
  /// Nil for an NMF group query (a centroid has no cell to outline).
  var queryImage: StoredImage?
  var metric: SimilarityMetric
  var answer: LayerAnswer
  /// For the client to show (an all-zero query vector).
  var warnings: [String] = []
}

/// A LayerSync answer: one `LayerAnswer` per requested layer, in order.
struct SyncResult {
  var targets: [StoredImage]
  var pointImage: StoredImage
  var metric: SimilarityMetric
  var answers: [LayerAnswer]
  /// For the client to show (the point's vector is all zero on a layer).
  var warnings: [String] = []
}
