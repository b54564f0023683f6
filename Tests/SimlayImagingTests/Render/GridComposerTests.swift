import SimlayImaging
import Testing

@Suite("GridComposer")
struct GridComposerTests {
  /// A 2 x 3 grid of 10x20 tiles, each a distinct solid colour `(10 * row, 10 * column, 200)`.
  static func uniformGrid(padding: Int = 4) -> GridComposer {
    var grid = GridComposer(rows: 2, columns: 3, padding: padding)
    for r in 0..<2 {
      for c in 0..<3 {
        grid.set(
          row: r, column: c, tile: RGBImage(width: 10, height: 20, filledWith: (UInt8(10 * r), UInt8(10 * c), 200)))
      }
    }
    return grid
  }

  /// Pixels darker than the white background (titles are dark gray).
  static func darkPixels(_ image: RGBImage, x: Range<Int>, y: Range<Int>) -> Int {
    var count = 0
    for py in y { for px in x where Probe.luma(image, px, py) < 100 { count += 1 } }
    return count
  }

  @Test(arguments: [0, 1, 4, 9])
  func sizeWithoutTitles(_ padding: Int) {
    let image = Self.uniformGrid(padding: padding).compose()
    #expect(image.width == padding + 3 * 10 + 2 * padding + padding)
    #expect(image.height == padding + 2 * 20 + 1 * padding + padding)
  }

  @Test(arguments: [1, 2, 3])
  func sizeWithTitles(_ scale: Int) {
    var grid = Self.uniformGrid()
    grid.titleScale = scale
    grid.columnTitles = ["img0", "", "img2"]
    grid.rowTitles = ["conv1", "mixed4d"]
    let rowBand = BitmapFont.size(of: "mixed4d", scale: scale).width + 4
    #expect(rowBand == (7 * 6 - 1) * scale + 4)
    let image = grid.compose()
    #expect(image.width == 4 + rowBand + 3 * 10 + 2 * 4 + 4)
    #expect(image.height == 4 + (7 * scale + 4) + 2 * 20 + 4 + 4)
    #expect(grid.size == (image.width, image.height))
  }

  @Test func emptyTitlesAddNoBand() {
    var grid = Self.uniformGrid()
    grid.columnTitles = ["", "", ""]
    grid.rowTitles = [""]
    #expect(grid.size == Self.uniformGrid().size)
  }

  @Test func tilesLandAtTheirOffsets() throws {
    var grid = Self.uniformGrid()
    grid.rowTitles = ["a", "b"]  // shifts the tiles right by 5 + 4
    let image = grid.compose()
    for r in 0..<2 {
      for c in 0..<3 {
        let frame = try #require(grid.frame(row: r, column: c))
        let (x, y) = (4 + 9 + c * (10 + 4), 4 + r * (20 + 4))
        #expect(frame == (x, y, 10, 20))
        let colour: [UInt8] = [UInt8(10 * r), UInt8(10 * c), 200]
        #expect(Probe.pixel(image, x, y) == colour && Probe.pixel(image, x + 9, y + 19) == colour)
        #expect(Probe.pixel(image, x + 10, y + 19) == [255, 255, 255])  // the gap after it
      }
    }
  }

  @Test func mixedTileSizesSetColumnWidthsAndRowHeights() throws {
    var grid = GridComposer(rows: 2, columns: 2, background: (0, 0, 0), padding: 2)
    grid.set(row: 0, column: 0, tile: RGBImage(width: 30, height: 10, filledWith: (1, 1, 1)))
    grid.set(row: 1, column: 0, tile: RGBImage(width: 10, height: 10, filledWith: (2, 2, 2)))
    grid.set(row: 1, column: 1, tile: RGBImage(width: 8, height: 25, filledWith: (3, 3, 3)))
    #expect(grid.size == (2 + 30 + 2 + 8 + 2, 2 + 10 + 2 + 25 + 2))
    #expect(grid.frame(row: 0, column: 1) == nil)
    // The 10x10 tile is centred in its 30x25 cell.
    let frame = try #require(grid.frame(row: 1, column: 0))
    #expect(frame == (2 + 10, 14 + 7, 10, 10))
    let image = grid.compose()
    #expect(Probe.pixel(image, frame.x, frame.y) == [2, 2, 2])
    #expect(Probe.pixel(image, frame.x - 1, frame.y) == [0, 0, 0])
  }

  @Test func titlesDrawDarkPixelsInTheirBands() {
    var grid = Self.uniformGrid()
    let plain = grid.compose()
    grid.columnTitles = ["a", "", "z"]  // a 10-pixel column holds one glyph
    grid.rowTitles = ["L1", "L2"]
    let image = grid.compose()
    let left = 4 + BitmapFont.size(of: "L1", scale: 1).width + 4
    let top = 4 + 7 + 4
    // Column titles, each within its own column's x range; none over the untitled column.
    for (c, titled) in [true, false, true].enumerated() {
      let x0 = left + c * 14
      let dark = Self.darkPixels(image, x: x0..<(x0 + 10), y: 4..<11)
      #expect(titled ? dark > 0 : dark == 0, "column \(c): \(dark)")
    }
    // Row titles in the left band, vertically within their row.
    for r in 0..<2 {
      #expect(Self.darkPixels(image, x: 4..<(left - 4), y: (top + r * 24)..<(top + r * 24 + 20)) > 0)
    }
    #expect(Self.darkPixels(plain, x: 0..<plain.width, y: 0..<4) == 0)
  }

  @Test func longColumnTitlesAreCutToTheColumn() {
    var grid = GridComposer(rows: 1, columns: 2, padding: 4)
    grid.set(row: 0, column: 0, tile: RGBImage(width: 20, height: 5, filledWith: (255, 255, 255)))
    grid.set(row: 0, column: 1, tile: RGBImage(width: 20, height: 5, filledWith: (255, 255, 255)))
    grid.columnTitles = ["a-very-long-title", ""]
    let image = grid.compose()
    #expect(image.width == 4 + 20 + 4 + 20 + 4)
    #expect(Self.darkPixels(image, x: 4..<24, y: 4..<11) > 0)
    #expect(Self.darkPixels(image, x: 24..<image.width, y: 0..<image.height) == 0)
    #expect(BitmapFont.truncated("a-very-long-title", toWidth: 20, scale: 1) == "a..")
  }

  @Test func emptyGridIsJustMargins() {
    #expect(GridComposer(rows: 0, columns: 0, padding: 3).size == (6, 6))
    let blank = GridComposer(rows: 2, columns: 2, padding: 1).compose()
    #expect(blank.width == 3 && blank.height == 3 && blank.pixels.allSatisfy { $0 == 255 })
  }
}
