/// How the stored pixels of an image are turned for display: the eight values of the EXIF/TIFF
/// orientation tag. A phone held upright stores its photo sideways with `.rotated90` (value 6).
public enum ImageOrientation: UInt8, Sendable, Hashable, CaseIterable {
  /// 1: as stored.
  case up = 1
  /// 2: mirrored left-right.
  case mirrored = 2
  /// 3: rotated 180 degrees.
  case rotated180 = 3
  /// 4: mirrored top-bottom.
  case mirroredVertically = 4
  /// 5: transposed (rows become columns).
  case transposed = 5
  /// 6: rotated 90 degrees clockwise for display.
  case rotated90 = 6
  /// 7: transversed (transposed, then rotated 180 degrees).
  case transversed = 7
  /// 8: rotated 90 degrees counter-clockwise for display.
  case rotated270 = 8

  /// True when display swaps width and height (values 5-8).
  public var swapsAxes: Bool { rawValue >= 5 }

  /// The display size of a stored `width` x `height` image.
  public func displaySize(width: Int, height: Int) -> (width: Int, height: Int) {
    swapsAxes ? (height, width) : (width, height)
  }

  /// The pixels as displayed: the same transform as Pillow's `ImageOps.exif_transpose` (2: FLIP_LEFT_RIGHT,
  /// 3: ROTATE_180, 4: FLIP_TOP_BOTTOM, 5: TRANSPOSE, 6: ROTATE_270, 7: TRANSVERSE, 8: ROTATE_90).
  public func apply(to image: RGBImage) -> RGBImage {
    guard self != .up else { return image }
    let (w, h) = (image.width, image.height)
    let (ow, oh) = displaySize(width: w, height: h)
    // Source pixel of output (x, y), as `base + x * dx + y * dy` in pixels: one affine map per case.
    let (base, dx, dy): (Int, Int, Int)
    switch self {
    case .up: (base, dx, dy) = (0, 1, w)
    case .mirrored: (base, dx, dy) = (w - 1, -1, w)
    case .rotated180: (base, dx, dy) = ((h - 1) * w + w - 1, -1, -w)
    case .mirroredVertically: (base, dx, dy) = ((h - 1) * w, 1, -w)
    case .transposed: (base, dx, dy) = (0, w, 1)  // out(x, y) = in(y, x)
    case .rotated90: (base, dx, dy) = ((h - 1) * w, -w, 1)  // out(x, y) = in(col y, row h-1-x)
    case .transversed: (base, dx, dy) = ((h - 1) * w + w - 1, -w, -1)  // in(col w-1-y, row h-1-x)
    case .rotated270: (base, dx, dy) = (w - 1, w, -1)  // in(col w-1-y, row x)
    }
    var out = [UInt8](repeating: 0, count: ow * oh * 3)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<oh {
          var s = base + y * dy
          var d = y * ow * 3
          for _ in 0..<ow {
            dst[d] = src[s * 3]
            dst[d + 1] = src[s * 3 + 1]
            dst[d + 2] = src[s * 3 + 2]
            s += dx
            d += 3
          }
        }
      }
    }
    return RGBImage(width: ow, height: oh, pixels: out)
  }
}
