import Foundation
import SimlayCore
import SimlayImaging
import SimlayProto

extension DaemonState {
  /// Renders answers as a grid: one row per layer, one column per target image; the query's cells are
  /// outlined in yellow on the query's image. `cancellation` is checked before every tile.
  func render(
    answers: [LayerAnswer], targets: [StoredImage], queryImage: StoredImage?, metric: SimilarityMetric,
    style: RenderStyle, cancellation: CancellationFlag = .never
  ) throws -> RGBImage {
    let overlay = style.overlayStyle(for: answers.flatMap(\.maps), metric: metric)
    let tiles = try targets.map {
      try cancellation.check()
      return ImageScaler.fit($0.image, longestSide: style.tileSize)
    }
    var grid = GridComposer(rows: answers.count, columns: targets.count)
    if style.titles {
      grid.columnTitles = targets.map(\.name)
      grid.rowTitles = answers.map {
        queryImage == nil ? "\($0.layer) (group centroid)" : "\($0.layer) (\($0.cells.y0),\($0.cells.x0))"
      }
    }
    for (r, answer) in answers.enumerated() {
      let plane = answer.height * answer.width
      for (c, target) in targets.enumerated() {
        try cancellation.check()
        let map = Array(answer.maps[(c * plane)..<((c + 1) * plane)])
        let outline =
          target.id == queryImage?.id
          ? CellRect(y0: answer.cells.y0, x0: answer.cells.x0, y1: answer.cells.y1, x1: answer.cells.x1) : nil
        grid.set(
          row: r, column: c,
          tile: OverlayRenderer.render(
            image: tiles[c], map: map, mapHeight: answer.height,
            mapWidth: answer.width, style: overlay, outline: outline))
      }
    }
    return grid.compose()
  }

  /// The overlay grid of `answers` as a `RenderedImage` PNG, rendered and encoded on the compute executor
  /// (a 4-layer x 8-image grid at 256 px is tens of milliseconds of pixel work: not for the RPC threads).
  func renderedOverlay(
    answers: [LayerAnswer], targets: [StoredImage], queryImage: StoredImage?, metric: SimilarityMetric,
    style: RenderStyle
  ) async throws -> Simlay_V1_RenderedImage {
    try checkRenderPixels(tiles: answers.count * targets.count, tileSize: style.tileSize, what: "the overlay grid")
    return try await executor.runCancellable { cancellation in
      let image = try self.render(
        answers: answers, targets: targets, queryImage: queryImage, metric: metric, style: style,
        cancellation: cancellation)
      let png = try PNGEncoder.encode(image)
      return Simlay_V1_RenderedImage.with {
        $0.png = Data(png)
        $0.width = Int32(image.width)
        $0.height = Int32(image.height)
      }
    }
  }
}
