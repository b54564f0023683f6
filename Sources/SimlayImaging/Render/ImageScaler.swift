/// Resizes RGB images for display: tiles of a grid, previews. Bilinear, Pillow-compatible
/// (through ``Resampler/resizeBilinear(_:width:height:)``), rounded to 8 bits.
public enum ImageScaler {
  /// Resizes to exactly `width` x `height` (the aspect ratio is not kept; see
  /// ``fit(_:longestSide:)``).
  ///
  /// Matches Pillow's `Image.resize(..., Image.BILINEAR)` of an RGB image to within one
  /// level per value (Pillow rounds an intermediate pass as well; this rounds once).
  ///
  /// - Returns: `image` itself when the size is unchanged; an empty image when `width` or
  ///   `height` is not positive (sides clamped to 0); a black image of the requested size
  ///   when `image` is empty or not well-formed, so callers laying out a grid still get a
  ///   tile of the size they planned.
  public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    guard width > 0, height > 0 else {
      return RGBImage(width: max(width, 0), height: max(height, 0), pixels: [])
    }
    if width == image.width, height == image.height, image.isWellFormed { return image }
    guard Resampler.isResizable(image, width: width, height: height) else {
      return RGBImage(width: width, height: height, filledWith: (0, 0, 0))
    }
    let plane = width * height
    let planar = [Float](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
      Resampler.resizeBilinear(image, width: width, height: height, into: out)
      initialized = out.count
    }
    // Planar (CHW) Float back to interleaved bytes.
    let pixels = [UInt8](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
      planar.withUnsafeBufferPointer { planar in
        for c in 0..<3 {
          let channel = planar.baseAddress! + c * plane
          for p in 0..<plane {
            // The triangle filter's weights are non-negative, so values stay within 0...255
            // up to Float error; the clamp absorbs that error.
            out[p * 3 + c] = UInt8(min(max(channel[p], 0), 255) + 0.5)
          }
        }
      }
      initialized = 3 * plane
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  /// Scales so that the longer side becomes `longestSide` (enlarging or shrinking), keeping the
  /// aspect ratio: the other side is `round(side * longestSide / longer)`, at least 1.
  ///
  /// - Returns: `image` unchanged when `longestSide` is not positive or the image is empty.
  public static func fit(_ image: RGBImage, longestSide: Int) -> RGBImage {
    guard longestSide > 0, image.width > 0, image.height > 0 else { return image }
    let size = fittedSize(width: image.width, height: image.height, longestSide: longestSide)
    return resize(image, width: size.width, height: size.height)
  }

  /// The size ``fit(_:longestSide:)`` produces for an image of `width` x `height` (both
  /// positive), for laying out a grid before any pixel is scaled.
  public static func fittedSize(width: Int, height: Int, longestSide: Int) -> (width: Int, height: Int) {
    guard width > 0, height > 0, longestSide > 0 else { return (max(width, 0), max(height, 0)) }
    // Integer rounding of side * longestSide / longer, half up: exact, unlike Double for
    // huge sides, and ties resolve the same on every platform.
    func scaled(_ side: Int, _ longer: Int) -> Int { max(1, (2 * side * longestSide + longer) / (2 * longer)) }
    return width >= height
      ? (longestSide, scaled(height, width))
      : (scaled(width, height), longestSide)
  }
}
