import SimlayImaging
import Testing

/// A file the decoder must reject, with the code and a phrase the message must contain.
struct BadFixture: Sendable, CustomTestStringConvertible {
  let file: String
  let code: ImagingError.Code
  let phrase: String
  var testDescription: String { "\(file) -> \(code)" }
}

let badFixtures: [BadFixture] = [
  BadFixture(file: "truncated.png", code: .truncated, phrase: "truncated PNG"),
  BadFixture(file: "truncated.jpg", code: .truncated, phrase: "Premature end of JPEG file"),
  BadFixture(file: "notimage.png", code: .notAnImage, phrase: "not an image (unsupported format)"),
  BadFixture(file: "notimage.png", code: .notAnImage, phrase: "got 54 68 69 73 20 69 73 20"),
  BadFixture(file: "empty.png", code: .empty, phrase: "empty input"),
  BadFixture(file: "bomb.png", code: .tooLarge, phrase: "20000x20000"),
  BadFixture(file: "zerosize.png", code: .corrupt, phrase: "width is zero"),
  BadFixture(file: "corrupt.png", code: .corrupt, phrase: "CRC error"),
  BadFixture(file: "corrupt.jpg", code: .corrupt, phrase: "Huffman"),
]

@Suite("ImageDecoder bad input")
struct BadInputTests {
  @Test("Bad files fail with the right code and a one-line message", arguments: badFixtures)
  func badFileFromPath(_ fixture: BadFixture) {
    let path = Fixtures.path(fixture.file)
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(contentsOf: path)
    }
    #expect(error?.code == fixture.code)
    let message = error?.message ?? ""
    #expect(message.hasPrefix(path + ": "), "message should name the file: \(message)")
    #expect(message.contains(fixture.phrase), "\(message)")
    let hasLineBreak = message.contains(where: \.isNewline)
    #expect(!hasLineBreak)
  }

  @Test("Bad bytes fail the same way without a path", arguments: badFixtures)
  func badBytes(_ fixture: BadFixture) throws {
    let bytes = try Fixtures.bytes(fixture.file)
    let error = #expect(throws: ImagingError.self) { _ = try ImageDecoder.decode(bytes) }
    #expect(error?.code == fixture.code)
    #expect(error?.message.contains(fixture.phrase) == true, "\(String(describing: error))")
  }

  @Test func bombIsRejectedByProbeToo() throws {
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.probe(try Fixtures.bytes("bomb.png"))
    }
    #expect(error?.code == .tooLarge)
    // With a big enough limit the header is fine: the guard is the only thing in the way.
    let info = try ImageDecoder.probe(try Fixtures.bytes("bomb.png"), maxPixels: 400_000_000)
    #expect(info.width == 20000 && info.height == 20000)
  }

  @Test func missingFileIsAnIOErrorNamingThePath() {
    let path = Fixtures.path("does-not-exist.png")
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(contentsOf: path)
    }
    #expect(error?.code == .io)
    #expect(error?.message.contains(path) == true)
    #expect(error?.message.contains("No such file") == true, "\(String(describing: error))")
  }

  @Test func directoryIsAnIOError() {
    let error = #expect(throws: ImagingError.self) {
      _ = try ImageDecoder.decode(contentsOf: Fixtures.directory.path)
    }
    #expect(error?.code == .io)
  }

  /// Every prefix of a valid file either fails cleanly or, once all pixel data is present
  /// (only the trailing IEND / EOI is missing), decodes to exactly the full image. Never a
  /// crash, never gray-filled rows.
  @Test(arguments: ["rgb8.png", "interlaced.png", "baseline.jpg", "progressive.jpg", "cmyk.jpg"])
  func everyPrefixFailsCleanlyOrIsComplete(_ file: String) throws {
    let bytes = try Fixtures.bytes(file)
    let full = try ImageDecoder.decode(bytes)
    var decodedPrefixes = 0
    for length in 0..<bytes.count {
      do {
        let image = try ImageDecoder.decode(Array(bytes[..<length]))
        #expect(image == full, "prefix of \(length) bytes decoded to different pixels")
        decodedPrefixes += 1
      } catch {
        let allowed: Set<ImagingError.Code> = [.empty, .notAnImage, .truncated, .corrupt]
        #expect(allowed.contains(error.code), "\(length): \(error)")
        if length > 100 { #expect(error.code == .truncated, "\(length): \(error)") }
      }
    }
    // Only the end marker and what follows the pixel data may be missing.
    #expect(decodedPrefixes <= 12, "\(decodedPrefixes) prefixes decoded")
  }

  /// Random byte flips must never crash the process (libpng/libjpeg longjmp paths).
  @Test(arguments: ["rgb8.png", "palette.png", "baseline.jpg", "progressive.jpg", "gray.jpg"])
  func randomCorruptionNeverCrashes(_ file: String) throws {
    let original = try Fixtures.bytes(file)
    var rng = SplitMix64(seed: 0x5EED)
    for _ in 0..<300 {
      var bytes = original
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        let index = Int(rng.next() % UInt64(bytes.count))
        bytes[index] = UInt8(truncatingIfNeeded: rng.next())
      }
      do {
        let image = try ImageDecoder.decode(bytes)
        #expect(image.isWellFormed)
      } catch {
        #expect(!error.message.isEmpty)
      }
    }
  }
}

/// Small deterministic generator so the corruption test is reproducible.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("ImageDecoder sniffing")
struct SniffingTests {
  /// Magic bytes decide, not names: other formats and short inputs are `.notAnImage`.
  @Test(
    arguments: [
      [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],  // GIF89a
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],  // RIFF....WEBP
      [0x42, 0x4D, 0, 0],  // BMP
      [0xFF, 0xD8],  // JPEG SOI without a marker after it
      [0x89, 0x50, 0x4E, 0x47],  // first half of the PNG signature
      Array("<html>".utf8),
    ] as [[UInt8]])
  func otherFormatsAreNotImages(_ bytes: [UInt8]) {
    let error = #expect(throws: ImagingError.self) { _ = try ImageDecoder.decode(bytes) }
    #expect(error?.code == .notAnImage)
  }

  @Test func emptyInputIsEmpty() {
    let error = #expect(throws: ImagingError.self) { _ = try ImageDecoder.decode([]) }
    #expect(error?.code == .empty)
  }
}
