/// An 8-bit, interleaved RGB image: row-major pixels, three bytes (R, G, B) per pixel, rows
/// packed without padding.
///
/// This is the one in-memory image type of the imaging layer: decoders produce it, the
/// resampler and ``Preprocessing`` consume it. Alpha never appears here; decoders drop it
/// (without compositing) exactly like Pillow's `Image.convert("RGB")`.
public struct RGBImage: Sendable, Equatable, Hashable {
  /// Width in pixels (columns).
  public let width: Int
  /// Height in pixels (rows).
  public let height: Int
  /// `width * height * 3` bytes: pixel `(x, y)` channel `c` is at `(y * width + x) * 3 + c`.
  ///
  /// The array is mutable so pixels can be edited in place; keep its count unchanged.
  /// Consumers such as ``Resampler`` treat an image whose count no longer matches its size
  /// as empty rather than reading out of bounds.
  public var pixels: [UInt8]

  /// Wraps existing pixel data.
  ///
  /// - Precondition: `width >= 0`, `height >= 0` and `pixels.count == width * height * 3`.
  ///   Violations trap in every build configuration (this module is compiled with
  ///   `-Ounchecked`, where a plain `precondition` would be skipped); use
  ///   ``init(validatingWidth:height:pixels:)`` for untrusted input.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    guard RGBImage.isConsistent(width: width, height: height, count: pixels.count) else {
      fatalError("RGBImage: \(pixels.count) bytes do not hold \(width)x\(height) RGB pixels")
    }
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Wraps pixel data that comes from outside the program (a socket, a raw file), throwing
  /// ``ImagingError/Code/invalidArgument`` instead of trapping when the byte
  /// count does not match `width * height * 3`.
  public init(validatingWidth width: Int, height: Int, pixels: [UInt8]) throws(ImagingError) {
    guard RGBImage.isConsistent(width: width, height: height, count: pixels.count) else {
      throw ImagingError(
        .invalidArgument,
        "\(pixels.count) bytes do not hold \(width)x\(height) RGB pixels (expected width*height*3)")
    }
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// An image of one solid colour; handy for tests and placeholders.
  public init(width: Int, height: Int, filledWith color: (red: UInt8, green: UInt8, blue: UInt8)) {
    guard width >= 0, height >= 0 else { fatalError("RGBImage: negative size \(width)x\(height)") }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for i in stride(from: 0, to: pixels.count, by: 3) {
      pixels[i] = color.red
      pixels[i + 1] = color.green
      pixels[i + 2] = color.blue
    }
    self.init(width: width, height: height, pixels: pixels)
  }

  /// Whether `pixels.count` still matches `width * height * 3` (it can drift, since
  /// `pixels` is a `var`).
  public var isWellFormed: Bool {
    RGBImage.isConsistent(width: width, height: height, count: pixels.count)
  }

  /// Size check without overflow: absurd dimensions are simply inconsistent.
  static func isConsistent(width: Int, height: Int, count: Int) -> Bool {
    guard width >= 0, height >= 0 else { return false }
    let (wh, o1) = width.multipliedReportingOverflow(by: height)
    let (bytes, o2) = wh.multipliedReportingOverflow(by: 3)
    return !o1 && !o2 && bytes == count
  }
}
