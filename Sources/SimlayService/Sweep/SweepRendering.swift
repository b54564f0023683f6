import SimlayCore
import SimlayImaging

extension DaemonState {
  /// The sweep's line chart: similarity at each query's tracked cell vs the parameter; steps where the cell
  /// left the grid are omitted (the line breaks there).
  func sweepChart(_ answer: SweepAnswer, kind: SweepKind, metric: SimilarityMetric) -> RGBImage {
    let params = answer.transforms.map(\.param)
    return SweepChart.render(
      title: "\(answer.layer): tracked-patch similarity (\(metric))", rotate: kind == .rotate,
      curves: answer.queries.indices.map { q in
        SweepChart.Curve(
          name: "\(answer.queries[q].label) \(answer.queries[q].text)", params: params,
          values: answer.tracked.map { $0[q].similarity })
      })
  }

  /// Query q's outline colour in the strip: yellow for the first (the overlays' query colour), then the chart's
  /// palette (whose first entry is a darker yellow, legible on the chart's white).
  static func sweepColor(_ q: Int) -> LineChart.Color {
    q == 0 ? OverlayRenderer.outlineColor : LineChart.palette[1 + (q - 1) % (LineChart.palette.count - 1)]
  }

  /// The strip: each transformed input, titled with its parameter, the first query's map overlaid and every
  /// in-bounds tracked cell outlined in its query's colour.
  func sweepStrip(_ answer: SweepAnswer, images: [RGBImage], metric: SimilarityMetric, style: RenderStyle) -> RGBImage {
    let plane = answer.height * answer.width
    let overlay = style.overlayStyle(for: answer.maps.flatMap { $0[0..<plane] }, metric: metric)
    var grid = GridComposer(rows: 1, columns: images.count)
    if style.titles {
      grid.columnTitles = answer.transforms.map {
        $0.kind == .scale ? "scale \(Self.compact($0.param))" : "\(Self.compact($0.param)) deg"
      }
    }
    for (s, image) in images.enumerated() {
      var tile = OverlayRenderer.render(
        image: ImageScaler.fit(image, longestSide: style.tileSize), map: Array(answer.maps[s][0..<plane]),
        mapHeight: answer.height, mapWidth: answer.width, style: overlay, outline: nil)
      for (q, t) in answer.tracked[s].enumerated().reversed() where t.cell.inBounds {
        let b = OverlayRenderer.pixelBounds(
          of: CellRect(y: t.cell.y, x: t.cell.x), mapHeight: answer.height, mapWidth: answer.width,
          imageWidth: tile.width, imageHeight: tile.height)
        Self.frame(
          b, width: OverlayRenderer.outlineWidth(imageWidth: tile.width, imageHeight: tile.height),
          color: Self.sweepColor(q), in: &tile)
      }
      grid.set(row: 0, column: s, tile: tile)
    }
    return grid.compose()
  }

  /// A parameter without a trailing ".0".
  static func compact(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
  }

  /// Paints a frame `width` pixels thick just inside `b` (OverlayRenderer's outline is yellow only).
  static func frame(
    _ b: (x0: Int, y0: Int, x1: Int, y1: Int), width: Int, color: LineChart.Color, in image: inout RGBImage
  ) {
    guard b.x1 > b.x0, b.y1 > b.y0 else { return }
    for y in b.y0..<b.y1 {
      for x in b.x0..<b.x1 where y < b.y0 + width || y >= b.y1 - width || x < b.x0 + width || x >= b.x1 - width {
        let i = (y * image.width + x) * 3
        (image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]) = (color.red, color.green, color.blue)
      }
    }
  }

}
