import SimlayCore
import SimlayImaging
import SimlayProto

extension DaemonState {
  /// Renders answers as a grid: one row per layer, one column per target image; the query's cells are
  /// outlined in yellow on the query's image.
  func render(answers: [LayerAnswer], targets: [StoredImage], queryImage: StoredImage?, metric: Simlay_V1_Metric,
              options: Simlay_V1_RenderOptions) throws -> RGBImage {
    let tileSize = try tileSize(options)
    let opacity = try opacity(options)
    let colormap = try colormap(options)
    let upsample: MapResize
    switch options.upsample {
    case .nearest: upsample = .nearest
    case .bilinear: upsample = .bilinear
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown upsample mode \(v)")
    }
    let range = try valueRange(of: answers.flatMap(\.maps), metric: metric, colormap: colormap, options: options)
    let style = OverlayStyle(colormap: colormap, upsample: upsample, opacity: opacity, valueRange: range)
    let tiles = targets.map { ImageScaler.fit($0.image, longestSide: tileSize) }
    var grid = GridComposer(rows: answers.count, columns: targets.count)
    if !options.noTitles {
      grid.columnTitles = targets.map(\.name)
      grid.rowTitles = answers.map { queryImage == nil ? "\($0.layer) (group centroid)" : "\($0.layer) (\($0.cells.y0),\($0.cells.x0))" }
    }
    for (r, answer) in answers.enumerated() {
      let plane = answer.height * answer.width
      for (c, target) in targets.enumerated() {
        let map = Array(answer.maps[(c * plane)..<((c + 1) * plane)])
        let outline = target.id == queryImage?.id
          ? CellRect(y0: answer.cells.y0, x0: answer.cells.x0, y1: answer.cells.y1, x1: answer.cells.x1) : nil
        grid.set(row: r, column: c, tile: OverlayRenderer.render(image: tiles[c], map: map, mapHeight: answer.height,
                                                                 mapWidth: answer.width, style: style, outline: outline))
      }
    }
    return grid.compose()
  }

  /// The tile size of `options` (0 = 256), checked against the daemon's limit.
  func tileSize(_ options: Simlay_V1_RenderOptions) throws -> Int {
    let tileSize = options.tileSize == 0 ? 256 : Int(options.tileSize)
    guard tileSize >= 8, tileSize <= configuration.maxTileSize else {
      throw ServiceError(.invalidArgument, "tile_size \(tileSize) must be between 8 and \(configuration.maxTileSize)")
    }
    return tileSize
  }

  /// The colormap of `options`, or INVALID_ARGUMENT for a value this daemon does not know.
  func colormap(_ options: Simlay_V1_RenderOptions) throws -> Colormap {
    switch options.colormap {
    case .mask: return .mask
    case .viridis: return .viridis
    case .diverging: return .diverging
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown colormap \(v)")
    }
  }

  /// The overlay opacity of `options` (0 = 0.6), checked to lie in (0, 1].
  func opacity(_ options: Simlay_V1_RenderOptions) throws -> Float {
    let opacity = options.opacity == 0 ? 0.6 : options.opacity
    guard opacity > 0, opacity <= 1 else { throw ServiceError(.invalidArgument, "opacity \(options.opacity) must be in (0, 1]") }
    return opacity
  }

  /// The values mapped to the colormap's ends: the caller's, else the metric's natural range.
  func valueRange(of values: [Float], metric: Simlay_V1_Metric, colormap: Colormap,
                  options: Simlay_V1_RenderOptions) throws -> ClosedRange<Float> {
    if options.valueMin != 0 || options.valueMax != 0 {
      guard options.valueMin < options.valueMax else {
        throw ServiceError(.invalidArgument, "value_min \(options.valueMin) must be below value_max \(options.valueMax)")
      }
      return options.valueMin...options.valueMax
    }
    if metric == .cosine { return colormap == .diverging ? -1...1 : 0...1 }
    let finite = values.filter(\.isFinite)
    guard var lo = finite.min(), var hi = finite.max() else { return 0...1 }
    if colormap == .diverging {
      let m = max(abs(lo), abs(hi))
      (lo, hi) = (-m, m)
    }
    return lo < hi ? lo...hi : lo...(lo + 1)
  }
}
