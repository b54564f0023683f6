/// Nearest-neighbour resampling for single-channel maps (the bilinear mode reuses
/// ``SeparableResize``).
enum MapResampling {
  /// Pillow's NEAREST resize: output `(x, y)` copies input
  /// `(floor((x + 0.5) * inW / outW), floor((y + 0.5) * inH / outH))`.
  ///
  /// The index is computed in exact integer arithmetic, `(2x + 1) * inW / (2 * outW)`, so
  /// there is no drift on long rows; it always lies in `0 ..< inW` because `2x + 1 < 2 outW`.
  static func nearest(
    _ src: UnsafeBufferPointer<Float>, width: Int, height: Int,
    outWidth: Int, outHeight: Int, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let columns = (0..<outWidth).map { (2 * $0 + 1) * width / (2 * outWidth) }
    columns.withUnsafeBufferPointer { columns in
      for y in 0..<outHeight {
        let sy = (2 * y + 1) * height / (2 * outHeight)
        let row = src.baseAddress! + sy * width
        let o = out.baseAddress! + y * outWidth
        for x in 0..<outWidth { o[x] = row[columns[x]] }
      }
    }
  }
}
