import SimlayCore
import SimlayEngine

/// Limits on what one page may hold. The all-pairs matrix of a layer grows with the square of its cell
/// count (all images together): 4096 cells are a 64 MB float matrix while it is computed and 8.4 MB of
/// 8-bit codes before compression, about as much as a browser tab should hold per layer.
@_spi(Testing) public enum ViewerLimits {
  /// Most cells (images x H x W) of one layer.
  public static let maxCellsPerLayer = 4096
  /// Most cells over all layers of one page.
  public static let maxCellsTotal = 8192

  /// Throws RESOURCE_EXHAUSTED naming the layer, its cell count and the limit when a page would be too large.
  static func check(layers: [(name: String, height: Int, width: Int)], images: Int) throws {
    var total = 0
    for l in layers {
      let cells = images * l.height * l.width
      guard cells <= maxCellsPerLayer else {
        throw ServiceError(
          .resourceExhausted,
          "layer '\(l.name)' has \(images) x \(l.height) x \(l.width) = \(cells) cells; the viewer's all-pairs matrix is limited to \(maxCellsPerLayer) cells per layer: use fewer images or a coarser layer"
        )
      }
      total += cells
    }
    guard total <= maxCellsTotal else {
      throw ServiceError(
        .resourceExhausted,
        "the layers have \(total) cells in all; the viewer is limited to \(maxCellsTotal) cells over all layers: use fewer images or fewer or coarser layers"
      )
    }
  }
}

/// One layer's all-pairs similarity over every cell of every image.
enum ViewerAllPairs {
  /// The [M, M] matrix (M = N*H*W, cells image-major) for grids of one layer, one per image. The grids
  /// are stacked into a single N*H x W grid so that cosine and dot are ONE matrix product
  /// (`SimilarityMap.allPairs`), rather than N^2 small ones.
  static func matrix(of grids: [ActivationGrid], metric: SimilarityMetric) -> (matrix: [Float], cells: Int) {
    guard let first = grids.first else { return ([], 0) }
    let (h, w, d) = (first.height, first.width, first.depth)
    let plane = h * w
    let cells = grids.count * plane
    // CHW layout of the stacked grid: channel k's plane holds every image's cells in order.
    var chw = [Float](repeating: 0, count: d * cells)
    for (i, g) in grids.enumerated() {
      for y in 0..<h {
        for x in 0..<w {
          let v = g.vector(y: y, x: x)
          let cell = i * plane + y * w + x
          for k in 0..<d { chw[k * cells + cell] = v[k] }
        }
      }
    }
    let stacked = ActivationGrid(height: grids.count * h, width: w, depth: d, chw: chw)
    return (SimilarityMap.allPairs(source: stacked, target: stacked, metric: metric), cells)
  }
}
