import Foundation
import SimlayCore
import SimlayImaging
import SimlayProto

extension DaemonState {
  /// The groups PNG of `answer` (see `renderGroups`), rendered and encoded on the compute executor;
  /// OUT_OF_RANGE for a highlight that is not a group.
  func renderedGroups(_ answer: NMFAnswer, style: RenderStyle, highlight: Int?) async throws -> [UInt8] {
    if let highlight, !(0..<answer.k).contains(highlight) {
      throw ServiceError(
        .outOfRange, "highlight_group \(highlight) is not a group: k = \(answer.k) (groups 0..<\(answer.k))")
    }
    try checkRenderPixels(tiles: answer.images.count, tileSize: style.tileSize, what: "the NMF groups image")
    return try await executor.runCancellable { cancellation in
      try PNGEncoder.encode(self.renderGroups(answer, style: style, highlight: highlight, cancellation: cancellation))
    }
  }

  /// One tile per image with its positions tinted by group (opacity by strength), titled, and a legend
  /// row: "group g: n positions". With `highlight`, only that group is tinted, in every image.
  func renderGroups(
    _ answer: NMFAnswer, style: RenderStyle, highlight: Int?, cancellation: CancellationFlag = .never
  ) throws -> RGBImage {
    let (tileSize, opacity) = (style.tileSize, style.opacity)
    let plane = answer.height * answer.width
    var grid = GridComposer(rows: 1, columns: answer.images.count)
    if style.titles { grid.columnTitles = answer.images.map(\.name) }
    for (i, image) in answer.images.enumerated() {
      try cancellation.check()
      let tile = ImageScaler.fit(image.image, longestSide: tileSize)
      let cells = (i * plane)..<((i + 1) * plane)
      grid.set(
        row: 0, column: i,
        tile: GroupOverlay.render(
          image: tile, groups: Array(answer.groups[cells]), strength: Array(answer.strength[cells]),
          gridHeight: answer.height, gridWidth: answer.width, opacity: opacity, highlight: highlight))
    }
    let top = grid.compose()
    var counts = [Int](repeating: 0, count: answer.k)
    for g in answer.groups { counts[Int(g)] += 1 }
    let entries = (0..<answer.k).filter { highlight == nil || $0 == highlight }.map {
      (group: $0, label: "group \($0): \(counts[$0]) positions")
    }
    let title = "NMF \(answer.layer), k = \(answer.k), error \(String(format: "%.3f", answer.relativeError)):"
    var legend = GroupOverlay.legend(entries, width: top.width)
    var heading = RGBImage(width: top.width, height: BitmapFont.glyphHeight + 6, filledWith: (255, 255, 255))
    BitmapFont.draw(title, into: &heading, x: 4, y: 3, color: (32, 32, 32))
    legend = GroupOverlay.stack(heading, legend)
    return GroupOverlay.stack(top, legend)
  }
}
