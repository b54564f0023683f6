/// Turns decoded images into normalised network input: resize, then per-channel
/// `(x - mean) / std`, laid out planar (CHW), or NCHW for a batch.
///
/// `mean` and `std` are in 0...255 pixel units (for torchvision-style constants given in
/// 0...1 units, multiply both by 255). The resize squashes the whole image to
/// `width` x `height` with no crop, using ``Resampler/resizeBilinear(_:width:height:)``
/// (Pillow's BILINEAR in Float).
public struct Preprocessing: Sendable, Equatable, Hashable {
  /// Network input width in pixels.
  public var width: Int
  /// Network input height in pixels.
  public var height: Int
  /// Per-channel (R, G, B) mean subtracted from every value, in 0...255 units; 3 values.
  public var mean: [Float]
  /// Per-channel (R, G, B) divisor applied after the mean, in 0...255 units; 3 non-zero values.
  public var std: [Float]

  /// Creates a configuration; check untrusted values with ``validate()``.
  public init(width: Int, height: Int, mean: [Float], std: [Float]) {
    self.width = width
    self.height = height
    self.mean = mean
    self.std = std
  }

  /// The usual ImageNet statistics (torchvision's `[0.485, 0.456, 0.406]` /
  /// `[0.229, 0.224, 0.225]`, times 255).
  public static func imageNet(width: Int = 224, height: Int = 224) -> Preprocessing {
    Preprocessing(
      width: width, height: height,
      mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])
  }

  /// Number of Floats ``apply(to:)`` returns: `3 * height * width`.
  public var elementCount: Int { 3 * width * height }

  /// Throws `.invalidArgument` unless the sizes are positive, `mean` and `std` have three
  /// finite values each and no `std` is zero.
  public func validate() throws(ImagingError) {
    guard width > 0, height > 0, width.multipliedReportingOverflow(by: height * 3).overflow == false
    else {
      throw ImagingError(.invalidArgument, "preprocessing size must be positive, got \(width)x\(height)")
    }
    guard mean.count == 3, std.count == 3 else {
      throw ImagingError(
        .invalidArgument,
        "preprocessing needs 3 mean and 3 std values, got \(mean.count) and \(std.count)")
    }
    guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
      throw ImagingError(
        .invalidArgument, "preprocessing mean must be finite and std finite and non-zero: \(mean), \(std)")
    }
  }

  /// Resizes `image` to `width` x `height` and normalises it.
  ///
  /// - Returns: `3 * height * width` Floats, planar CHW (R plane, G plane, B plane).
  /// - Precondition: the configuration passes ``validate()`` and the image is non-empty and
  ///   well-formed; violations trap (they are programming errors: decoders never produce
  ///   such images).
  public func apply(to image: RGBImage) -> [Float] {
    batch([image])
  }

  /// Applies ``apply(to:)`` to every image, concatenated into one NCHW buffer of
  /// `images.count * 3 * height * width` Floats (image `n` starts at `n * elementCount`).
  /// Each image is resized straight into its slot, so there is no per-image copy.
  public func batch(_ images: [RGBImage]) -> [Float] {
    [Float](unsafeUninitializedCapacity: images.count * elementCount) { out, initialized in
      batch(images, into: out)
      initialized = out.count
    }
  }

  /// ``batch(_:)`` written into `out` (`images.count * elementCount` Floats), so that a caller holding its
  /// own buffer (a tensor's) needs no copy.
  public func batch(_ images: [RGBImage], into out: UnsafeMutableBufferPointer<Float>) {
    checkPreconditions(images)
    let perImage = elementCount
    let plane = width * height
    precondition(out.count == images.count * perImage, "Preprocessing: output size does not match the images")
    for (n, image) in images.enumerated() {
      let slot = UnsafeMutableBufferPointer(rebasing: out[(n * perImage)..<((n + 1) * perImage)])
      Resampler.resizeBilinear(image, width: width, height: height, into: slot)
      for c in 0..<3 {
        let m = mean[c]
        let s = std[c]
        let p = slot.baseAddress! + c * plane
        // A true division (not a multiply by 1/std) keeps results identical to the
        // reference `(x - mean) / std` computed elsewhere, e.g. in numpy.
        for i in 0..<plane { p[i] = (p[i] - m) / s }
      }
    }
  }

  /// Traps with a descriptive message on a bad configuration or image; `fatalError` rather
  /// than `precondition` because this module is built with `-Ounchecked`.
  private func checkPreconditions(_ images: [RGBImage]) {
    do {
      try validate()
    } catch {
      fatalError("Preprocessing: \(error.message)")
    }
    for (n, image) in images.enumerated()
    where !Resampler.isResizable(image, width: width, height: height) {
      fatalError("Preprocessing: image \(n) (\(image.width)x\(image.height)) is empty or malformed")
    }
  }
}
