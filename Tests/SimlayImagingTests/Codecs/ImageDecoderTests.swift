import SimlayImaging
import Testing

/// A valid fixture and its Pillow (or documented) reference `<stem>.rgb`.
struct DecodeFixture: Sendable, CustomTestStringConvertible {
  let file: String
  let width: Int
  let height: Int
  var stem: String { String(file.prefix { $0 != "." }) }
  var testDescription: String { file }
}

/// PNGs decode bit-exactly like Pillow's `convert("RGB")`, except 16-bit, whose references are
/// `round(v * 255 / 65535)` (libpng's png_set_scale_16, documented on ``ImageDecoder``).
let pngFixtures: [DecodeFixture] =
  [
    "rgb8.png", "rgba8.png", "gray8.png", "gray16.png", "graya.png", "palette.png",
    "interlaced.png", "rgb16.png", "noiend.png", "smooth.png",
  ].map { DecodeFixture(file: $0, width: 37, height: 23) } + [
    DecodeFixture(file: "small.png", width: 13, height: 7)
  ]

let jpegFixtures: [DecodeFixture] = ["baseline.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg"]
  .map { DecodeFixture(file: $0, width: 37, height: 23) }

/// Largest per-value difference allowed between our JPEG decode (system libjpeg-turbo 2.1)
/// and Pillow's (its bundled libjpeg-turbo). Both use the accurate integer IDCT and fancy
/// upsampling, so the outputs are in practice identical; 1 level leaves room for SIMD
/// rounding differences between libjpeg-turbo builds and versions.
let jpegTolerance = 1

@Suite("ImageDecoder")
struct ImageDecoderTests {
  @Test("PNG decodes exactly like the reference", arguments: pngFixtures)
  func pngMatchesReference(_ fixture: DecodeFixture) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path(fixture.file))
    #expect(image.width == fixture.width)
    #expect(image.height == fixture.height)
    let reference = try Fixtures.bytes("\(fixture.stem).rgb")
    #expect(image.pixels.count == reference.count)
    let mismatches = zip(image.pixels, reference).filter { $0 != $1 }.count
    #expect(mismatches == 0, "\(mismatches) of \(reference.count) bytes differ")
  }

  @Test("JPEG decodes like Pillow within jpegTolerance", arguments: jpegFixtures)
  func jpegMatchesPillow(_ fixture: DecodeFixture) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path(fixture.file))
    #expect(image.width == fixture.width)
    #expect(image.height == fixture.height)
    let reference = try Fixtures.bytes("\(fixture.stem).rgb")
    try #require(image.pixels.count == reference.count)
    let difference = Difference(image.pixels.asFloats, reference.asFloats)
    #expect(difference.maxAbs <= Double(jpegTolerance), "\(difference)")
  }

  @Test("Decoding bytes equals decoding the file", arguments: pngFixtures + jpegFixtures)
  func bytesAndFileAgree(_ fixture: DecodeFixture) throws {
    let fromFile = try ImageDecoder.decode(contentsOf: Fixtures.path(fixture.file))
    let fromBytes = try ImageDecoder.decode(try Fixtures.bytes(fixture.file))
    #expect(fromFile == fromBytes)
  }

  @Test("Probe reports format and size", arguments: pngFixtures + jpegFixtures)
  func probe(_ fixture: DecodeFixture) throws {
    let info = try ImageDecoder.probe(try Fixtures.bytes(fixture.file))
    #expect(info.format == (fixture.file.hasSuffix(".png") ? .png : .jpeg))
    #expect(info.width == fixture.width && info.height == fixture.height)
  }

  @Test func grayIsReplicatedIntoAllChannels() throws {
    for file in ["gray8.png", "gray16.png", "graya.png", "gray.jpg"] {
      let image = try ImageDecoder.decode(contentsOf: Fixtures.path(file))
      let p = image.pixels
      var replicated = true
      for i in stride(from: 0, to: p.count, by: 3) where p[i] != p[i + 1] || p[i] != p[i + 2] {
        replicated = false
      }
      #expect(replicated, "\(file)")
    }
  }

  @Test func maxPixelsIsInclusive() throws {
    let bytes = try Fixtures.bytes("rgb8.png")  // 37 x 23 = 851 pixels
    #expect(try ImageDecoder.decode(bytes, maxPixels: 851).width == 37)
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(bytes, maxPixels: 850)
    }
    #expect(error?.code == .tooLarge)
    #expect(error?.message.contains("37x23") == true)
  }

  @Test func maxPixelsAppliesToJPEG() throws {
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(try Fixtures.bytes("progressive.jpg"), maxPixels: 100)
    }
    #expect(error?.code == .tooLarge)
  }

  @Test(arguments: [0, -5])
  func nonPositiveMaxPixelsIsInvalid(_ limit: Int) throws {
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(try Fixtures.bytes("rgb8.png"), maxPixels: limit)
    }
    #expect(error?.code == .invalidArgument)
  }
}

@Suite("ImageDecoder concurrency")
struct ImageDecoderConcurrencyTests {
  /// The codecs keep all state per call (no globals in the C shim), so parallel decodes must
  /// agree with serial ones.
  @Test func parallelDecodesMatchSerialOnes() async throws {
    let files = (pngFixtures + jpegFixtures).map(\.file)
    let serial = try files.map { try ImageDecoder.decode(contentsOf: Fixtures.path($0)) }
    let parallel = try await withThrowingTaskGroup(of: (Int, RGBImage).self) { group in
      for round in 0..<8 {
        for (i, file) in files.enumerated() {
          group.addTask { (i, try ImageDecoder.decode(contentsOf: Fixtures.path(file))) }
        }
        _ = round
      }
      var results: [(Int, RGBImage)] = []
      for try await result in group { results.append(result) }
      return results
    }
    #expect(parallel.count == files.count * 8)
    for (i, image) in parallel { #expect(image == serial[i], "\(files[i])") }
  }
}
