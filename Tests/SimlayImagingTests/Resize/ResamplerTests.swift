import SimlayImaging
import Testing

/// A resize reference produced by Pillow from `source` (see scripts/make_image_fixtures.py).
struct ResizeCase: Sendable, CustomTestStringConvertible {
  let source: String
  let width: Int
  let height: Int
  var stem: String { String(source.prefix { $0 != "." }) }
  var reference: String { "\(stem).\(width)x\(height)" }
  var testDescription: String { "\(source) -> \(width)x\(height)" }
  /// Whether Pillow skips one of the passes (one axis keeps its size).
  func isSinglePass(from image: RGBImage) -> Bool { image.width == width || image.height == height }
}

/// Cases with a Float reference: Pillow's mode "F" resize per channel (the same algorithm in
/// double precision with Float storage, no uint8 rounding). Covers down, up, mixed and
/// single-axis resizes.
let floatCases: [ResizeCase] = [
  ResizeCase(source: "small.png", width: 5, height: 11),  // 13x7: shrink x, enlarge y
  ResizeCase(source: "rgb8.png", width: 29, height: 41),  // 37x23: shrink x, enlarge y
  ResizeCase(source: "rgb8.png", width: 17, height: 23),  // horizontal pass only
  ResizeCase(source: "rgb8.png", width: 37, height: 11),  // vertical pass only
  ResizeCase(source: "photo.png", width: 31, height: 17),  // 512x341: strong downscale
]

/// Cases with Pillow's 8-bit RGB output (what `Image.resize` returns for RGB images).
let byteCases: [ResizeCase] =
  floatCases + [
    ResizeCase(source: "smooth.png", width: 224, height: 224),  // 37x23 upsample
    ResizeCase(source: "photo.png", width: 224, height: 224),  // 512x341 downsample
  ]

/// Tolerance against Pillow's Float path: only Float-vs-double accumulation differs
/// (measured: at most 8e-5 on values up to 255).
let floatTolerance = 5e-4
/// Tolerances against Pillow's 8-bit path, which rounds after each pass (and uses 22-bit
/// fixed-point weights): up to 0.5 from the intermediate rounding spread by the second pass,
/// plus 0.5 from the final rounding (measured: max 0.99, mean 0.20-0.30). With a single pass
/// only the final rounding remains, so the bound is 0.5.
let byteMaxTolerance = 1.0 + 1e-3
let byteMeanTolerance = 0.5
let singlePassMaxTolerance = 0.5 + 1e-3

