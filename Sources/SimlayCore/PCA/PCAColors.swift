extension PCA.Fit {
  /// Cells whose first-component score exceeds `threshold`: the foreground, as the DINO viewers separate an
  /// object from its background (the first component of patch features tends to split them).
  public func foreground(threshold: Float) -> [Bool] {
    (0..<rows).map { scores[$0 * components] > threshold }
  }

  /// One RGB colour per row from the first three components' scores, each scaled to 0...255 by its minimum
  /// and maximum over all rows fitted together (so a colour means the same in every image) or over the
  /// foreground rows when a mask is given; background rows are black, missing components 0.
  public func colors(foreground: [Bool]? = nil) -> [UInt8] {
    let shown = min(components, 3)
    var out = [UInt8](repeating: 0, count: rows * 3)
    for c in 0..<shown {
      var (lo, hi) = (Float.infinity, -Float.infinity)
      for r in 0..<rows where foreground?[r] ?? true {
        lo = min(lo, scores[r * components + c])
        hi = max(hi, scores[r * components + c])
      }
      guard lo <= hi else { continue }
      let scale = hi > lo ? 255 / (hi - lo) : 0
      for r in 0..<rows where foreground?[r] ?? true {
        out[r * 3 + c] = UInt8(min(max(((scores[r * components + c] - lo) * scale).rounded(), 0), 255))
      }
    }
    return out
  }
}
