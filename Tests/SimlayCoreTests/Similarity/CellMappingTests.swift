import SimlayCore
import Testing

@Suite("CellMapping")
struct CellMappingTests {
  /// An image size as a test argument.
  struct ImageSize: Sendable, CustomTestStringConvertible {
    var width: Int, height: Int
    var testDescription: String { "\(width)x\(height)" }
  }

  static let grids = [112, 56, 28, 14, 7]
  static let images = [
    ImageSize(width: 224, height: 224), ImageSize(width: 512, height: 341),
    ImageSize(width: 600, height: 512), ImageSize(width: 929, height: 512),
  ]

  @Test("pixel rects tile the image and map back to their cells", arguments: grids, images)
  func rectsRoundTrip(cells g: Int, image: ImageSize) {
    let (w, h) = (image.width, image.height)
    func cell(_ px: Int, _ py: Int) -> (y: Int, x: Int)? {
      CellMapping.cell(px: Double(px), py: Double(py), imageWidth: w, imageHeight: h, gridHeight: g, gridWidth: g)
    }
    // owner[pixel] = the one cell whose rect holds it; -1 = none yet.
    var owner = [Int32](repeating: -1, count: w * h)
    var overlaps = 0
    for y in 0..<g {
      for x in 0..<g {
        let r = CellMapping.pixelRect(y: y, x: x, imageWidth: w, imageHeight: h, gridHeight: g, gridWidth: g)
        #expect(
          r.x0 < r.x1 && r.y0 < r.y1 && r.x0 >= 0 && r.y0 >= 0 && r.x1 <= w && r.y1 <= h, "cell (\(y), \(x)): \(r)")
        let probes = [
          (r.x0, r.y0), (r.x1 - 1, r.y0), (r.x0, r.y1 - 1), (r.x1 - 1, r.y1 - 1),
          ((r.x0 + r.x1 - 1) / 2, (r.y0 + r.y1 - 1) / 2),
        ]
        for (px, py) in probes {
          let c = cell(px, py)
          #expect(
            c?.y == y && c?.x == x, "cell (\(y), \(x)) rect \(r): pixel (\(px), \(py)) maps to \(String(describing: c))"
          )
        }
        for py in r.y0..<r.y1 {
          for px in r.x0..<r.x1 {
            if owner[py * w + px] != -1 { overlaps += 1 }
            owner[py * w + px] = Int32(y * g + x)
          }
        }
      }
    }
    #expect(overlaps == 0)
    #expect(!owner.contains(-1), "pixels in no cell's rect")
    // Every pixel maps to the cell whose rect holds it.
    var mismatches = 0
    for py in 0..<h {
      for px in 0..<w {
        let c = cell(px, py)
        if c.map({ Int32($0.y * g + $0.x) }) != owner[py * w + px] { mismatches += 1 }
      }
    }
    #expect(mismatches == 0)
  }

  @Test("corners, edges and outside points", arguments: grids, images)
  func boundaries(cells g: Int, image: ImageSize) {
    let (w, h) = (Double(image.width), Double(image.height))
    func cell(_ px: Double, _ py: Double) -> (y: Int, x: Int)? {
      CellMapping.cell(px: px, py: py, imageWidth: image.width, imageHeight: image.height, gridHeight: g, gridWidth: g)
    }
    #expect(cell(0, 0)! == (0, 0))
    #expect(cell(w - 1, h - 1)! == (g - 1, g - 1))
    #expect(cell(w - 0.25, h - 0.25)! == (g - 1, g - 1))
    #expect(cell(w, h)! == (g - 1, g - 1))
    #expect(cell(w, 0)! == (0, g - 1))
    for (px, py) in [
      (-1, 0), (0, -1), (-1e-9, 0), (w + 0.001, 0), (0, h + 1), (.nan, 0), (0, .nan), (.infinity, 0), (0, -.infinity),
    ] {
      #expect(cell(px, py) == nil, "(\(px), \(py))")
    }
  }

  @Test("rows follow the height, columns the width")
  func nonSquare() {
    // 900x300 image on a 3-row, 9-column grid: cells are 100x100 pixels.
    #expect(
      CellMapping.cell(px: 450, py: 250, imageWidth: 900, imageHeight: 300, gridHeight: 3, gridWidth: 9)! == (2, 4))
    let r = CellMapping.pixelRect(y: 2, x: 4, imageWidth: 900, imageHeight: 300, gridHeight: 3, gridWidth: 9)
    #expect(r == (x0: 400, y0: 200, x1: 500, y1: 300))
    #expect(CellMapping.cell(px: 1, py: 1, imageWidth: 0, imageHeight: 300, gridHeight: 3, gridWidth: 9) == nil)
  }
}