@Suite("Resampler.resizeBilinear")
struct ResamplerTests {
  @Test("Matches Pillow's float resize", arguments: floatCases)
  func matchesPillowFloat(_ c: ResizeCase) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path(c.source))
    let ours = Resampler.resizeBilinear(image, width: c.width, height: c.height)
    let pillow = try Fixtures.floats("\(c.reference).f32")
    try #require(ours.count == pillow.count)
    let difference = Difference(ours, pillow)
    #expect(difference.maxAbs <= floatTolerance, "\(difference)")
  }

  @Test("Matches Pillow's 8-bit resize within rounding", arguments: byteCases)
  func matchesPillowBytes(_ c: ResizeCase) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path(c.source))
    let ours = Resampler.resizeBilinear(image, width: c.width, height: c.height)
    let pillow: [UInt8]
    if c.width * c.height > 10_000 {
      pillow = try ImageDecoder.decode(contentsOf: Fixtures.path("\(c.reference).u8.png")).pixels
    } else {
      pillow = try Fixtures.bytes("\(c.reference).u8")
    }
    let reference = planar(pillow)
    try #require(ours.count == reference.count)
    let difference = Difference(ours, reference)
    #expect(difference.maxAbs <= byteMaxTolerance, "\(difference)")
    if c.isSinglePass(from: image) {
      #expect(difference.maxAbs <= singlePassMaxTolerance, "\(difference)")
    }
    #expect(difference.meanAbs <= byteMeanTolerance, "\(difference)")
    // Rounding ours gives Pillow's bytes almost everywhere; a sanity bound on how often not.
    let offByOne = zip(ours, reference).filter { $0.rounded() != $1 }.count
    #expect(Double(offByOne) <= 0.25 * Double(ours.count), "\(offByOne) of \(ours.count) differ after rounding")
  }

  @Test func sameSizeReturnsThePixelsAsFloats() throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path("rgb8.png"))
    let out = Resampler.resizeBilinear(image, width: image.width, height: image.height)
    #expect(out == planar(image.pixels))
  }

  @Test(arguments: [(1, 1), (5, 3), (37, 23), (224, 224), (3, 100), (1000, 2)])
  func constantImageStaysConstant(_ size: (Int, Int)) {
    let image = RGBImage(width: 23, height: 37, filledWith: (red: 255, green: 0, blue: 77))
    let out = Resampler.resizeBilinear(image, width: size.0, height: size.1)
    let plane = size.0 * size.1
    #expect(out.count == 3 * plane)
    for (c, value) in [Float(255), 0, 77].enumerated() {
      let worst = out[(c * plane)..<((c + 1) * plane)].map { abs($0 - value) }.max() ?? 0
      #expect(worst <= 1e-4, "channel \(c) drifts by \(worst)")
    }
  }

  @Test func outputIsChannelMajor() {
    let image = RGBImage(width: 4, height: 3, filledWith: (red: 10, green: 20, blue: 30))
    let out = Resampler.resizeBilinear(image, width: 2, height: 5)
    #expect(out.count == 30)
    #expect(out[0..<10].allSatisfy { abs($0 - 10) < 1e-4 })
    #expect(out[10..<20].allSatisfy { abs($0 - 20) < 1e-4 })
    #expect(out[20..<30].allSatisfy { abs($0 - 30) < 1e-4 })
  }

  @Test func valuesStayWithinTheInputRange() throws {
    // The triangle filter has no negative lobes, so no overshoot past 0...255.
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path("small.png"))
    for (w, h) in [(1, 1), (26, 14), (100, 3), (4, 60)] {
      let out = Resampler.resizeBilinear(image, width: w, height: h)
      #expect(out.allSatisfy { $0 >= -1e-3 && $0 <= 255.001 })
    }
  }

  @Test func invalidRequestsReturnEmpty() {
    let image = RGBImage(width: 2, height: 2, filledWith: (red: 1, green: 2, blue: 3))
    #expect(Resampler.resizeBilinear(image, width: 0, height: 4).isEmpty)
    #expect(Resampler.resizeBilinear(image, width: 4, height: -1).isEmpty)
    #expect(Resampler.resizeBilinear(RGBImage(width: 0, height: 0, pixels: []), width: 4, height: 4).isEmpty)
    var malformed = image
    malformed.pixels.removeLast()
    #expect(Resampler.resizeBilinear(malformed, width: 4, height: 4).isEmpty)
  }
}

/// The resize runs by bands of output rows (each band's source rows resized horizontally, then
/// vertically); the band size must not change a single bit, including bands of one output row and
/// odd sizes where bands share source rows.
@Suite struct ResizeBandTests {
  static let cases: [(inW: Int, inH: Int, outW: Int, outH: Int)] = [
    (513, 389, 224, 224), (97, 131, 13, 124), (31, 17, 64, 45), (300, 7, 224, 224), (7, 300, 5, 3),
  ]

  @Test(arguments: cases)
  func bandsGiveTheSameBits(_ c: (inW: Int, inH: Int, outW: Int, outH: Int)) {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let pixels = (0..<(c.inW * c.inH * 3)).map { _ -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    let image = RGBImage(width: c.inW, height: c.inH, pixels: pixels)
    let whole = Resampler.resizeBilinear(image, width: c.outW, height: c.outH, bandFloats: .max)
    #expect(whole.count == 3 * c.outW * c.outH)
    for band in [1, 3 * c.outW * 2, 1000, Resampler.defaultBandFloats] {
      let banded = Resampler.resizeBilinear(image, width: c.outW, height: c.outH, bandFloats: band)
      let differing = zip(whole, banded).filter { $0.0.bitPattern != $0.1.bitPattern }.count
      #expect(banded.count == whole.count && differing == 0, "band \(band): \(differing) values differ")
    }
  }
}
