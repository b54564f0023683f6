import SimlayCore
import SimlayImaging

extension DaemonState {
  /// Renders answers as a grid: one row per layer, one column per target image; the query's cells are
  /// outlined in yellow on the query's image (or in column `queryColumn`, when rows hold different ids of
  /// the same photos, as CompareModels' do), `boxes` (top-K matches of a one-layer answer) in cyan.
  /// `rowTitles` replace the layer names. `cancellation` is checked before every tile.
  func render(
    answers: [LayerAnswer], targets: [StoredImage], queryImage: StoredImage?, metric: SimilarityMetric,
    style: RenderStyle, queryColumn: Int? = nil, rowTitles: [String]? = nil, boxes: [TopMatch] = [],
    cancellation: CancellationFlag = .never
  ) throws -> RGBImage {
    let overlay = style.overlayStyle(for: answers.flatMap(\.maps), metric: metric)
    let tiles = try targets.map {
      try cancellation.check()
      return ImageScaler.fit($0.image, longestSide: style.tileSize)
    }
    var grid = GridComposer(rows: answers.count, columns: targets.count)
    if style.titles {
      grid.columnTitles = targets.map(\.name)
      grid.rowTitles = answers.enumerated().map { r, a in
        let name = rowTitles?[r] ?? a.layer
        return queryImage == nil && queryColumn == nil
          ? "\(name) (group centroid)" : "\(name) (\(a.cells.y0),\(a.cells.x0))"
      }
    }
    for (r, answer) in answers.enumerated() {
      let plane = answer.height * answer.width
      for (c, target) in targets.enumerated() {
        try cancellation.check()
        let map = Array(answer.maps[(c * plane)..<((c + 1) * plane)])
        let outline =
          (queryColumn.map { $0 == c } ?? (target.id == queryImage?.id))
          ? CellRect(y0: answer.cells.y0, x0: answer.cells.x0, y1: answer.cells.y1, x1: answer.cells.x1) : nil
        let matches = boxes.filter { $0.image == c }.map { CellRect(y: $0.y, x: $0.x) }
        grid.set(
          row: r, column: c,
          tile: OverlayRenderer.render(
            image: tiles[c], map: map, mapHeight: answer.height,
            mapWidth: answer.width, style: overlay, outline: outline, boxes: matches))
      }
    }
    return grid.compose()
  }

  /// The overlay grid of `answers` as a PNG, rendered and encoded on the compute executor
  /// (a 4-layer x 8-image grid at 256 px is tens of milliseconds of pixel work: not for the RPC threads).
  func renderedOverlay(
    answers: [LayerAnswer], targets: [StoredImage], queryImage: StoredImage?, metric: SimilarityMetric,
    style: RenderStyle, queryColumn: Int? = nil, rowTitles: [String]? = nil, boxes: [TopMatch] = []
  ) async throws -> RenderedPNG {
    try checkRenderPixels(tiles: answers.count * targets.count, tileSize: style.tileSize, what: "the overlay grid")
    return try await executor.runCancellable { cancellation in
      let image = try self.render(
        answers: answers, targets: targets, queryImage: queryImage, metric: metric, style: style,
        queryColumn: queryColumn, rowTitles: rowTitles, boxes: boxes, cancellation: cancellation)
      let png = try PNGEncoder.encode(image)
      return RenderedPNG(png: png, width: image.width, height: image.height)
    }
  }
}

/// A rendered picture, PNG-encoded, with its size.
struct RenderedPNG: Sendable {
  var png: [UInt8]
  var width: Int
  var height: Int
}
