import SimlayImaging

/// Where a grid cell's location moves under a sweep's input transform: the article's `get_rot_coords`
/// and `get_scale_coords`, on the cells of a layer's grid.
///
/// A cell is taken at its centre, in grid coordinates where cell `(y, x)` is the point `(y, x)` and the grid
/// spans `[-0.5, H-0.5) x [-0.5, W-0.5)`. When the input is `H * stride` pixels tall (as with the default
/// model), the grid's centre `((W-1)/2, (H-1)/2)` is exactly the input's pixel-centre centre, so moving the
/// cell's centre about the grid centre is the input transform seen at the layer's resolution. The moved
/// point is rounded to the cell containing it (`floor(v + 0.5)`, the half-open cells above); a point
/// that lands outside the grid is reported as such (`inBounds` false, the cell outside the grid kept),
/// never clamped.
public enum TransformTracking {
  /// A tracked location.
  public struct Tracked: Sendable, Equatable {
    /// The cell (may lie outside the grid).
    public var y: Int
    /// The cell's column (may lie outside the grid).
    public var x: Int
    /// Whether the cell is inside the grid.
    public var inBounds: Bool
    /// The moved centre before rounding, in grid coordinates.
    public var point: (y: Double, x: Double)

    /// A tracked cell.
    public init(y: Int, x: Int, inBounds: Bool, point: (y: Double, x: Double)) {
      (self.y, self.x, self.inBounds, self.point) = (y, x, inBounds, point)
    }

    /// Equal cells, bounds and points (tuples are not Equatable, hence by hand).
    public static func == (a: Tracked, b: Tracked) -> Bool {
      a.y == b.y && a.x == b.x && a.inBounds == b.inBounds && a.point == b.point
    }
  }

  /// Where cell `(y, x)` of a `height` x `width` grid goes when the input is rotated by `degrees`
  /// (counterclockwise as displayed, as ``ImageRotation``): its centre rotated about the grid centre.
  /// Quarter turns use exact trigonometry, so on square grids they permute the cells exactly.
  public static func rotated(y: Int, x: Int, degrees: Double, height: Int, width: Int) -> Tracked {
    let (cos, sin) = RotationAngle.cosSin(degrees: degrees)
    let cy = Double(height - 1) / 2
    let cx = Double(width - 1) / 2
    let dx = Double(x) - cx
    let dy = Double(y) - cy
    // The inverse of ImageRotation's sampling map: content at offset (dx, dy) appears at this offset.
    let point = (y: cy - dx * sin + dy * cos, x: cx + dx * cos + dy * sin)
    return cell(at: point, height: height, width: width)
  }

  /// Where cell `(y, x)` goes when the input is replaced by the crop-and-resize of the centred box of side
  /// `1 / scale` (``CropAndResize/Box/centred(scale:)``): its centre scaled by `scale` about the grid
  /// centre (a crop of side 1/s resized to the full size magnifies distances from the centre by s).
  public static func scaled(y: Int, x: Int, scale: Double, height: Int, width: Int) -> Tracked {
    let cy = Double(height - 1) / 2
    let cx = Double(width - 1) / 2
    let point = (y: cy + scale * (Double(y) - cy), x: cx + scale * (Double(x) - cx))
    return cell(at: point, height: height, width: width)
  }

  /// The cell containing a point of grid coordinates, and whether it is on the grid.
  static func cell(at point: (y: Double, x: Double), height: Int, width: Int) -> Tracked {
    guard point.y.isFinite, point.x.isFinite, abs(point.y) < 1e9, abs(point.x) < 1e9 else {
      return Tracked(y: Int.min, x: Int.min, inBounds: false, point: point)
    }
    let y = Int((point.y + 0.5).rounded(.down))
    let x = Int((point.x + 0.5).rounded(.down))
    return Tracked(y: y, x: x, inBounds: y >= 0 && y < height && x >= 0 && x < width, point: point)
  }
}
