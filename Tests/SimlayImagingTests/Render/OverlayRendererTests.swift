import SimlayImaging
import Testing

@Suite("OverlayRenderer.render")
struct OverlayRendererTests {
  static let gray = RGBImage(width: 160, height: 120, filledWith: (128, 128, 128))

  @Test(arguments: Colormap.allCases, MapResize.allCases)
  func outputHasTheImageSize(_ colormap: Colormap, _ upsample: MapResize) {
    let image = Probe.noise(width: 37, height: 23)
    let out = OverlayRenderer.render(
      image: image, map: Probe.randomValues(35), mapHeight: 5, mapWidth: 7,
      style: OverlayStyle(colormap: colormap, upsample: upsample), outline: CellRect(y: 1, x: 2))
    #expect(out.width == 37 && out.height == 23 && out.isWellFormed)
  }

  @Test(arguments: Colormap.allCases)
  func opacityZeroLeavesTheImageUntouched(_ colormap: Colormap) {
    let image = Probe.noise(width: 50, height: 40)
    let out = OverlayRenderer.render(
      image: image, map: Probe.randomValues(20), mapHeight: 4, mapWidth: 5,
      style: OverlayStyle(colormap: colormap, opacity: 0), outline: nil)
    #expect(out == image)
  }

  /// The article's reading of the mask: the brighter the pixel, the more similar the cell.
  /// Checked per cell (every pixel of a cell is the same) and across cells (strict order).
  @Test(arguments: [Colormap.mask, .viridis], [Float(0.5), 0.6, 1])
  func luminanceOrdersAsTheMap(_ colormap: Colormap, _ opacity: Float) {
    let (mapHeight, mapWidth) = (3, 4)
    let map = Probe.distinctValues(mapHeight * mapWidth)
    let out = OverlayRenderer.render(
      image: Self.gray, map: map, mapHeight: mapHeight, mapWidth: mapWidth,
      style: OverlayStyle(colormap: colormap, upsample: .nearest, opacity: opacity), outline: nil)
    var cellLuma: [Double] = []
    for cell in 0..<map.count {
      let b = OverlayRenderer.pixelBounds(
        of: CellRect(y: cell / mapWidth, x: cell % mapWidth), mapHeight: mapHeight, mapWidth: mapWidth,
        imageWidth: out.width, imageHeight: out.height)
      let first = Probe.pixel(out, b.x0, b.y0)
      for y in b.y0..<b.y1 {
        for x in b.x0..<b.x1 where Probe.pixel(out, x, y) != first {
          Issue.record("cell \(cell) is not uniform at (\(x), \(y))")
        }
      }
      cellLuma.append(Probe.luma(out, b.x0, b.y0))
    }
    let byValue = map.indices.sorted { map[$0] < map[$1] }.map { cellLuma[$0] }
    #expect(zip(byValue, byValue.dropFirst()).allSatisfy { $0 < $1 }, "\(byValue)")
  }

  @Test func maskFollowsItsFormula() {
    // out = image * (1 - opacity * (1 - v)): at opacity 1, v = 0 is black and v = 1 the image.
    let image = Probe.noise(width: 20, height: 10)
    let style = OverlayStyle(colormap: .mask, opacity: 1)
    let out = OverlayRenderer.render(image: image, map: [0, 1], mapHeight: 1, mapWidth: 2, style: style, outline: nil)
    for y in 0..<10 {
      #expect(Probe.pixel(out, 3, y) == [0, 0, 0])
      #expect(Probe.pixel(out, 15, y) == Probe.pixel(image, 15, y))
    }
    let half = OverlayRenderer.render(
      image: RGBImage(width: 2, height: 1, filledWith: (200, 100, 51)), map: [0.5], mapHeight: 1, mapWidth: 1,
      style: OverlayStyle(opacity: 0.6), outline: nil)
    #expect(Probe.pixel(half, 0, 0) == [140, 70, 36])  // factor 0.7, rounded half up
  }

