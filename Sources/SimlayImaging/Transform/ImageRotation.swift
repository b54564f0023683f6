import Foundation

/// Rotation of a planar image about its centre, the input transform of rotation sweeps.
///
/// Conventions (those of the wire contract's `TRANSFORM_ROTATE`): a positive angle turns the picture
/// counterclockwise as displayed (x right, y down), about `((W-1)/2, (H-1)/2)` in pixel-centre
/// coordinates; the output keeps the input's size; pixels whose source falls outside the input take the
/// fill. An output pixel at offset `(dx, dy)` from the centre samples the input at
/// `(cx + dx cos a - dy sin a, cy + dx sin a + dy cos a)` with ``BilinearSampler``'s rules.
///
/// Multiples of 90 degrees use exact cosines and sines (see ``RotationAngle``), so on a square image they
/// are exact pixel permutations: 90 is `np.rot90(x, 1)`, i.e. a transpose and a vertical flip.
public enum ImageRotation {
  /// `image` rotated by `degrees` (counterclockwise as displayed), `fill` outside.
  ///
  /// - Precondition: `fill` has one value per channel.
  public static func rotate(_ image: PlanarImage, degrees: Double, fill: TransformFill) -> PlanarImage {
    let (cos, sin) = RotationAngle.cosSin(degrees: degrees)
    let cy = Double(image.height - 1) / 2
    let cx = Double(image.width - 1) / 2
    return BilinearSampler.resample(image, fill: fill, height: image.height, width: image.width) { oy, ox in
      let dx = Double(ox) - cx
      let dy = Double(oy) - cy
      return (y: cy + dx * sin + dy * cos, x: cx + dx * cos - dy * sin)
    }
  }
}

/// Cosine and sine of an angle in degrees, exact (0, 1 or -1) at multiples of 90 degrees, where
/// `Double.pi`'s rounding would otherwise leave terms like 6e-17 that break exact quarter turns.
public enum RotationAngle {
  /// `(cos, sin)` of `degrees`.
  public static func cosSin(degrees: Double) -> (cos: Double, sin: Double) {
    let reduced = degrees.truncatingRemainder(dividingBy: 360)
    let turn = reduced < 0 ? reduced + 360 : reduced
    switch turn {
    case 0: return (1, 0)
    case 90: return (0, 1)
    case 180: return (-1, 0)
    case 270: return (0, -1)
    default:
      let radians = turn * .pi / 180
      return (Foundation.cos(radians), Foundation.sin(radians))
    }
  }
}
