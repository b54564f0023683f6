import CImageCodecs

/// Container formats the decoder recognises (by magic bytes, never by file extension).
public enum ImageFormat: String, Sendable, Hashable, CaseIterable {
  /// Portable Network Graphics: 1-16 bit gray, gray+alpha, palette, RGB, RGBA, interlaced.
  case png
  /// JPEG/JFIF: baseline or progressive; grayscale, YCbCr, RGB, CMYK or YCCK.
  case jpeg
}

/// Decodes PNG and JPEG data into ``RGBImage``, matching Pillow's
/// `numpy.asarray(ImageOps.exif_transpose(Image.open(f)).convert("RGB"))`.
///
/// Conversion rules:
/// - The EXIF orientation (a JPEG's Exif APP1, a PNG's eXIf chunk) is applied, so a phone photo taken
///   upright comes out upright and the reported size is the displayed one; pass
///   `applyOrientation: false` for the pixels as stored. Unreadable EXIF means "as stored".
/// - Gray is replicated into R, G and B; palettes are expanded.
/// - Alpha (and PNG `tRNS` transparency) is dropped, not composited, as `convert("RGB")` does.
/// - 16-bit PNG samples are rounded to 8 bits: `(v * 255 + 32767) / 65535`, libpng's
///   `png_set_scale_16`. Pillow differs here: it keeps the high byte (`v >> 8`) for 16-bit
///   RGB(A)/LA and clamps 16-bit gray (`min(v, 255)`), so 16-bit images can differ from
///   Pillow by one level (RGB) or entirely (gray, where Pillow's result is mostly white).
/// - CMYK/YCCK JPEGs are taken as Adobe-inverted CMYK and converted with Pillow's formula.
/// - Truncated data is an error (``ImagingError/Code/truncated``), as with
///   Pillow's default `LOAD_TRUNCATED_IMAGES = False`; missing rows are never gray-filled.
///
/// Every entry point checks the pixel count announced by the header against `maxPixels`
/// before allocating anything proportional to the image, so a tiny "decompression bomb"
/// (a valid header claiming 20000x20000, say) cannot make the process allocate gigabytes.
public enum ImageDecoder {
  /// Default upper bound on `width * height`; 50 megapixels is 150 MB of RGB.
  public static let defaultMaxPixels = 50_000_000

  /// Decodes an in-memory PNG or JPEG.
  ///
  /// - Parameters:
  ///   - bytes: the complete file contents.
  ///   - maxPixels: the largest `width * height` accepted; must be positive.
  /// - Throws: ``ImagingError`` with code `.empty`, `.notAnImage`, `.truncated`, `.tooLarge`,
  ///   `.corrupt` or `.invalidArgument`.
  public static func decode(
    _ bytes: [UInt8], maxPixels: Int = defaultMaxPixels, applyOrientation: Bool = true
  ) throws(ImagingError) -> RGBImage {
    try bytes.withUnsafeBufferPointer { buffer throws(ImagingError) in
      try decode(buffer: buffer, maxPixels: maxPixels, applyOrientation: applyOrientation)
    }
  }

  /// Reads and decodes an image file.
  ///
  /// Error messages start with the path. A missing or unreadable file is `.io`
  /// ("<path>: cannot open file: No such file or directory"); a zero-byte file is `.empty`.
  public static func decode(
    contentsOf path: String, maxPixels: Int = defaultMaxPixels, applyOrientation: Bool = true
  ) throws(ImagingError) -> RGBImage {
    try CodecBridge.withFileBytes(atPath: path) { buffer throws(ImagingError) in
      try decode(buffer: buffer, maxPixels: maxPixels, applyOrientation: applyOrientation)
    }
  }

  /// The EXIF orientation of an in-memory PNG or JPEG (`.up` when it has none or it is unreadable).
  public static func orientation(_ bytes: [UInt8]) -> ImageOrientation {
    bytes.withUnsafeBufferPointer { ExifOrientation.read($0) }
  }

  /// Reads only the header: the format and the size as displayed (after the EXIF orientation, which
  /// swaps width and height for orientations 5-8), without decoding pixels.
  ///
  /// Applies the same `maxPixels` check as ``decode(_:maxPixels:applyOrientation:)``, so it is a cheap
  /// way to reject uploads early.
  public static func probe(
    _ bytes: [UInt8], maxPixels: Int = defaultMaxPixels
  ) throws(ImagingError) -> (format: ImageFormat, width: Int, height: Int) {
    try bytes.withUnsafeBufferPointer { buffer throws(ImagingError) in
      let (format, width, height) = try probe(buffer: buffer, maxPixels: maxPixels)
      let shown = ExifOrientation.read(buffer).displaySize(width: width, height: height)
      return (format, shown.width, shown.height)
    }
  }

  // MARK: - Pointer-based core

  /// Header pass: format, size and the `maxPixels` check.
  static func probe(
    buffer: UnsafeBufferPointer<UInt8>, maxPixels: Int
  ) throws(ImagingError) -> (ImageFormat, Int, Int) {
    guard maxPixels > 0 else {
      throw ImagingError(.invalidArgument, "maxPixels must be positive (got \(maxPixels))")
    }
    var format = SIMLAY_FORMAT_UNKNOWN
    var width: UInt32 = 0
    var height: UInt32 = 0
    let result = CodecBridge.call { msg, cap in
      simlay_probe(
        buffer.baseAddress, buffer.count, UInt64(maxPixels), &format, &width, &height, msg, cap)
    }
    try CodecBridge.check(result)
    return (format == SIMLAY_FORMAT_PNG ? .png : .jpeg, Int(width), Int(height))
  }

  /// Two passes over the same bytes: the header first (so the output can be allocated at its
  /// exact size, straight into the Array's storage), then the pixels.
  static func decode(
    buffer: UnsafeBufferPointer<UInt8>, maxPixels: Int, applyOrientation: Bool
  ) throws(ImagingError) -> RGBImage {
    let stored = try decodeAsStored(buffer: buffer, maxPixels: maxPixels)
    // Reading the tag costs a walk over the segment headers (microseconds); the turn itself is one pass
    // over the pixels, only for images that need it.
    return applyOrientation ? ExifOrientation.read(buffer).apply(to: stored) : stored
  }

  static func decodeAsStored(
    buffer: UnsafeBufferPointer<UInt8>, maxPixels: Int
  ) throws(ImagingError) -> RGBImage {
    let (_, width, height) = try probe(buffer: buffer, maxPixels: maxPixels)
    let byteCount = width * height * 3
    var result = (status: SIMLAY_OK, message: "")
    let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
      var w: UInt32 = 0
      var h: UInt32 = 0
      result = CodecBridge.call { msg, cap in
        simlay_decode_rgb(
          buffer.baseAddress, buffer.count, UInt64(maxPixels), out.baseAddress, out.count, &w, &h,
          msg, cap)
      }
      // UInt8 is trivial, so claiming zero initialised elements on failure is always safe.
      let ok = result.status == SIMLAY_OK && Int(w) == width && Int(h) == height
      initialized = ok ? byteCount : 0
    }
    try CodecBridge.check(result)
    guard pixels.count == byteCount else {
      throw ImagingError(.corrupt, "image size changed between header and pixel pass")
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }
}
