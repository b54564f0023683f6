import SimlayImaging

/// Pixel probes shared by the render tests.
enum Probe {
  /// The RGB triple at `(x, y)`.
  static func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
    let i = (y * image.width + x) * 3
    return Array(image.pixels[i..<i + 3])
  }

  /// Rec. 601 luma of the pixel at `(x, y)`: the "brightness" the monotonicity tests compare.
  static func luma(_ image: RGBImage, _ x: Int, _ y: Int) -> Double {
    let p = pixel(image, x, y)
    return 0.299 * Double(p[0]) + 0.587 * Double(p[1]) + 0.114 * Double(p[2])
  }

  /// A deterministic pseudo-random image (a multiplicative hash of the byte index), so tests
  /// need no fixtures and no random seeds.
  static func noise(width: Int, height: Int) -> RGBImage {
    let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 9) }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  /// `count` distinct values in 0...1 in a scrambled order (a stride permutation), so cell
  /// order and value order differ.
  static func distinctValues(_ count: Int) -> [Float] {
    let step = stride(from: 7, through: count + 7, by: 1).first { gcd($0, count) == 1 }!
    return (0..<count).map { Float(($0 * step) % count) / Float(max(count - 1, 1)) }
  }

  /// Smooth-ish pseudo-random values in 0...1 for `count` cells.
  static func randomValues(_ count: Int) -> [Float] {
    (0..<count).map { Float(UInt32(truncatingIfNeeded: ($0 &+ 1) &* 2_654_435_761) >> 8) / Float(1 << 24) }
  }

  /// Pixels (as `(x, y)`) whose colour is exactly the outline yellow.
  static func yellowPixels(_ image: RGBImage) -> Set<[Int]> {
    var found = Set<[Int]>()
    for y in 0..<image.height {
      for x in 0..<image.width where pixel(image, x, y) == [255, 255, 0] { found.insert([x, y]) }
    }
    return found
  }

  private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
