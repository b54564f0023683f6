import SimlayImaging
import Testing

@Suite("OverlayRenderer outline and pixelBounds")
struct OutlineAndBoundsTests {
  /// (image width, image height, map height, map width, cells): integer and odd ratios, a
  /// tiny image (1 px outline), and a multi-cell rectangle.
  static let outlineCases: [(Int, Int, Int, Int, CellRect)] = [
    (224, 224, 14, 14, CellRect(y: 3, x: 5)),
    (341, 512, 7, 14, CellRect(y0: 2, x0: 4, y1: 5, x1: 9)),
    (512, 341, 14, 7, CellRect(y: 13, x: 6)),
    (40, 30, 7, 7, CellRect(y: 0, x: 0)),
    (64, 64, 2, 2, CellRect(y0: 0, x0: 0, y1: 2, x1: 2)),
  ]

  @Test(arguments: Colormap.allCases)
  func outlineIsExactlyTheRectangleBorder(_ colormap: Colormap) {
    for (width, height, mapHeight, mapWidth, cells) in Self.outlineCases {
      let image = Probe.noise(width: width, height: height)
      let map = Probe.randomValues(mapHeight * mapWidth)
      let style = OverlayStyle(colormap: colormap)
      let plain = OverlayRenderer.render(
        image: image, map: map, mapHeight: mapHeight, mapWidth: mapWidth, style: style, outline: nil)
      let framed = OverlayRenderer.render(
        image: image, map: map, mapHeight: mapHeight, mapWidth: mapWidth, style: style, outline: cells)
      let b = OverlayRenderer.pixelBounds(
        of: cells, mapHeight: mapHeight, mapWidth: mapWidth, imageWidth: width, imageHeight: height)
      let w = OverlayRenderer.outlineWidth(imageWidth: width, imageHeight: height)
      #expect(w == (min(width, height) < 64 ? 1 : 2))
      // Expected: the plain render with the frame painted in, pixel by pixel.
      var expected = plain.pixels
      for y in b.y0..<b.y1 {
        for x in b.x0..<b.x1 where x < b.x0 + w || x >= b.x1 - w || y < b.y0 + w || y >= b.y1 - w {
          let i = (y * width + x) * 3
          expected.replaceSubrange(i..<i + 3, with: [255, 255, 0])
        }
      }
      let wrong = zip(framed.pixels, expected).filter { $0 != $1 }.count
      #expect(wrong == 0, "\(width)x\(height), \(mapHeight)x\(mapWidth), \(cells): \(wrong) bytes")
      #expect(b.x1 - b.x0 > 2 * w && b.y1 - b.y0 > 2 * w)  // the cases do have an inside
    }
  }

  @Test func outlineOutsideTheMapIsClippedOrDropped() {
    let image = RGBImage(width: 100, height: 100, filledWith: (128, 128, 128))
    let map = [Float](repeating: 0.5, count: 16)
    func yellow(_ cells: CellRect) -> Set<[Int]> {
      Probe.yellowPixels(
        OverlayRenderer.render(image: image, map: map, mapHeight: 4, mapWidth: 4, style: OverlayStyle(), outline: cells)
      )
    }
    #expect(yellow(CellRect(y: 9, x: 9)).isEmpty)
    #expect(yellow(CellRect(y0: 2, x0: 3, y1: 2, x1: 4)).isEmpty)  // empty rectangle
    #expect(yellow(CellRect(y0: -3, x0: 2, y1: 1, x1: 99)) == yellow(CellRect(y0: 0, x0: 2, y1: 1, x1: 4)))
  }

  /// Every pixel belongs to exactly one cell, also when cells are fractional pixels wide.
  @Test("Cells tile the image", arguments: [(7, 512), (14, 341), (14, 7), (5, 3), (3, 1000), (1, 1), (28, 224)])
  func cellsTileTheImage(_ c: (Int, Int)) {
    let (mapHeight, imageHeight, mapWidth, imageWidth) = (c.0, c.1, 3, 17)
    var coverage = [Int](repeating: 0, count: imageWidth * imageHeight)
    for y in 0..<mapHeight {
      for x in 0..<mapWidth {
        let b = OverlayRenderer.pixelBounds(
          of: CellRect(y: y, x: x), mapHeight: mapHeight, mapWidth: mapWidth,
          imageWidth: imageWidth, imageHeight: imageHeight)
        for py in b.y0..<b.y1 { for px in b.x0..<b.x1 { coverage[py * imageWidth + px] += 1 } }
      }
    }
    #expect(coverage.allSatisfy { $0 == 1 })
    // Along one axis in detail, both ways round: cells over pixels and pixels over cells.
    for (cells, pixels) in [(c.0, c.1), (c.1, c.0)] {
      let edges = (0..<cells).map {
        OverlayRenderer.pixelBounds(
          of: CellRect(y: 0, x: $0), mapHeight: 1, mapWidth: cells, imageWidth: pixels, imageHeight: 1)
      }.filter { $0.x1 > $0.x0 }
      #expect(edges.first?.x0 == 0 && edges.last?.x1 == pixels)
      #expect(zip(edges, edges.dropFirst()).allSatisfy { $0.x1 == $1.x0 })
    }
  }

  /// The bounds invert the daemon's pixel-to-cell rule `cell = floor(pixel * cells / pixels)`.
  @Test(arguments: [(7, 512), (14, 341), (14, 7), (13, 224)])
  func boundsInvertTheDaemonsRule(_ c: (Int, Int)) {
    let (cells, pixels) = c
    for p in 0..<pixels {
      let cell = p * cells / pixels
      let b = OverlayRenderer.pixelBounds(
        of: CellRect(y: cell, x: 0), mapHeight: cells, mapWidth: 1, imageWidth: 1, imageHeight: pixels)
      #expect((b.y0..<b.y1).contains(p), "pixel \(p) -> cell \(cell) -> rows \(b.y0)..<\(b.y1)")
    }
  }

  @Test func rectangleBoundsAreTheUnionOfItsCells() {
    let rect = OverlayRenderer.pixelBounds(
      of: CellRect(y0: 1, x0: 2, y1: 4, x1: 6), mapHeight: 7, mapWidth: 7, imageWidth: 512, imageHeight: 341)
    let first = OverlayRenderer.pixelBounds(
      of: CellRect(y: 1, x: 2), mapHeight: 7, mapWidth: 7, imageWidth: 512, imageHeight: 341)
    let last = OverlayRenderer.pixelBounds(
      of: CellRect(y: 3, x: 5), mapHeight: 7, mapWidth: 7, imageWidth: 512, imageHeight: 341)
    #expect(rect == (first.x0, first.y0, last.x1, last.y1))
    #expect(rect == (147, 49, 439, 195))  // ceil(2*512/7), ceil(341/7), ceil(6*512/7), ceil(4*341/7)
  }
}
