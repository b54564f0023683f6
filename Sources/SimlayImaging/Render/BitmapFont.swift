/// A tiny built-in 5x7 bitmap font for printable ASCII, scaled by an integer factor, so grid
/// titles need no font files or text-rendering library on the server.
///
/// Text is one line. Each character advances `6 * scale` pixels (a glyph 5 wide plus one
/// column of spacing) and is `7 * scale` tall; lowercase descenders are folded into the seven
/// rows. Characters outside `" "..."~"` draw as `?`.
public enum BitmapFont {
  /// Glyph width in unscaled pixels.
  public static let glyphWidth = 5
  /// Glyph height in unscaled pixels.
  public static let glyphHeight = 7
  /// Horizontal distance between the starts of consecutive glyphs, unscaled.
  public static let advance = 6

  /// Draws `text` with its top-left corner at `(x, y)`, in `color`, each font pixel a
  /// `scale` x `scale` square. Only the glyphs' set pixels are painted (the background shows
  /// through); whatever falls outside the image is clipped. A `scale` below 1 counts as 1.
  public static func draw(
    _ text: String, into image: inout RGBImage, x: Int, y: Int,
    color: (UInt8, UInt8, UInt8), scale: Int = 1
  ) {
    let scale = max(scale, 1)
    guard image.isWellFormed, image.width > 0, y < image.height, y + glyphHeight * scale > 0 else { return }
    let (width, height) = (image.width, image.height)
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      BitmapFontGlyphs.rows.withUnsafeBufferPointer { glyphs in
        for (n, code) in codes(text).enumerated() {
          let left = x + n * advance * scale
          if left >= width { break }  // later glyphs only go further right
          if left + glyphWidth * scale <= 0 { continue }
          let glyph = (Int(code) - 32) * glyphHeight
          for row in 0..<glyphHeight {
            let bits = glyphs[glyph + row]
            guard bits != 0 else { continue }
            let top = y + row * scale
            // Clip each font pixel's square; one wholly outside the image is skipped (an
            // inverted range would trap).
            let rows = max(top, 0)..<max(min(top + scale, height), max(top, 0))
            for column in 0..<glyphWidth where bits & (0x10 >> column) != 0 {
              let start = left + column * scale
              let columns = max(start, 0)..<max(min(start + scale, width), max(start, 0))
              for py in rows {
                for px in columns {
                  let i = (py * width + px) * 3
                  pixels[i] = color.0
                  pixels[i + 1] = color.1
                  pixels[i + 2] = color.2
                }
              }
            }
          }
        }
      }
    }
  }

  /// The box ``draw(_:into:x:y:color:scale:)`` uses for `text`: `count * 6 * scale - scale`
  /// wide (no spacing after the last glyph) and `7 * scale` tall; `(0, 0)` for empty text.
  /// A glyph that spans its whole cell (such as `H` or `M`) at each end touches every side.
  public static func size(of text: String, scale: Int) -> (width: Int, height: Int) {
    let scale = max(scale, 1)
    let count = text.count
    guard count > 0 else { return (0, 0) }
    return (count * advance * scale - scale, glyphHeight * scale)
  }

  /// The longest prefix of `text` that fits in `width` pixels, with `..` appended when
  /// anything was cut (the whole text when it fits; empty when not even `..` fits).
  public static func truncated(_ text: String, toWidth width: Int, scale: Int) -> String {
    let scale = max(scale, 1)
    // n glyphs are n * advance * scale - scale wide, so this many fit.
    let fitting = max(width + scale, 0) / (advance * scale)
    if text.count <= fitting { return text }
    if fitting < 2 { return "" }
    return text.prefix(fitting - 2) + ".."
  }

  /// One ASCII code per Character (so `"é"` is one `?`, not two), unprintables as `?`.
  private static func codes(_ text: String) -> [UInt8] {
    text.map { character in
      guard let ascii = character.asciiValue, (32...126).contains(ascii) else { return 63 }
      return ascii
    }
  }
}
