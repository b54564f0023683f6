/// Maps input-image pixels to layer cells and back (layer sync: the patch under the pointer, at every
/// layer). A layer grid covers the whole image, because the image is squashed to the model input
/// without cropping, so the mapping is a pure rescale of each axis.
///
/// Pixel coordinates are continuous: pixel column i spans [i, i + 1), so integer coordinates name a
/// pixel's top-left corner and `cell(px: Double(i), ...)` is the cell of pixel i.
public enum CellMapping {
  /// The cell under point (px, py) of an image of imageWidth x imageHeight pixels, on a
  /// gridHeight x gridWidth layer grid covering the whole image:
  /// y = floor(py * gridHeight / imageHeight), x = floor(px * gridWidth / imageWidth), clamped to the grid
  /// (so a point exactly on the right or bottom edge maps to the last cell).
  /// Nil for a point outside [0, imageWidth] x [0, imageHeight], a non-finite coordinate, or a
  /// non-positive size.
  public static func cell(
    px: Double, py: Double, imageWidth: Int, imageHeight: Int,
    gridHeight: Int, gridWidth: Int
  ) -> (y: Int, x: Int)? {
    guard imageWidth > 0, imageHeight > 0, gridHeight > 0, gridWidth > 0 else { return nil }
    // The closed-range test also rejects NaN (every comparison with NaN is false) and infinities.
    guard px.isFinite, py.isFinite, (0...Double(imageWidth)).contains(px), (0...Double(imageHeight)).contains(py) else {
      return nil
    }
    return (
      y: axisCell(py, pixels: imageHeight, cells: gridHeight), x: axisCell(px, pixels: imageWidth, cells: gridWidth)
    )
  }

  /// The pixels of cell (y, x), as the half-open rectangle x0..<x1, y0..<y1: the inverse of `cell`.
  /// Rows are ceil(y * imageHeight / gridHeight)..<ceil((y + 1) * imageHeight / gridHeight), columns
  /// likewise. Ceil, not floor, because pixel p lies in cell floor(p * g / H) exactly when
  /// y * H / g <= p < (y + 1) * H / g; floor bounds would hand a pixel such as row 3 of a 341-pixel image
  /// on a 112-cell grid (cell 0) to cell 1's rectangle. The rectangles tile the image without gaps or
  /// overlaps; a cell is empty only when the grid has more cells than the image has pixels on that axis.
  /// Traps if the cell is outside the grid or a size is not positive.
  public static func pixelRect(
    y: Int, x: Int, imageWidth: Int, imageHeight: Int,
    gridHeight: Int, gridWidth: Int
  ) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
    precondition(
      imageWidth > 0 && imageHeight > 0 && gridHeight > 0 && gridWidth > 0,
      "sizes must be positive: image \(imageWidth)x\(imageHeight), grid \(gridHeight)x\(gridWidth)")
    precondition(
      (0..<gridHeight).contains(y) && (0..<gridWidth).contains(x),
      "cell (\(y), \(x)) outside the \(gridHeight)x\(gridWidth) grid")
    return (
      x0: ceilDiv(x * imageWidth, gridWidth), y0: ceilDiv(y * imageHeight, gridHeight),
      x1: ceilDiv((x + 1) * imageWidth, gridWidth), y1: ceilDiv((y + 1) * imageHeight, gridHeight)
    )
  }

  /// floor(p * cells / pixels) clamped to the last cell. Multiplying first keeps integer coordinates
  /// exact, so a pixel on a cell boundary never rounds into the previous cell.
  private static func axisCell(_ p: Double, pixels: Int, cells: Int) -> Int {
    let c = (p * Double(cells) / Double(pixels)).rounded(.down)
    return min(Int(c), cells - 1)
  }

  /// ceil(a / b) for a >= 0, b > 0.
  private static func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
}
