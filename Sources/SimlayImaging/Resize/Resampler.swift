/// How ``Resampler/resizeMap(_:width:height:toWidth:toHeight:mode:)`` interpolates.
public enum MapResize: String, Sendable, Hashable, CaseIterable {
  /// Pillow's NEAREST: output pixel `x` copies input `floor((x + 0.5) * inWidth / outWidth)`
  /// (pixel-centre sampling, the same as OpenCV's `INTER_NEAREST_EXACT`). Keeps values exact,
  /// e.g. class ids or hard masks.
  case nearest
  /// Pillow's BILINEAR, the same filter as ``Resampler/resizeBilinear(_:width:height:)``:
  /// plain bilinear with edge clamping when enlarging, antialiased when shrinking. Equals
  /// Pillow's resize of a mode `"F"` image.
  case bilinear
}

/// Pillow-compatible resampling.
public enum Resampler {
  /// The most floats of horizontally resized rows a resize holds at once (128 KB).
  public static let defaultBandFloats = 1 << 15

  /// Resizes with exactly Pillow's `Image.resize((width, height), Image.BILINEAR)` algorithm,
  /// computed in Float and returned planar.
  ///
  /// The algorithm is Pillow's `libImaging/Resample.c`: separable, a triangle filter of support
  /// 1 scaled by the shrink factor (so shrinking is antialiased), Pillow's coefficient
  /// computation (pixel centres, tap bounds, per-pixel normalisation), and its pass order
  /// (horizontal first, skipping a pass whose axis keeps its size). The one deliberate
  /// difference: Pillow runs 8-bit images through 22-bit fixed-point weights and rounds the
  /// intermediate and final results to `UInt8`; this keeps full Float precision throughout.
  /// So the result equals Pillow's float (mode `"F"`) resize up to Float rounding, and differs
  /// from Pillow's 8-bit RGB resize by less than 1 per value (Pillow's rounding).
  ///
  /// - Returns: `3 * height * width` values in 0...255, channel-major (CHW: the red plane,
  ///   then green, then blue, each row-major). Same size in, same values out (as Floats).
  ///   Returns an empty array when `width` or `height` is not positive, or the image is empty
  ///   or not well-formed (see ``RGBImage/isWellFormed``).
  ///
  /// `bandFloats` bounds the intermediate (horizontally resized rows) computed at once; the result does not
  /// depend on it (tests check that), only memory and speed do.
  public static func resizeBilinear(
    _ image: RGBImage, width: Int, height: Int, bandFloats: Int = defaultBandFloats
  ) -> [Float] {
    guard isResizable(image, width: width, height: height) else { return [] }
    return [Float](unsafeUninitializedCapacity: 3 * width * height) { out, initialized in
      image.pixels.withUnsafeBufferPointer { src in
        SeparableResize.resize(
          .rgb(src), width: image.width, height: image.height, outWidth: width, outHeight: height, into: out,
          bandFloats: bandFloats)
      }
      initialized = out.count
    }
  }

  /// Resizes a single-channel float map (row-major, `width * height` values), e.g. a saliency
  /// or segmentation map to be overlaid on the original image.
  ///
  /// - Returns: `toWidth * toHeight` values, row-major; an empty array when any size is not
  ///   positive or `map.count != width * height`.
  public static func resizeMap(
    _ map: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int, mode: MapResize
  ) -> [Float] {
    guard width > 0, height > 0, toWidth > 0, toHeight > 0,
      width.multipliedReportingOverflow(by: height) == (map.count, false)
    else { return [] }
    return [Float](unsafeUninitializedCapacity: toWidth * toHeight) { out, initialized in
      map.withUnsafeBufferPointer { src in
        switch mode {
        case .nearest:
          MapResampling.nearest(
            src, width: width, height: height, outWidth: toWidth, outHeight: toHeight, into: out)
        case .bilinear:
          SeparableResize.resize(
            .planar(src, channels: 1), width: width, height: height,
            outWidth: toWidth, outHeight: toHeight, into: out)
        }
      }
      initialized = out.count
    }
  }

  // MARK: - Internals shared with Preprocessing

  /// Whether ``resizeBilinear(_:width:height:)`` can work on these arguments.
  static func isResizable(_ image: RGBImage, width: Int, height: Int) -> Bool {
    guard width > 0, height > 0, image.width > 0, image.height > 0, image.isWellFormed else {
      return false
    }
    let (pixels, o1) = width.multipliedReportingOverflow(by: height)
    return !o1 && !pixels.multipliedReportingOverflow(by: 3).overflow
  }

  /// Writes the planar result into `out`, which must hold exactly `3 * width * height` values;
  /// arguments must satisfy ``isResizable(_:width:height:)``.
  static func resizeBilinear(
    _ image: RGBImage, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>
  ) {
    image.pixels.withUnsafeBufferPointer { src in
      SeparableResize.resize(
        .rgb(src), width: image.width, height: image.height,
        outWidth: width, outHeight: height, into: out)
    }
  }
}
