import SimlayCore
import SimlayImaging
import Testing

/// PointTracking against the transforms themselves: a one-hot image put through ImageRotation or
/// CropAndResize must light up where the tracked point says, on odd, non-square sizes.
@Suite("PointTracking")
struct PointTrackingTests {
  /// Non-square sizes whose width and height differ by an even number, so quarter turns map pixel centres
  /// onto pixel centres (an odd difference puts them on corners, where bilinear splits the pixel).
  static let sizes: [(height: Int, width: Int)] = [(23, 37), (45, 31), (13, 13), (14, 14)]

  /// A one-hot single-plane image.
  static func oneHot(_ y: Int, _ x: Int, height: Int, width: Int) -> PlanarImage {
    var values = [Float](repeating: 0, count: height * width)
    values[y * width + x] = 1
    return PlanarImage(channels: 1, height: height, width: width, values: values)
  }

  /// Two planes holding each pixel's own row and column: bilinear sampling reproduces linear functions
  /// exactly, so after a transform each output pixel holds the source coordinates it came from.
  static func ramps(height: Int, width: Int) -> PlanarImage {
    let plane = height * width
    let values = (0..<(2 * plane)).map { i in Float(i < plane ? i / width : (i - plane) % width) }
    return PlanarImage(channels: 2, height: height, width: width, values: values)
  }

  /// For every output pixel that came from inside the image, the tracked position of its source equals the
  /// output pixel's centre (within 1e-3 px: the planes are Float).
  static func checkInverse(
    _ out: PlanarImage, label: String, track: ((y: Double, x: Double)) -> (y: Double, x: Double)
  ) {
    var checked = 0
    for oy in 0..<out.height {
      for ox in 0..<out.width where out[0, oy, ox] >= 0 {
        let source = (y: Double(out[0, oy, ox]) + 0.5, x: Double(out[1, oy, ox]) + 0.5)
        let p = track(source)
        checked += 1
        #expect(
          abs(p.y - (Double(oy) + 0.5)) < 1e-3 && abs(p.x - (Double(ox) + 0.5)) < 1e-3,
          "\(label): output (\(oy), \(ox)) came from \(source), tracked to \(p)")
      }
    }
    #expect(checked > 0, "\(label)")
  }

  @Test(
    "quarter and half turns: the one-hot pixel lands on the tracked pixel exactly", arguments: [90.0, 180, 270, -90])
  func quarterTurns(degrees: Double) {
    for (h, w) in Self.sizes {
      var inside = 0
      for y in 0..<h {
        for x in 0..<w {
          let rotated = ImageRotation.rotate(
            Self.oneHot(y, x, height: h, width: w), degrees: degrees, fill: .constant(0, channels: 1))
          let p = PointTracking.rotated((Double(y) + 0.5, Double(x) + 0.5), degrees: degrees, height: h, width: w)
          let (ty, tx) = (Int(p.y.rounded(.down)), Int(p.x.rounded(.down)))
          if (0..<h).contains(ty) && (0..<w).contains(tx) {
            inside += 1
            #expect(rotated.values.firstIndex(of: 1) == ty * w + tx, "\(h)x\(w) (\(y), \(x)) at \(degrees)")
          } else {
            #expect(!rotated.values.contains(1), "\(h)x\(w) (\(y), \(x)) left the image at \(degrees)")
          }
        }
      }
      #expect(inside > 0)
    }
  }

  @Test("any angle: every output pixel's source, tracked, lands on that output pixel", arguments: [30.0, 123, -71])
  func anyAngle(degrees: Double) {
    for (h, w) in Self.sizes {
      let rotated = ImageRotation.rotate(
        Self.ramps(height: h, width: w), degrees: degrees, fill: .constant(-1, channels: 2))
      Self.checkInverse(rotated, label: "\(h)x\(w) at \(degrees)") {
        PointTracking.rotated($0, degrees: degrees, height: h, width: w)
      }
    }
  }

  @Test("scales: every output pixel's source, tracked, lands on that output pixel", arguments: [0.75, 1.5, 2.5])
  func scales(scale: Double) {
    for (h, w) in Self.sizes {
      let zoomed = CropAndResize.apply(
        Self.ramps(height: h, width: w), box: .centred(scale: scale), fill: .constant(-1, channels: 2))
      Self.checkInverse(zoomed, label: "\(h)x\(w) x\(scale)") {
        PointTracking.scaled($0, scale: scale, height: h, width: w)
      }
    }
  }

  @Test("an untransformed pixel's cell is CellMapping's on a non-square photo; leaving the image is reported")
  func cellsAgreeWithCellMapping() {
    let (h, w, gh, gw) = (300, 451, 14, 14)
    for i in 0..<w {
      let px = Double(i) + 0.25
      let t = PointTracking.cell(
        of: (y: px * Double(h) / Double(w), x: px), height: h, width: w, gridHeight: gh, gridWidth: gw)
      let expected = CellMapping.cell(
        px: px, py: px * Double(h) / Double(w), imageWidth: w, imageHeight: h, gridHeight: gh, gridWidth: gw)!
      #expect(t.inBounds && t.y == expected.y && t.x == expected.x, "pixel \(px)")
      // The grid-coordinate point sits inside its cell: [c - 0.5, c + 0.5).
      #expect(t.point.x >= Double(t.x) - 0.5 && t.point.x < Double(t.x) + 0.5)
    }
    let out = PointTracking.cell(of: (y: -0.1, x: 451.5), height: h, width: w, gridHeight: gh, gridWidth: gw)
    #expect(!out.inBounds && out.y == -1 && out.x == 14)
  }

  @Test("best within a radius equals a brute-force search: clipped to the grid, first on ties, nil out of reach")
  func bestInRadius() {
    let (h, w) = (7, 9)
    var seed: UInt64 = 42
    let map = (0..<(h * w)).map { _ -> Float in
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float((seed >> 40) % 5)  // few distinct values: ties are common
    }
    for (y, x) in [(3, 4), (0, 0), (6, 8), (-2, 4), (3, 11), (-5, -5)] {
      for r in [0, 1, 2, 4] {
        var expected: (Int, Int, Float)?
        for cy in 0..<h {
          for cx in 0..<w where abs(cy - y) <= r && abs(cx - x) <= r {
            if expected == nil || map[cy * w + cx] > expected!.2 { expected = (cy, cx, map[cy * w + cx]) }
          }
        }
        let best = PointTracking.best(in: map[...], height: h, width: w, y: y, x: x, radius: r)
        #expect(best?.y == expected?.0 && best?.x == expected?.1 && best?.value == expected?.2, "(\(y), \(x)) r \(r)")
      }
    }
  }
}