  @Test func viridisEndsAreTheTableEnds() {
    let image = Probe.noise(width: 8, height: 4)
    let style = OverlayStyle(colormap: .viridis, opacity: 1)
    // In-range ends, clamped out-of-range values, and non-finite values (which count as 0).
    for (map, expected) in [
      ([Float(0), 1], ([68, 1, 84], [253, 231, 37])), ([-5, 7], ([68, 1, 84], [253, 231, 37])),
      ([.nan, .infinity], ([68, 1, 84], [68, 1, 84])),
    ] as [([Float], ([UInt8], [UInt8]))] {
      let out = OverlayRenderer.render(image: image, map: map, mapHeight: 1, mapWidth: 2, style: style, outline: nil)
      #expect(Probe.pixel(out, 0, 0) == expected.0 && Probe.pixel(out, 7, 3) == expected.1, "\(map)")
    }
    let ends = [Colormap.viridis.color(at: 0), Colormap.viridis.color(at: 1)].map { [$0.red, $0.green, $0.blue] }
    #expect(ends == [[68, 1, 84], [253, 231, 37]])  // matplotlib's #440154 and #fde725
  }

  @Test func divergingIsBlueWhiteRed() {
    let image = Probe.noise(width: 3, height: 1)
    let out = OverlayRenderer.render(
      image: image, map: [-1, 0, 1], mapHeight: 1, mapWidth: 3,
      style: OverlayStyle(colormap: .diverging, opacity: 1, valueRange: -1...1), outline: nil)
    let (low, middle, high) = (Probe.pixel(out, 0, 0), Probe.pixel(out, 1, 0), Probe.pixel(out, 2, 0))
    #expect(middle.allSatisfy { $0 >= 240 }, "middle \(middle)")
    #expect(low[2] > low[0] + 50, "low \(low)")
    #expect(high[0] > high[2] + 50, "high \(high)")
  }

  @Test func degenerateValueRangeIsAThreshold() {
    let out = OverlayRenderer.render(
      image: RGBImage(width: 2, height: 1, filledWith: (100, 100, 100)), map: [0.49, 0.5],
      mapHeight: 1, mapWidth: 2, style: OverlayStyle(opacity: 1, valueRange: 0.5...0.5), outline: nil)
    #expect(Probe.pixel(out, 0, 0) == [0, 0, 0] && Probe.pixel(out, 1, 0) == [100, 100, 100])
  }

  /// Bilinear upsampling must not step: over a 16-pixel cell, neighbouring pixels differ by
  /// at most a sixteenth of the largest cell-to-cell difference (plus rounding), while nearest
  /// shows the full step at cell edges.
  @Test(arguments: Colormap.allCases)
  func bilinearIsSmooth(_ colormap: Colormap) {
    let (cells, size) = (14, 224)
    let map = Probe.randomValues(cells * cells)
    let image = RGBImage(width: size, height: size, filledWith: (255, 255, 255))
    func maxStep(_ mode: MapResize) -> Int {
      let out = OverlayRenderer.render(
        image: image, map: map, mapHeight: cells, mapWidth: cells,
        style: OverlayStyle(colormap: colormap, upsample: mode, opacity: 1), outline: nil)
      var step = 0
      for y in 0..<size {
        for x in 0..<size {
          let p = Probe.pixel(out, x, y).map(Int.init)
          if x + 1 < size { step = max(step, zip(p, Probe.pixel(out, x + 1, y)).map { abs($0 - Int($1)) }.max()!) }
          if y + 1 < size { step = max(step, zip(p, Probe.pixel(out, x, y + 1)).map { abs($0 - Int($1)) }.max()!) }
        }
      }
      return step
    }
    let (smooth, blocky) = (maxStep(.bilinear), maxStep(.nearest))
    #expect(smooth * 4 < blocky, "bilinear \(smooth), nearest \(blocky)")
    if colormap == .mask {
      // White image, opacity 1: the output is 255 * v, so the bound is exact.
      var cellStep: Float = 0
      for i in map.indices {
        if i % cells + 1 < cells { cellStep = max(cellStep, abs(map[i] - map[i + 1])) }
        if i + cells < map.count { cellStep = max(cellStep, abs(map[i] - map[i + cells])) }
      }
      #expect(Float(smooth) <= cellStep * 255 / 16 + 1, "bilinear \(smooth), cell step \(cellStep * 255)")
    }
  }

  @Test func invalidMapsLeaveTheImageAlone() {
    let image = Probe.noise(width: 10, height: 10)
    let style = OverlayStyle()
    #expect(
      OverlayRenderer.render(image: image, map: [1, 2, 3], mapHeight: 2, mapWidth: 2, style: style, outline: nil)
        == image)
    #expect(
      OverlayRenderer.render(image: image, map: [], mapHeight: 0, mapWidth: 0, style: style, outline: nil) == image)
  }
}
