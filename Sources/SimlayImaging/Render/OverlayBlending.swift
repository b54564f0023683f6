/// The per-pixel colouring and blending step of ``OverlayRenderer``.
enum OverlayBlending {
  /// Blends `values` (one normalised value per pixel, row-major, nominally 0...1) over the
  /// interleaved RGB `source`, writing the result into `output` (same count as `source`).
  ///
  /// Results are rounded half up, so at opacity 0 the image comes back byte for byte. Both
  /// formulas are non-decreasing in `v` per channel for the mask and, through viridis's
  /// monotone lightness, in luminance for viridis.
  static func blend(
    _ values: [Float], over source: [UInt8], into output: inout [UInt8], style: OverlayStyle
  ) {
    let opacity = style.effectiveOpacity
    let count = values.count
    values.withUnsafeBufferPointer { values in
      source.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { output in
          guard let table = ColormapTables.table(for: style.colormap) else {
            mask(values, source, output, count: count, opacity: opacity)
            return
          }
          colour(values, source, output, count: count, opacity: opacity, table: table)
        }
      }
    }
  }

  /// `out = image * (1 - opacity * (1 - v))`, computed per pixel from the continuous value
  /// (no 256-level table) so nearby values stay distinguishable on bright images.
  private static func mask(
    _ values: UnsafeBufferPointer<Float>, _ source: UnsafeBufferPointer<UInt8>,
    _ output: UnsafeMutableBufferPointer<UInt8>, count: Int, opacity: Float
  ) {
    let keep = 1 - opacity
    for p in 0..<count {
      // Bilinear output can overshoot 1 by a rounding error; the clamp also guards NaN.
      let v = values[p].isNaN ? 0 : min(max(values[p], 0), 1)
      let factor = keep + opacity * v
      let i = p * 3
      output[i] = UInt8(Float(source[i]) * factor + 0.5)
      output[i + 1] = UInt8(Float(source[i + 1]) * factor + 0.5)
      output[i + 2] = UInt8(Float(source[i + 2]) * factor + 0.5)
    }
  }

  /// `out = (1 - opacity) * image + opacity * table[bin(v)]`, with the table pre-scaled by
  /// `opacity * 255` once so the pixel loop is one multiply-add per channel.
  private static func colour(
    _ values: UnsafeBufferPointer<Float>, _ source: UnsafeBufferPointer<UInt8>,
    _ output: UnsafeMutableBufferPointer<UInt8>, count: Int, opacity: Float, table: [Float]
  ) {
    let keep = 1 - opacity
    // +0.5 folded into the table: the conversion below truncates, so this rounds half up.
    let scaled = table.map { $0 * opacity * 255 + 0.5 }
    let bins = Float(ColormapTables.size)
    let last = ColormapTables.size - 1
    scaled.withUnsafeBufferPointer { scaled in
      for p in 0..<count {
        let v = values[p].isNaN ? 0 : min(max(values[p], 0), 1)
        let k = min(Int(v * bins), last) * 3
        let i = p * 3
        // At most 255 * keep + 255 * opacity + 0.5 < 256: no clamp needed.
        output[i] = UInt8(Float(source[i]) * keep + scaled[k])
        output[i + 1] = UInt8(Float(source[i + 1]) * keep + scaled[k + 1])
        output[i + 2] = UInt8(Float(source[i + 2]) * keep + scaled[k + 2])
      }
    }
  }
}
