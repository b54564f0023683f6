import SimlayImaging

/// Where a query's exact point moves under a sweep's transform, and the cell it then lies in.
///
/// ``TransformTracking`` moves a cell's centre, so a feature near a cell's edge (a pixel query, or a
/// photo whose grid stride is not a whole number of pixels) drifts by up to a cell. Here the point itself
/// moves: in continuous pixel coordinates of the image the transform acts on (pixel column `i` spans
/// `[i, i + 1)`, so the centre is `(W/2, H/2)`, which is ``ImageRotation``'s and ``CropAndResize``'s
/// pixel-centre centre `((W-1)/2, (H-1)/2)`), then its cell on a grid covering the whole image (the squash
/// to the model input is a rescale of each axis). Points that leave the image are reported, not clamped.
public enum PointTracking {
  /// Where content at point `p` of a `height` x `width` image appears after ``ImageRotation`` turns the
  /// image by `degrees` (counterclockwise as displayed): the inverse of its sampling map.
  public static func rotated(_ p: (y: Double, x: Double), degrees: Double, height: Int, width: Int) -> (
    y: Double, x: Double
  ) {
    let (cos, sin) = RotationAngle.cosSin(degrees: degrees)
    let (cy, cx) = (Double(height) / 2, Double(width) / 2)
    let (dy, dx) = (p.y - cy, p.x - cx)
    return (y: cy - dx * sin + dy * cos, x: cx + dx * cos + dy * sin)
  }

  /// Where content at point `p` appears after ``CropAndResize`` replaces the image by its centred box of
  /// side `1 / scale` resized to the image's size. TensorFlow's rule samples output index `i` at input index
  /// `(n-1)/2 + (i - (n-1)/2) / scale`, so distances from the centre grow by `scale`.
  public static func scaled(_ p: (y: Double, x: Double), scale: Double, height: Int, width: Int) -> (
    y: Double, x: Double
  ) {
    let (cy, cx) = (Double(height) / 2, Double(width) / 2)
    return (y: cy + scale * (p.y - cy), x: cx + scale * (p.x - cx))
  }

  /// The cell of a `gridHeight` x `gridWidth` grid covering a `height` x `width` image that holds point
  /// `p`: `floor(p * grid / size)` on each axis, outside the grid when the point left the image. The
  /// tracked point is given in grid coordinates (cell `(y, x)` centred on `(y, x)`), as ``TransformTracking``.
  public static func cell(
    of p: (y: Double, x: Double), height: Int, width: Int, gridHeight: Int, gridWidth: Int
  ) -> TransformTracking.Tracked {
    let g = (
      y: p.y * Double(gridHeight) / Double(height) - 0.5, x: p.x * Double(gridWidth) / Double(width) - 0.5
    )
    return TransformTracking.cell(at: g, height: gridHeight, width: gridWidth)
  }

  /// The best cell near a tracked one: the largest value of `map` (`height * width`, row-major) within
  /// Chebyshev distance `radius` of `(y, x)`, among cells on the grid (`(y, x)` itself may lie off it).
  /// The first in row-major order wins ties; NaN values are skipped. Nil when no cell of the grid is in reach.
  public static func best(
    in map: ArraySlice<Float>, height: Int, width: Int, y: Int, x: Int, radius: Int
  ) -> (y: Int, x: Int, value: Float)? {
    precondition(radius >= 0 && map.count == height * width, "radius \(radius), map of \(map.count) values")
    // Int.min marks a point that was not finite (TransformTracking.cell); other cells are within 1e9.
    guard y != Int.min, x != Int.min, radius <= 1 << 30 else { return nil }
    let (y0, y1) = (max(0, y - radius), min(height - 1, y + radius))
    let (x0, x1) = (max(0, x - radius), min(width - 1, x + radius))
    guard y0 <= y1, x0 <= x1 else { return nil }
    var best: (y: Int, x: Int, value: Float)?
    let base = map.startIndex
    for cy in y0...y1 {
      for cx in x0...x1 {
        let v = map[base + cy * width + cx]
        if !v.isNaN, best == nil || v > best!.value { best = (cy, cx, v) }
      }
    }
    return best
  }
}
