import Foundation

/// Tick placement for ``LineChart``: a 1-2-5 step (or the caller's) and an axis range widened to whole steps.
@_spi(Testing) public enum ChartAxis {
  /// Ticks covering `lo...hi`: the axis ends, the tick values and their labels (as many decimals as the step needs).
  public static func ticks(lo: Double, hi: Double, step given: Double?, target: Double = 6) -> (
    lo: Double, hi: Double, values: [Double], labels: [String]
  ) {
    var (lo, hi) = (lo, hi)
    if hi - lo < 1e-9 { (lo, hi) = (lo - 0.5 * max(abs(lo), 1) * 0.1, hi + 0.5 * max(abs(hi), 1) * 0.1) }
    var step = given ?? 0
    if !(step > 0) {
      let raw = (hi - lo) / target
      let magnitude = pow(10, (log10(raw)).rounded(.down))
      step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    }
    let first = (lo / step + 1e-9).rounded(.down)
    let last = (hi / step - 1e-9).rounded(.up)
    let values = stride(from: first, through: last, by: 1).map { $0 * step }
    var decimals = 0
    while decimals < 6, abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 {
      decimals += 1
    }
    let labels = values.map { v -> String in
      let text = String(format: "%.\(decimals)f", v)
      return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
    return (first * step, last * step, values, labels)
  }
}

/// Pixel drawing for ``LineChart``: thick lines, square markers, text turned on its side; all clipped.
struct ChartPainter {
  /// Paints one pixel if it is inside the image.
  func dot(_ image: inout RGBImage, _ x: Int, _ y: Int, color: LineChart.Color) {
    guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
    let i = (y * image.width + x) * 3
    image.pixels[i] = color.red
    image.pixels[i + 1] = color.green
    image.pixels[i + 2] = color.blue
  }

  /// A line from (x0, y0) to (x1, y1) (Bresenham), `thickness` pixels square at every step.
  func line(_ image: inout RGBImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, color: LineChart.Color, thickness: Int)
  {
    let (dx, dy) = (abs(x1 - x0), -abs(y1 - y0))
    let (sx, sy) = (x0 < x1 ? 1 : -1, y0 < y1 ? 1 : -1)
    var (x, y, error) = (x0, y0, dx + dy)
    let lo = -(thickness - 1) / 2
    while true {
      for oy in lo..<(lo + thickness) { for ox in lo..<(lo + thickness) { dot(&image, x + ox, y + oy, color: color) } }
      if x == x1 && y == y1 { break }
      let e2 = 2 * error
      if e2 >= dy {
        error += dy
        x += sx
      }
      if e2 <= dx {
        error += dx
        y += sy
      }
    }
  }

  /// A filled square of side `2 * radius + 1`.
  func square(_ image: inout RGBImage, centreX: Int, centreY: Int, radius: Int, color: LineChart.Color) {
    for y in (centreY - radius)...(centreY + radius) {
      for x in (centreX - radius)...(centreX + radius) { dot(&image, x, y, color: color) }
    }
  }

  /// `text` read bottom to top (turned 90 degrees counterclockwise), its left edge at `x`, centred on `centreY`.
  func verticalText(
    _ text: String, into image: inout RGBImage, x: Int, centreY: Int, color: LineChart.Color, scale: Int
  ) {
    let size = BitmapFont.size(of: text, scale: scale)
    guard size.width > 0 else { return }
    var strip = RGBImage(width: size.width, height: size.height, filledWith: (255, 255, 255))
    BitmapFont.draw(text, into: &strip, x: 0, y: 0, color: (0, 0, 0), scale: scale)
    let top = centreY - size.width / 2
    for sy in 0..<size.height {
      for sx in 0..<size.width where strip.pixels[(sy * size.width + sx) * 3] == 0 {
        // Counterclockwise: the strip's column sx becomes row (width - 1 - sx), its row sy column sy.
        dot(&image, x + sy, top + size.width - 1 - sx, color: color)
      }
    }
  }
}
