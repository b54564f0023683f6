/// Lays out tiles in a grid, e.g. L layers (rows) x N images (columns) of overlays, with
/// optional column titles above the tiles and row titles to their left, into one image.
///
/// Layout, in pixels (`p` = ``padding``): a margin of `p` all round and a gap of `p` between
/// columns and between rows. Each column is as wide as its widest tile, each row as tall as
/// its tallest (an empty column or row is 0 wide or tall, its gaps remain); smaller tiles are
/// centred in their cell. If any column title is non-empty, a title band `7 * titleScale + p`
/// tall sits above the tiles; if any row title is non-empty, a band as wide as the widest
/// row title plus `p` sits left of them. So the width is
/// `p + rowBand + sum(columnWidths) + (columns - 1) * p + p`, and the height likewise.
/// Column titles are centred over their column and cut to its width (ending in `..`); row
/// titles are left-aligned and vertically centred on their row.
public struct GridComposer: Sendable {
  /// Number of tile rows.
  public let rows: Int
  /// Number of tile columns.
  public let columns: Int
  /// Colour of everything that is not a tile or a title.
  public var background: (UInt8, UInt8, UInt8)
  /// Margin around the grid and gap between tiles and title bands, in pixels (negative
  /// counts as 0).
  public var padding: Int
  /// Titles drawn above the columns, by column index; missing or extra entries are ignored.
  public var columnTitles: [String] = []
  /// Titles drawn left of the rows, by row index; missing or extra entries are ignored.
  public var rowTitles: [String] = []
  /// Colour of the titles; dark gray by default, legible on the default white background.
  public var titleColor: (UInt8, UInt8, UInt8) = (32, 32, 32)
  /// Integer scale of the ``BitmapFont`` titles (1 = 5x7 glyphs).
  public var titleScale: Int = 1

  private var tiles: [RGBImage?]

  /// An empty grid.
  ///
  /// - Precondition: `rows >= 0` and `columns >= 0`.
  public init(
    rows: Int, columns: Int, background: (UInt8, UInt8, UInt8) = (255, 255, 255), padding: Int = 4
  ) {
    precondition(rows >= 0 && columns >= 0, "GridComposer: negative size \(rows)x\(columns)")
    self.rows = rows
    self.columns = columns
    self.background = background
    self.padding = padding
    self.tiles = Array(repeating: nil, count: rows * columns)
  }

  /// Puts `tile` at `(row, column)`, replacing any tile there. Tiles may differ in size.
  ///
  /// - Precondition: `0 <= row < rows`, `0 <= column < columns`.
  public mutating func set(row: Int, column: Int, tile: RGBImage) {
    precondition(
      (0..<rows).contains(row) && (0..<columns).contains(column),
      "GridComposer: cell (\(row), \(column)) outside \(rows)x\(columns)")
    tiles[row * columns + column] = tile
  }

  /// The tile at `(row, column)`, if one was set (nil outside the grid as well).
  public func tile(row: Int, column: Int) -> RGBImage? {
    guard (0..<rows).contains(row), (0..<columns).contains(column) else { return nil }
    return tiles[row * columns + column]
  }

  /// The size ``compose()`` will produce.
  public var size: (width: Int, height: Int) { layout().size }

  /// Where the tile at `(row, column)` lands in the composed image (its own size, centred in
  /// its cell); nil when no tile is set there. Lets a client map a click back to a tile pixel.
  public func frame(row: Int, column: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
    guard let tile = tile(row: row, column: column) else { return nil }
    return layout().frame(of: tile, row: row, column: column)
  }

