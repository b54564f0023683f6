import SimlayImaging
import Testing

@Suite("Resampler.resizeMap")
struct MapResizeTests {
  @Test func nearestReplicatesBlocksWhenEnlarging() {
    let map: [Float] = [1, 2, 3, 4]  // 2x2
    let out = Resampler.resizeMap(map, width: 2, height: 2, toWidth: 4, toHeight: 4, mode: .nearest)
    #expect(
      out == [
        1, 1, 2, 2,
        1, 1, 2, 2,
        3, 3, 4, 4,
        3, 3, 4, 4,
      ])
  }

  @Test func nearestSamplesPixelCentresWhenShrinking() {
    // floor((x + 0.5) * 6 / 3) = 1, 3, 5 and floor((y + 0.5) * 3 / 1) = 1.
    let map = (0..<18).map(Float.init)  // 6x3
    let out = Resampler.resizeMap(map, width: 6, height: 3, toWidth: 3, toHeight: 1, mode: .nearest)
    #expect(out == [7, 9, 11])
  }

  @Test func nearestWithNonIntegerRatio() {
    // 3 -> 5: floor((x + 0.5) * 3 / 5) = 0, 0, 1, 2, 2 (Pillow/OpenCV INTER_NEAREST_EXACT).
    let out = Resampler.resizeMap([10, 20, 30], width: 3, height: 1, toWidth: 5, toHeight: 1, mode: .nearest)
    #expect(out == [10, 10, 20, 30, 30])
  }

  @Test(arguments: MapResize.allCases)
  func sameSizeIsIdentity(_ mode: MapResize) {
    let map: [Float] = [0.5, -1, 3, 7, 1e6, -2e-3]
    #expect(Resampler.resizeMap(map, width: 3, height: 2, toWidth: 3, toHeight: 2, mode: mode) == map)
  }

  @Test(
    "Matches Pillow's mode F resize",
    arguments: [
      (23, 17, MapResize.nearest), (23, 17, .bilinear), (3, 2, .nearest), (3, 2, .bilinear),
    ])
  func matchesPillow(_ c: (Int, Int, MapResize)) throws {
    let map = try Fixtures.floats("map.f32")  // 7x5
    let ours = Resampler.resizeMap(map, width: 7, height: 5, toWidth: c.0, toHeight: c.1, mode: c.2)
    let pillow = try Fixtures.floats("map.\(c.0)x\(c.1).\(c.2.rawValue).f32")
    try #require(ours.count == pillow.count)
    if c.2 == .nearest {
      #expect(ours == pillow)
    } else {
      let difference = Difference(ours, pillow)
      #expect(difference.maxAbs <= 1e-5, "\(difference)")
    }
  }

  @Test func bilinearEnlargementInterpolatesBetweenCentres() {
    // 2 -> 4: centres at 0.25, 0.75, 1.25, 1.75 in input pixels (clamped at the edges).
    let out = Resampler.resizeMap([0, 8], width: 2, height: 1, toWidth: 4, toHeight: 1, mode: .bilinear)
    #expect(out == [0, 2, 6, 8])
  }

  @Test func invalidRequestsReturnEmpty() {
    #expect(Resampler.resizeMap([1, 2, 3], width: 2, height: 2, toWidth: 4, toHeight: 4, mode: .nearest).isEmpty)
    #expect(Resampler.resizeMap([1, 2, 3, 4], width: 2, height: 2, toWidth: 0, toHeight: 4, mode: .bilinear).isEmpty)
  }
}
