import SimlayCore
import SimlayImaging
import Testing

@Suite("TransformTracking")
struct TransformTrackingTests {
  static let sizes = [1, 2, 7, 13, 14]

  @Test(
    "quarter turns permute every cell of a square grid exactly", arguments: sizes, [0.0, 90, 180, 270, -90, 360, 450])
  func quarterTurnsPermute(size n: Int, degrees: Double) {
    var seen = Set<Int>()
    for y in 0..<n {
      for x in 0..<n {
        let t = TransformTracking.rotated(y: y, x: x, degrees: degrees, height: n, width: n)
        #expect(t.inBounds)
        #expect(t.point.y == Double(t.y) && t.point.x == Double(t.x), "quarter turns land on cell centres exactly")
        seen.insert(t.y * n + t.x)
        let k = ((Int(degrees) / 90) % 4 + 4) % 4
        // np.rot90: content at (y, x) moves to (n-1-x, y) per counterclockwise quarter turn.
        var expected = (y, x)
        for _ in 0..<k { expected = (n - 1 - expected.1, expected.0) }
        #expect(t.y == expected.0 && t.x == expected.1, "(\(y), \(x)) at \(degrees)")
      }
    }
    #expect(seen.count == n * n)
  }

  @Test(
    "tracking agrees with ImageRotation: a one-hot image's pixel moves to the tracked cell", arguments: [7, 13, 14],
    [90.0, 180, 270])
  func agreesWithImageRotation(size n: Int, degrees: Double) {
    for y in 0..<n {
      for x in 0..<n {
        var values = [Float](repeating: 0, count: n * n)
        values[y * n + x] = 1
        let rotated = ImageRotation.rotate(
          PlanarImage(channels: 1, height: n, width: n, values: values), degrees: degrees,
          fill: .constant(0, channels: 1))
        let t = TransformTracking.rotated(y: y, x: x, degrees: degrees, height: n, width: n)
        #expect(rotated.values.firstIndex(of: 1) == t.y * n + t.x)
      }
    }
  }

  @Test("a half turn of a non-square grid flips both axes")
  func halfTurnNonSquare() {
    for y in 0..<5 {
      for x in 0..<9 {
        let t = TransformTracking.rotated(y: y, x: x, degrees: 180, height: 5, width: 9)
        #expect(t.inBounds && t.y == 4 - y && t.x == 8 - x)
      }
    }
  }

  @Test("a corner at 45 degrees leaves the grid and is reported outside, not clamped")
  func cornerLeavesAt45() {
    let t = TransformTracking.rotated(y: 0, x: 0, degrees: 45, height: 14, width: 14)
    // Centre 6.5; the corner's offset (-6.5, -6.5) turns to (-9.19, 0): x = 6.5 - 9.19 = -2.69.
    #expect(!t.inBounds)
    // y = 6.5 up to rounding (a tie between rows 6 and 7); x is well outside.
    #expect((6...7).contains(t.y) && t.x == -3 && abs(t.point.x - (6.5 - 6.5 * 2.0.squareRoot())) < 1e-12)
    let odd = TransformTracking.rotated(y: 0, x: 0, degrees: 45, height: 13, width: 13)
    #expect(!odd.inBounds && odd.y == 6 && odd.x == -2)
    let centre = TransformTracking.rotated(y: 6, x: 7, degrees: 45, height: 14, width: 14)
    #expect(centre.inBounds)
  }

  @Test("a rotation by 30 degrees moves the cell right of the centre up and right")
  func thirtyDegrees() {
    // Grid 7x7, centre (3, 3); cell (3, 6) is 3 right of it; counterclockwise by 30: 3 cos 30 = 2.60 right, 1.5 up.
    let t = TransformTracking.rotated(y: 3, x: 6, degrees: 30, height: 7, width: 7)
    #expect(abs(t.point.x - (3 + 3 * 3.0.squareRoot() / 2)) < 1e-12 && abs(t.point.y - 1.5) < 1e-12)
    #expect(t.y == 2 && t.x == 6 && t.inBounds)
  }

  @Test("scale 1 keeps every cell; scale s moves centres s times further from the grid centre", arguments: [7, 13, 14])
  func scaleTracking(size n: Int) {
    for y in 0..<n {
      for x in 0..<n {
        let same = TransformTracking.scaled(y: y, x: x, scale: 1, height: n, width: n)
        #expect(same.inBounds && same.y == y && same.x == x)
        let c = Double(n - 1) / 2
        let twice = TransformTracking.scaled(y: y, x: x, scale: 2, height: n, width: n)
        #expect(twice.point.y == c + 2 * (Double(y) - c) && twice.point.x == c + 2 * (Double(x) - c))
        #expect(
          twice.y == Int((twice.point.y + 0.5).rounded(.down)) && twice.x == Int((twice.point.x + 0.5).rounded(.down)))
        #expect(twice.inBounds == (twice.y >= 0 && twice.y < n && twice.x >= 0 && twice.x < n))
        #expect(
          TransformTracking.scaled(y: y, x: x, scale: 0.5, height: n, width: n).inBounds, "zooming out keeps everything"
        )
      }
    }
    #expect(
      !TransformTracking.scaled(y: 0, x: 0, scale: 2, height: n, width: n).inBounds, "zooming in pushes corners out")
  }

  @Test(
    "scale tracking agrees with CropAndResize: the tracked pixel samples the original one", arguments: [7, 13],
    [2.0, 3.0])
  func agreesWithCropAndResize(size n: Int, scale: Double) {
    let image = PlanarImage(
      channels: 1, height: n, width: n, values: (0..<(n * n)).map { Float(($0 / n) * 100 + $0 % n) })
    let zoomed = CropAndResize.apply(image, box: .centred(scale: scale), fill: .constant(-1, channels: 1))
    var checked = 0
    for y in 0..<n {
      for x in 0..<n {
        let t = TransformTracking.scaled(y: y, x: x, scale: scale, height: n, width: n)
        guard t.inBounds else { continue }
        checked += 1
        #expect(zoomed[0, t.y, t.x] == image[0, y, x], "(\(y), \(x)) -> (\(t.y), \(t.x))")
      }
    }
    #expect(checked > 0)
  }
}
