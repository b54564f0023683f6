/// Colormaps for similarity maps: how a normalised value `v` in 0...1 (0 = least similar)
/// becomes a colour. ``OverlayRenderer`` blends that colour over the image; raw values are
/// normalised with ``OverlayStyle/valueRange`` first.
///
/// The raw values match the wire names `COLORMAP_MASK`, `COLORMAP_VIRIDIS` and
/// `COLORMAP_DIVERGING` without the prefix, lowercased.
public enum Colormap: String, Sendable, CaseIterable {
  /// The article's look: a grayscale mask that keeps the image where similarity is high and
  /// darkens it where it is low, `out = image * (1 - opacity * (1 - v))`. At opacity 1,
  /// `v = 0` is black and `v = 1` the untouched image.
  case mask
  /// matplotlib's viridis (dark purple at 0, yellow at 1), blended
  /// `out = (1 - opacity) * image + opacity * viridis(v)`. Its lightness grows monotonically,
  /// so a brighter pixel always means a higher value.
  case viridis
  /// Blue (low), white (middle), red (high): matplotlib's `RdBu_r`, blended like
  /// ``viridis``. Meant for signed metrics with a symmetric value range such as `-1...1`,
  /// so that 0 is white. Not monotone in lightness (both ends are dark).
  case diverging

  /// The colormap's colour for a normalised value, as 8-bit RGB; useful for legends.
  ///
  /// `v` is clamped to 0...1 (NaN counts as 0). Viridis and diverging are looked up the way
  /// matplotlib does for 256 colours: entry `min(floor(v * 256), 255)`. The mask has no
  /// colour of its own; it answers the gray `v * 255`, which is what it makes of a white image
  /// at opacity 1.
  public func color(at v: Float) -> (red: UInt8, green: UInt8, blue: UInt8) {
    let v = ColormapTables.clamp(v)
    guard let table = ColormapTables.table(for: self) else {
      let gray = UInt8(v * 255 + 0.5)
      return (gray, gray, gray)
    }
    let i = ColormapTables.index(v) * 3
    return (ColormapTables.byte(table[i]), ColormapTables.byte(table[i + 1]), ColormapTables.byte(table[i + 2]))
  }
}

/// The 256-entry lookup tables behind the colormaps, built once.
enum ColormapTables {
  /// Number of entries per table, matplotlib's default `N` for its colormaps.
  static let size = 256

  /// `size * 3` RGB values in 0...1 for the colormaps that have colours; nil for the mask.
  static func table(for colormap: Colormap) -> [Float]? {
    switch colormap {
    case .mask: nil
    case .viridis: ViridisTable.rgb
    case .diverging: diverging
    }
  }

  /// ColorBrewer's 11-class RdBu from dark blue to dark red (matplotlib's `_RdBu_data`,
  /// reversed), as 0xRRGGBB.
  private static let rdBuReversed: [UInt32] = [
    0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7,
    0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
  ]

  /// `RdBu_r` sampled like matplotlib's `LinearSegmentedColormap.from_list(..., N=256)`:
  /// entry `i` is the piecewise-linear interpolation of the evenly spaced control colours at
  /// `i / 255`.
  static let diverging: [Float] = {
    let stops = rdBuReversed.map { c in
      [Float((c >> 16) & 0xFF), Float((c >> 8) & 0xFF), Float(c & 0xFF)].map { $0 / 255 }
    }
    let segments = Float(stops.count - 1)
    var table = [Float]()
    table.reserveCapacity(size * 3)
    for i in 0..<size {
      let position = Float(i) / Float(size - 1) * segments
      let k = min(Int(position), stops.count - 2)
      let t = position - Float(k)
      for c in 0..<3 { table.append(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * t) }
    }
    return table
  }()

  /// matplotlib's bin: `floor(v * 256)`, with `v = 1` landing in the last entry.
  @inline(__always)
  static func index(_ v: Float) -> Int { min(Int(v * Float(size)), size - 1) }

  /// Clamps to 0...1, sending NaN to 0 (the renderer's rule for non-finite values).
  @inline(__always)
  static func clamp(_ v: Float) -> Float { v.isNaN ? 0 : min(max(v, 0), 1) }

  /// Rounds a 0...1 colour component to a byte.
  @inline(__always)
  static func byte(_ unit: Float) -> UInt8 { UInt8(min(max(unit * 255 + 0.5, 0), 255)) }
}
