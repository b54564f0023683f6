/// A planar float image `[C, H, W]` (row-major, channel planes one after another): the layout of a
/// preprocessed network input, which the sweep transforms (rotation, crop-and-resize) work on.
public struct PlanarImage: Sendable, Equatable {
  /// Number of channel planes.
  public let channels: Int
  /// Rows per plane.
  public let height: Int
  /// Columns per plane.
  public let width: Int
  /// `channels * height * width` values; element (c, y, x) is at `(c * height + y) * width + x`.
  public var values: [Float]

  /// Wraps values laid out `[C, H, W]`.
  ///
  /// - Precondition: the sizes are positive and `values.count == channels * height * width`.
  public init(channels: Int, height: Int, width: Int, values: [Float]) {
    precondition(
      channels > 0 && height > 0 && width > 0, "PlanarImage: sizes must be positive, got \(channels)x\(height)x\(width)"
    )
    precondition(
      values.count == channels * height * width,
      "PlanarImage: \(values.count) values for \(channels)x\(height)x\(width)")
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
  }

  /// The value at channel `c`, row `y`, column `x`.
  public subscript(c: Int, y: Int, x: Int) -> Float {
    values[(c * height + y) * width + x]
  }

  /// Values per plane.
  public var planeCount: Int { height * width }
}

/// What a transform writes where its sample point falls outside the source image.
public struct TransformFill: Sendable, Equatable {
  /// One value per channel plane.
  public var values: [Float]

  /// One value per channel.
  public init(values: [Float]) { self.values = values }

  /// The same value in every one of `channels` planes (e.g. 0: the mean of normalised input).
  public static func constant(_ value: Float, channels: Int) -> TransformFill {
    TransformFill(values: [Float](repeating: value, count: channels))
  }
}

/// Bilinear sampling with TensorFlow's `crop_and_resize` rules, shared by rotation and crop-and-resize so
/// both treat edges alike: a point outside `[0, W-1] x [0, H-1]` (pixel-centre coordinates) takes the fill
/// value; a point inside blends its (up to) four neighbours with `top + (bottom - top) * fy` on rows that
/// are themselves `left + (right - left) * fx`. Integer coordinates therefore return a pixel exactly,
/// which makes quarter turns exact permutations.
enum BilinearSampler {
  /// Writes, for every output pixel `(oy, ox)`, the source sampled at `point(oy, ox)` into `out`.
  static func resample(
    _ source: PlanarImage, fill: TransformFill, height outHeight: Int, width outWidth: Int,
    point: (Int, Int) -> (y: Double, x: Double)
  ) -> PlanarImage {
    precondition(
      fill.values.count == source.channels, "fill has \(fill.values.count) values for \(source.channels) channels")
    let (h, w, plane) = (source.height, source.width, source.planeCount)
    let outPlane = outHeight * outWidth
    var out = [Float](repeating: 0, count: source.channels * outPlane)
    source.values.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for oy in 0..<outHeight {
          for ox in 0..<outWidth {
            let (sy, sx) = point(oy, ox)
            let o = oy * outWidth + ox
            // The negated comparison also sends NaN coordinates to the fill.
            guard sy >= 0, sy <= Double(h - 1), sx >= 0, sx <= Double(w - 1) else {
              for c in 0..<source.channels { dst[c * outPlane + o] = fill.values[c] }
              continue
            }
            let (y0, x0) = (Int(sy.rounded(.down)), Int(sx.rounded(.down)))
            let (y1, x1) = (Int(sy.rounded(.up)), Int(sx.rounded(.up)))
            let (fy, fx) = (Float(sy - Double(y0)), Float(sx - Double(x0)))
            for c in 0..<source.channels {
              let p = src.baseAddress! + c * plane
              let (tl, tr) = (p[y0 * w + x0], p[y0 * w + x1])
              let (bl, br) = (p[y1 * w + x0], p[y1 * w + x1])
              let top = tl + (tr - tl) * fx
              let bottom = bl + (br - bl) * fx
              dst[c * outPlane + o] = top + (bottom - top) * fy
            }
          }
        }
      }
    }
    return PlanarImage(channels: source.channels, height: outHeight, width: outWidth, values: out)
  }
}
