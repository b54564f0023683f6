import SimlayImaging

/// A sweep's transform applied to the original photo, before the squash to the model input: what makes a
/// rotation of a non-square photo a rotation (on the squashed square it is a shear of the photo).
///
/// The photo's pixels become float planes (0...255), are rotated about the photo's centre
/// (``ImageRotation``) or cropped-and-resized to the photo's own size (``CropAndResize``, the centred box
/// of side `1 / scale`), with the same bilinear rules as the input-space sweep, and are rounded back to
/// 8-bit pixels (half away from zero, clamped): the result is a photo like any other, which the model's
/// pipeline then squashes and normalises. Track points with ``PointTracking`` on the photo's size.
public enum PhotoTransform {
  /// `photo` rotated by `degrees` (counterclockwise as displayed), `fill` (R, G, B in 0...255) outside.
  public static func rotated(_ photo: RGBImage, degrees: Double, fill: [Float]) -> RGBImage {
    pixels(ImageRotation.rotate(planes(photo), degrees: degrees, fill: TransformFill(values: fill)))
  }

  /// The centred box of side `1 / scale` of `photo`, resized to the photo's size, `fill` outside.
  public static func scaled(_ photo: RGBImage, scale: Double, fill: [Float]) -> RGBImage {
    pixels(CropAndResize.apply(planes(photo), box: .centred(scale: scale), fill: TransformFill(values: fill)))
  }

  /// The photo as three planes of pixel values.
  static func planes(_ photo: RGBImage) -> PlanarImage {
    let plane = photo.width * photo.height
    var values = [Float](repeating: 0, count: 3 * plane)
    photo.pixels.withUnsafeBufferPointer { p in
      for i in 0..<plane {
        for c in 0..<3 { values[c * plane + i] = Float(p[i * 3 + c]) }
      }
    }
    return PlanarImage(channels: 3, height: photo.height, width: photo.width, values: values)
  }

  /// Three planes back to interleaved 8-bit RGB.
  static func pixels(_ image: PlanarImage) -> RGBImage {
    let plane = image.planeCount
    var out = [UInt8](repeating: 0, count: 3 * plane)
    for c in 0..<3 {
      for i in 0..<plane { out[i * 3 + c] = UInt8(min(max(image.values[c * plane + i].rounded(), 0), 255)) }
    }
    return RGBImage(width: image.width, height: image.height, pixels: out)
  }
}
