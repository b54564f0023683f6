import Foundation
import SimlayImaging
import Testing

@Suite("ImageRotation")
struct ImageRotationTests {
  /// A 2-channel image whose every value differs (so any wrong permutation shows).
  static func distinct(height h: Int, width w: Int) -> PlanarImage {
    PlanarImage(channels: 2, height: h, width: w, values: (0..<(2 * h * w)).map { Float($0) * 1.5 + 0.25 })
  }

  /// np.rot90(x, k) per channel: k counterclockwise quarter turns of a square image.
  static func rot90(_ image: PlanarImage, _ k: Int) -> [Float] {
    let n = image.height
    var out = [Float](repeating: .nan, count: image.values.count)
    for c in 0..<image.channels {
      for y in 0..<n {
        for x in 0..<n {
          let source: (Int, Int)
          switch ((k % 4) + 4) % 4 {
          case 0: source = (y, x)
          case 1: source = (x, n - 1 - y)  // transpose, then flip vertically
          case 2: source = (n - 1 - y, n - 1 - x)
          default: source = (n - 1 - x, y)
          }
          out[(c * n + y) * n + x] = image[c, source.0, source.1]
        }
      }
    }
    return out
  }

  @Test(
    "quarter turns of a square image are exact permutations (np.rot90)", arguments: [1, 2, 5, 6, 7, 14],
    [0, 90, 180, 270, -90, 360, 450, -540])
  func quarterTurns(size n: Int, degrees: Int) {
    let image = Self.distinct(height: n, width: n)
    let rotated = ImageRotation.rotate(image, degrees: Double(degrees), fill: .constant(-99, channels: 2))
    #expect(rotated.values == Self.rot90(image, degrees / 90))
  }

  @Test("180 degrees flips both axes of a non-square image exactly", arguments: [(3, 8), (6, 5), (1, 4)])
  func halfTurnNonSquare(height h: Int, width w: Int) {
    let image = Self.distinct(height: h, width: w)
    let rotated = ImageRotation.rotate(image, degrees: 180, fill: .constant(-99, channels: 2))
    for c in 0..<2 { for y in 0..<h { for x in 0..<w { #expect(rotated[c, y, x] == image[c, h - 1 - y, w - 1 - x]) } } }
  }

  @Test("30 degrees: a bilinear sample computed by hand, counterclockwise")
  func thirtyDegreesByHand() {
    let image = PlanarImage(channels: 1, height: 3, width: 3, values: (0..<9).map(Float.init))
    let rotated = ImageRotation.rotate(image, degrees: 30, fill: .constant(-1, channels: 1))
    // Output (0, 1), one above the centre, samples the input at x = 1 + sin 30 = 1.5 (right of centre: a
    // counterclockwise turn brings the right side up), y = 1 - cos 30 = 0.1340: rows 0..1, columns 1..2.
    let top: Float = 1 + (2 - 1) * 0.5
    let bottom: Float = 4 + (5 - 4) * 0.5
    let expected = top + (bottom - top) * Float(1 - 3.0.squareRoot() / 2)
    #expect(abs(rotated[0, 0, 1] - expected) < 1e-5)
    #expect(abs(rotated[0, 0, 1] - 1.9019238) < 1e-5)
    #expect(rotated[0, 1, 1] == 4, "the centre stays")
    // Output (0, 0) samples y = 1 - cos 30 - sin 30 < 0: outside, so the fill.
    #expect(rotated[0, 0, 0] == -1)
  }

  @Test("bilinear rotation reproduces a linear ramp wherever it samples inside", arguments: [17.0, 30, 45, -60, 123.4])
  func linearRamp(degrees: Double) {
    let (h, w) = (9, 11)
    let f = { (y: Double, x: Double) in 3 * y - 2 * x + 5 }
    let image = PlanarImage(
      channels: 1, height: h, width: w, values: (0..<(h * w)).map { Float(f(Double($0 / w), Double($0 % w))) })
    let rotated = ImageRotation.rotate(image, degrees: degrees, fill: .constant(-1000, channels: 1))
    let a = degrees * .pi / 180
    let (cy, cx) = (Double(h - 1) / 2, Double(w - 1) / 2)
    var inside = 0
    for y in 0..<h {
      for x in 0..<w {
        let (dx, dy) = (Double(x) - cx, Double(y) - cy)
        let (sy, sx) = (cy + dx * sin(a) + dy * cos(a), cx + dx * cos(a) - dy * sin(a))
        if sy >= 1e-9, sy <= Double(h - 1) - 1e-9, sx >= 1e-9, sx <= Double(w - 1) - 1e-9 {
          inside += 1
          #expect(abs(Double(rotated[0, y, x]) - f(sy, sx)) < 1e-3, "(\(y), \(x))")
        } else if sy < -1e-9 || sy > Double(h - 1) + 1e-9 || sx < -1e-9 || sx > Double(w - 1) + 1e-9 {
          #expect(rotated[0, y, x] == -1000, "(\(y), \(x)) samples outside")
        }
      }
    }
    #expect(inside > h * w / 3)
  }

  @Test("the fill is per channel")
  func perChannelFill() {
    let image = Self.distinct(height: 6, width: 6)
    let rotated = ImageRotation.rotate(image, degrees: 45, fill: TransformFill(values: [-7, 9]))
    #expect(rotated[0, 0, 0] == -7 && rotated[1, 0, 0] == 9)
  }
}