  /// Renders the grid: background, tiles, then titles.
  public func compose() -> RGBImage {
    let layout = layout()
    var image = RGBImage(
      width: layout.size.width, height: layout.size.height,
      filledWith: (background.0, background.1, background.2))
    for row in 0..<rows {
      for column in 0..<columns {
        guard let tile = tile(row: row, column: column) else { continue }
        let frame = layout.frame(of: tile, row: row, column: column)
        Self.blit(tile, into: &image, x: frame.x, y: frame.y)
      }
    }
    let scale = max(titleScale, 1)
    let textHeight = BitmapFont.glyphHeight * scale
    for (column, title) in columnTitles.prefix(columns).enumerated() where !title.isEmpty {
      let text = BitmapFont.truncated(title, toWidth: layout.columnWidths[column], scale: scale)
      let width = BitmapFont.size(of: text, scale: scale).width
      let x = layout.columnX[column] + (layout.columnWidths[column] - width) / 2
      BitmapFont.draw(text, into: &image, x: x, y: layout.padding, color: titleColor, scale: scale)
    }
    for (row, title) in rowTitles.prefix(rows).enumerated() where !title.isEmpty {
      let y = layout.rowY[row] + (layout.rowHeights[row] - textHeight) / 2
      BitmapFont.draw(title, into: &image, x: layout.padding, y: y, color: titleColor, scale: scale)
    }
    return image
  }

  // MARK: - Internals

  /// Column and row extents and their top-left coordinates in the composed image.
  private struct Layout {
    var padding: Int
    var columnWidths: [Int], rowHeights: [Int]
    var columnX: [Int], rowY: [Int]
    var size: (width: Int, height: Int)

    /// A tile's rectangle: its own size, centred in its cell (rounding up and left).
    func frame(of tile: RGBImage, row: Int, column: Int) -> (x: Int, y: Int, width: Int, height: Int) {
      (
        columnX[column] + (columnWidths[column] - tile.width) / 2,
        rowY[row] + (rowHeights[row] - tile.height) / 2,
        tile.width, tile.height
      )
    }
  }

  private func layout() -> Layout {
    let p = max(padding, 0)
    let scale = max(titleScale, 1)
    let columnWidths = (0..<columns).map { c in
      (0..<rows).map { tile(row: $0, column: c)?.width ?? 0 }.max() ?? 0
    }
    let rowHeights = (0..<rows).map { r in
      (0..<columns).map { tile(row: r, column: $0)?.height ?? 0 }.max() ?? 0
    }
    let hasColumnTitles = columnTitles.prefix(columns).contains { !$0.isEmpty }
    let rowTitleWidth = rowTitles.prefix(rows).map { BitmapFont.size(of: $0, scale: scale).width }.max() ?? 0
    let top = p + (hasColumnTitles ? BitmapFont.glyphHeight * scale + p : 0)
    let left = p + (rowTitleWidth > 0 ? rowTitleWidth + p : 0)
    // Running sums: each cell starts one gap after the previous one ends.
    let columnX = columnWidths.indices.map { c in left + columnWidths[..<c].reduce(0, +) + c * p }
    let rowY = rowHeights.indices.map { r in top + rowHeights[..<r].reduce(0, +) + r * p }
    let width = left + columnWidths.reduce(0, +) + max(columns - 1, 0) * p + p
    let height = top + rowHeights.reduce(0, +) + max(rows - 1, 0) * p + p
    return Layout(
      padding: p, columnWidths: columnWidths, rowHeights: rowHeights,
      columnX: columnX, rowY: rowY, size: (width, height))
  }

  /// Copies `tile` row by row into `image` at `(x, y)`; the layout guarantees it fits.
  private static func blit(_ tile: RGBImage, into image: inout RGBImage, x: Int, y: Int) {
    guard tile.isWellFormed, tile.width > 0 else { return }
    let rowBytes = tile.width * 3
    let stride = image.width  // read before the pixels are borrowed mutably
    tile.pixels.withUnsafeBufferPointer { source in
      image.pixels.withUnsafeMutableBufferPointer { target in
        for row in 0..<tile.height {
          let from = source.baseAddress! + row * rowBytes
          let to = target.baseAddress! + ((y + row) * stride + x) * 3
          to.update(from: from, count: rowBytes)
        }
      }
    }
  }
}
