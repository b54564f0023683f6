import CImageCodecs

/// Encodes 8-bit RGB or RGBA pixels as PNG (non-interlaced, libpng's default compression).
public enum PNGEncoder {
  /// Encodes an RGB image to PNG bytes.
  ///
  /// - Throws: `.invalidArgument` for an empty or malformed image (libpng also caps each side
  ///   at 1,000,000 pixels).
  public static func encode(_ image: RGBImage) throws(ImagingError) -> [UInt8] {
    try encode(width: image.width, height: image.height, channels: 3, pixels: image.pixels)
  }

  /// Encodes interleaved RGBA (`width * height * 4` bytes, straight alpha) to PNG bytes;
  /// used for overlays that need transparency.
  public static func encodeRGBA(
    width: Int, height: Int, pixels: [UInt8]
  ) throws(ImagingError) -> [UInt8] {
    try encode(width: width, height: height, channels: 4, pixels: pixels)
  }

  /// Encodes an RGB image and writes it to `path`, replacing any existing file.
  ///
  /// - Throws: `.io` naming the path when the file cannot be created or written.
  public static func write(_ image: RGBImage, to path: String) throws(ImagingError) {
    try writeFile(try encode(image), to: path)
  }

  /// Encodes RGBA pixels and writes them to `path`, replacing any existing file.
  public static func writeRGBA(
    width: Int, height: Int, pixels: [UInt8], to path: String
  ) throws(ImagingError) {
    try writeFile(try encodeRGBA(width: width, height: height, pixels: pixels), to: path)
  }

  // MARK: - Internals

  static func encode(
    width: Int, height: Int, channels: Int, pixels: [UInt8]
  ) throws(ImagingError) -> [UInt8] {
    guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
      throw ImagingError(.invalidArgument, "cannot encode a \(width)x\(height) PNG")
    }
    let (wh, o1) = width.multipliedReportingOverflow(by: height)
    let (expected, o2) = wh.multipliedReportingOverflow(by: channels)
    guard !o1, !o2, pixels.count == expected else {
      throw ImagingError(
        .invalidArgument,
        "cannot encode PNG: \(pixels.count) bytes do not hold \(width)x\(height)x\(channels) pixels")
    }
    var data: UnsafeMutablePointer<UInt8>? = nil
    var length = 0
    let result = pixels.withUnsafeBufferPointer { px in
      CodecBridge.call { msg, cap in
        simlay_png_encode(
          px.baseAddress, UInt32(width), UInt32(height), Int32(channels), &data, &length, msg, cap)
      }
    }
    defer { simlay_free(data) }
    try CodecBridge.check(result)
    return Array(UnsafeBufferPointer(start: data, count: length))
  }

  static func writeFile(_ bytes: [UInt8], to path: String) throws(ImagingError) {
    let result = bytes.withUnsafeBufferPointer { buffer in
      CodecBridge.call { msg, cap in
        simlay_write_file(path, buffer.baseAddress, buffer.count, msg, cap)
      }
    }
    do {
      try CodecBridge.check(result)
    } catch {
      throw error.naming(path)
    }
  }
}
