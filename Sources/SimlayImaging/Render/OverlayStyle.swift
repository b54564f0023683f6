/// How ``OverlayRenderer`` draws a similarity map over its image.
public struct OverlayStyle: Sendable, Hashable {
  /// How normalised values become colours.
  public var colormap: Colormap = .mask
  /// How the map is enlarged to the image: `.nearest` gives the article's blocky cells
  /// (aligned with ``OverlayRenderer/pixelBounds(of:mapHeight:mapWidth:imageWidth:imageHeight:)``),
  /// `.bilinear` a smooth map (Pillow's BILINEAR).
  public var upsample: MapResize = .nearest
  /// Weight of the colormap against the image, 0...1: 0 leaves the image untouched, 1 shows
  /// only the colormap (for the mask: pure black where `v = 0`). Values outside are clamped,
  /// NaN counts as 0.
  public var opacity: Float = 0.6
  /// The map values sent to the colormap's ends: `lowerBound` becomes `v = 0` and
  /// `upperBound` `v = 1`, values outside are clamped. Cosine similarity uses `0...1` for the
  /// mask and viridis and `-1...1` for the diverging map. A range of zero width (or an
  /// infinite one) is a threshold: values `>= lowerBound` give 1, smaller ones 0.
  public var valueRange: ClosedRange<Float> = 0...1

  /// Creates a style; every argument has the default the daemon uses.
  public init(
    colormap: Colormap = .mask, upsample: MapResize = .nearest, opacity: Float = 0.6,
    valueRange: ClosedRange<Float> = 0...1
  ) {
    self.colormap = colormap
    self.upsample = upsample
    self.opacity = opacity
    self.valueRange = valueRange
  }

  /// ``opacity`` made safe to compute with: in 0...1, NaN as 0.
  var effectiveOpacity: Float { opacity.isNaN ? 0 : min(max(opacity, 0), 1) }

  /// Maps a raw value to 0...1 by ``valueRange``; non-finite values give 0.
  @inline(__always)
  func normalise(_ value: Float) -> Float {
    guard value.isFinite else { return 0 }
    let low = valueRange.lowerBound
    let span = valueRange.upperBound - low
    // A degenerate range cannot be divided by; treating it as a threshold still says
    // "at least this similar" and keeps the output finite.
    guard span > 0, span.isFinite else { return value >= low ? 1 : 0 }
    return min(max((value - low) / span, 0), 1)
  }
}

/// A rectangle of layer cells, half-open like the wire's `Region`: `y0 <= y < y1`,
/// `x0 <= x < x1`, with `y` down and 0-based.
public struct CellRect: Sendable, Hashable {
  /// First row of cells.
  public var y0: Int
  /// First column of cells.
  public var x0: Int
  /// One past the last row.
  public var y1: Int
  /// One past the last column.
  public var x1: Int

  /// A rectangle of cells; no ordering is enforced (an inverted rectangle is empty).
  public init(y0: Int, x0: Int, y1: Int, x1: Int) {
    self.y0 = y0
    self.x0 = x0
    self.y1 = y1
    self.x1 = x1
  }

  /// The single cell `(y, x)`.
  public init(y: Int, x: Int) {
    self.init(y0: y, x0: x, y1: y + 1, x1: x + 1)
  }

  /// Whether the rectangle holds no cell.
  public var isEmpty: Bool { y1 <= y0 || x1 <= x0 }

  /// The part of the rectangle inside a `height` x `width` grid (possibly empty).
  func clipped(height: Int, width: Int) -> CellRect {
    CellRect(
      y0: min(max(y0, 0), height), x0: min(max(x0, 0), width),
      y1: min(max(y1, 0), height), x1: min(max(x1, 0), width))
  }
}
