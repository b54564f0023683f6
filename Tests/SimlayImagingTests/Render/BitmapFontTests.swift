import SimlayImaging
import Testing

@Suite("BitmapFont")
struct BitmapFontTests {
  static let printable = (33...126).map { String(UnicodeScalar(UInt8($0))) }

  /// Draws `text` black on white at `(x, y)` in a canvas, returning the lit pixels' bounding
  /// box (`x0, y0, x1, y1`, half-open) or nil when nothing was drawn.
  static func extent(
    _ text: String, scale: Int, x: Int = 3, y: Int = 2, canvas: (Int, Int) = (40, 24)
  ) -> (Int, Int, Int, Int)? {
    var image = RGBImage(width: canvas.0, height: canvas.1, filledWith: (255, 255, 255))
    BitmapFont.draw(text, into: &image, x: x, y: y, color: (0, 0, 0), scale: scale)
    var box: (Int, Int, Int, Int)?
    for py in 0..<image.height {
      for px in 0..<image.width where Probe.pixel(image, px, py) != [255, 255, 255] {
        let b = box ?? (px, py, px + 1, py + 1)
        box = (min(b.0, px), min(b.1, py), max(b.2, px + 1), max(b.3, py + 1))
      }
    }
    return box
  }

  @Test(arguments: printable, [1, 2])
  func everyGlyphDrawsInsideItsBox(_ glyph: String, _ scale: Int) throws {
    let box = try #require(Self.extent(glyph, scale: scale), "\(glyph) drew nothing")
    #expect(box.0 >= 3 && box.1 >= 2 && box.2 <= 3 + 5 * scale && box.3 <= 2 + 7 * scale, "\(glyph): \(box)")
  }

  @Test func spaceDrawsNothing() {
    #expect(Self.extent(" ", scale: 1) == nil)
    #expect(Self.extent("   ", scale: 3) == nil)
  }

  @Test func glyphsAreDistinct() {
    var seen: [[UInt8]: String] = [:]
    for glyph in Self.printable {
      var image = RGBImage(width: 5, height: 7, filledWith: (0, 0, 0))
      BitmapFont.draw(glyph, into: &image, x: 0, y: 0, color: (255, 255, 255))
      #expect(seen[image.pixels] == nil, "\(glyph) looks like \(seen[image.pixels] ?? "")")
      seen[image.pixels] = glyph
    }
  }

  /// Text that starts and ends with glyphs filling their 5x7 cell spans exactly `size(of:)`.
  @Test(arguments: ["H", "HM", "Hello, World H", "M0%#N"], [1, 2, 3])
  func sizeMatchesTheDrawnExtent(_ text: String, _ scale: Int) throws {
    let size = BitmapFont.size(of: text, scale: scale)
    #expect(size.width == (6 * text.count - 1) * scale && size.height == 7 * scale)
    let box = try #require(Self.extent(text, scale: scale, canvas: (300, 40)))
    #expect((box.2 - box.0, box.3 - box.1) == (size.width, size.height), "\(text) at \(scale)")
    #expect((box.0, box.1) == (3, 2))
  }

  @Test(arguments: ["abc", "g_j", "~'", "Similarity: 0.93"])
  func anyTextStaysInsideItsSize(_ text: String) throws {
    let size = BitmapFont.size(of: text, scale: 2)
    let box = try #require(Self.extent(text, scale: 2, canvas: (300, 40)))
    #expect(box.0 >= 3 && box.1 >= 2 && box.2 <= 3 + size.width && box.3 <= 2 + size.height)
  }

  @Test func unprintableCharactersDrawAsQuestionMarks() {
    func drawn(_ text: String) -> [UInt8] {
      var image = RGBImage(width: 40, height: 9, filledWith: (0, 0, 0))
      BitmapFont.draw(text, into: &image, x: 1, y: 1, color: (9, 9, 9))
      return image.pixels
    }
    #expect(drawn("é\tx") == drawn("??x"))
    #expect(BitmapFont.size(of: "é", scale: 1) == (5, 7))
    #expect(BitmapFont.size(of: "", scale: 4) == (0, 0))
  }

  @Test func drawingIsClippedToTheImage() {
    var image = RGBImage(width: 8, height: 8, filledWith: (0, 0, 0))
    for (x, y) in [(-20, -3), (-3, 5), (6, -4), (7, 7), (100, 100), (-1000, 0)] {
      BitmapFont.draw("WM@#", into: &image, x: x, y: y, color: (255, 0, 0), scale: 2)
    }
    #expect(image.isWellFormed && image.pixels.contains(255))
  }

  @Test func truncationKeepsWhatFits() {
    #expect(BitmapFont.truncated("layer", toWidth: 29, scale: 1) == "layer")  // exactly 5 glyphs
    #expect(BitmapFont.truncated("layer", toWidth: 28, scale: 1) == "la..")
    #expect(BitmapFont.truncated("layer", toWidth: 10, scale: 1) == "")
    #expect(BitmapFont.truncated("layer", toWidth: 22, scale: 2) == "..")
  }
}
