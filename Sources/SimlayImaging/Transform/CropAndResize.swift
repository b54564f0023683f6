/// TensorFlow's `tf.image.crop_and_resize` for one box: the part of an image inside a box given in
/// normalised coordinates, resampled bilinearly to a fixed size; the input transform of scale sweeps.
///
/// A box `[y0, x0, y1, x1]` (fractions of the image, 0 and 1 at the first and last pixel centres, as in
/// TensorFlow) may extend past the image (a zoom out) or be flipped (y1 < y0). Output row `oy` of `outHeight`
/// samples input row `y0 * (H-1) + oy * (y1 - y0) * (H-1) / (outHeight-1)` (the box's centre row when
/// `outHeight` is 1), likewise for columns; samples outside the image take the fill (TensorFlow's
/// `extrapolation_value`), others are bilinear as in ``BilinearSampler``. The full box `[0, 0, 1, 1]` at the
/// input's size is the identity, exactly.
public enum CropAndResize {
  /// A crop box in normalised coordinates.
  public struct Box: Sendable, Equatable {
    /// Top edge (0 = the first row's centre, 1 = the last row's).
    public var y0: Double
    /// Left edge.
    public var x0: Double
    /// Bottom edge.
    public var y1: Double
    /// Right edge.
    public var x1: Double

    /// A box `[y0, x0, y1, x1]`.
    public init(y0: Double, x0: Double, y1: Double, x1: Double) {
      (self.y0, self.x0, self.y1, self.x1) = (y0, x0, y1, x1)
    }

    /// The whole image.
    public static let full = Box(y0: 0, x0: 0, y1: 1, x1: 1)

    /// The centred square box of side `1 / scale`: `scale > 1` zooms in, `scale < 1` zooms out (the box
    /// then extends past the image on every side).
    public static func centred(scale: Double) -> Box {
      let half = 0.5 / scale
      return Box(y0: 0.5 - half, x0: 0.5 - half, y1: 0.5 + half, x1: 0.5 + half)
    }

    /// `[y0, x0, y1, x1]`, the wire order.
    public var array: [Double] { [y0, x0, y1, x1] }
  }

  /// The box of `image` resampled to `height` x `width` (default: the image's size), `fill` outside.
  ///
  /// - Precondition: `fill` has one value per channel; sizes are positive.
  public static func apply(_ image: PlanarImage, box: Box, height: Int? = nil, width: Int? = nil, fill: TransformFill)
    -> PlanarImage
  {
    let outHeight = height ?? image.height
    let outWidth = width ?? image.width
    precondition(outHeight > 0 && outWidth > 0, "CropAndResize: output size must be positive")
    let rows = coordinates(start: box.y0, end: box.y1, inputSize: image.height, outputSize: outHeight)
    let columns = coordinates(start: box.x0, end: box.x1, inputSize: image.width, outputSize: outWidth)
    return BilinearSampler.resample(image, fill: fill, height: outHeight, width: outWidth) { oy, ox in
      (y: rows[oy], x: columns[ox])
    }
  }

  /// The input coordinate each output index samples along one axis, as TensorFlow computes it.
  static func coordinates(start: Double, end: Double, inputSize: Int, outputSize: Int) -> [Double] {
    let last = Double(inputSize - 1)
    guard outputSize > 1 else { return [0.5 * (start + end) * last] }
    let step = (end - start) * last / Double(outputSize - 1)
    return (0..<outputSize).map { start * last + Double($0) * step }
  }
}
