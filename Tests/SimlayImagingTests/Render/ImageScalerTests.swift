import SimlayImaging
import Testing

@Suite("ImageScaler")
struct ImageScalerTests {
  @Test(arguments: [(37, 23, 100, 7), (300, 200, 17, 50), (5, 5, 256, 256), (1, 1, 3, 9), (640, 480, 224, 224)])
  func constantImageStaysConstant(_ c: (Int, Int, Int, Int)) {
    let image = RGBImage(width: c.0, height: c.1, filledWith: (12, 200, 77))
    let out = ImageScaler.resize(image, width: c.2, height: c.3)
    #expect(out == RGBImage(width: c.2, height: c.3, filledWith: (12, 200, 77)))
  }

  @Test(arguments: [
    (640, 480, 256, 256, 192), (480, 640, 256, 192, 256), (300, 300, 256, 256, 256),
    (1000, 3, 256, 256, 1), (7, 5, 224, 224, 160), (1366, 768, 100, 100, 56),
  ])
  func fitKeepsTheAspectRatio(_ c: (Int, Int, Int, Int, Int)) {
    let out = ImageScaler.fit(Probe.noise(width: c.0, height: c.1), longestSide: c.2)
    #expect((out.width, out.height) == (c.3, c.4))
    #expect(ImageScaler.fittedSize(width: c.0, height: c.1, longestSide: c.2) == (c.3, c.4))
    // Rounding moves the short side by at most half a pixel from the exact ratio.
    let exact = Double(min(c.0, c.1)) * Double(c.2) / Double(max(c.0, c.1))
    #expect(abs(Double(min(out.width, out.height)) - exact) <= 0.5 || min(out.width, out.height) == 1)
  }

  @Test func resizeRoundsTheResamplersFloats() {
    let image = Probe.noise(width: 41, height: 29)
    let out = ImageScaler.resize(image, width: 17, height: 60)
    let planar = Resampler.resizeBilinear(image, width: 17, height: 60)
    let plane = 17 * 60
    let rounded = (0..<plane * 3).map { i in UInt8(min(max(planar[(i % 3) * plane + i / 3], 0), 255).rounded()) }
    #expect(out.pixels == rounded)
  }

  @Test func sameSizeIsIdentity() {
    let image = Probe.noise(width: 13, height: 7)
    #expect(ImageScaler.resize(image, width: 13, height: 7) == image)
    #expect(ImageScaler.fit(image, longestSide: 13) == image)
  }

  @Test func degenerateRequests() {
    let image = Probe.noise(width: 4, height: 4)
    #expect(ImageScaler.resize(image, width: 0, height: 5).pixels.isEmpty)
    #expect(ImageScaler.fit(image, longestSide: 0) == image)
    let empty = RGBImage(width: 0, height: 0, pixels: [])
    #expect(ImageScaler.resize(empty, width: 2, height: 2) == RGBImage(width: 2, height: 2, filledWith: (0, 0, 0)))
  }
}
