import Foundation
import SimlayImaging
import Testing

@Suite("PNGEncoder")
struct PNGEncoderTests {
  @Test("Encode then decode returns the same pixels", arguments: pngFixtures + jpegFixtures)
  func roundTrip(_ fixture: DecodeFixture) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path(fixture.file))
    let png = try PNGEncoder.encode(image)
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(try ImageDecoder.decode(png) == image)
  }

  @Test func oddSizesRoundTrip() throws {
    for (w, h) in [(1, 1), (1, 9), (9, 1), (255, 3)] {
      let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
      let image = RGBImage(width: w, height: h, pixels: pixels)
      #expect(try ImageDecoder.decode(try PNGEncoder.encode(image)) == image)
    }
  }

  @Test func rgbaDecodesToItsRGBPart() throws {
    let (w, h) = (5, 4)
    let rgba = (0..<(w * h * 4)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
    let decoded = try ImageDecoder.decode(try PNGEncoder.encodeRGBA(width: w, height: h, pixels: rgba))
    let rgb = (0..<(w * h)).flatMap { rgba[($0 * 4)..<($0 * 4 + 3)] }
    #expect(decoded == RGBImage(width: w, height: h, pixels: rgb))
  }

  @Test func writeThenReadBack() throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path("rgb8.png"))
    let path = Fixtures.temporaryPath(".png")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try PNGEncoder.write(image, to: path)
    #expect(try ImageDecoder.decode(contentsOf: path) == image)
    // Overwriting an existing file works too.
    let other = RGBImage(width: 2, height: 1, filledWith: (red: 9, green: 8, blue: 7))
    try PNGEncoder.write(other, to: path)
    #expect(try ImageDecoder.decode(contentsOf: path) == other)
  }

  @Test func writeRGBAThenReadBack() throws {
    let path = Fixtures.temporaryPath(".png")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try PNGEncoder.writeRGBA(width: 1, height: 2, pixels: [1, 2, 3, 4, 5, 6, 7, 8], to: path)
    #expect(try ImageDecoder.decode(contentsOf: path).pixels == [1, 2, 3, 5, 6, 7])
  }

  @Test func writeIntoMissingDirectoryIsAnIOErrorNamingThePath() {
    let path = Fixtures.temporaryPath("/nested/out.png")
    let error = #expect(throws: ImagingError.self) {
      try PNGEncoder.write(RGBImage(width: 1, height: 1, filledWith: (0, 0, 0)), to: path)
    }
    #expect(error?.code == .io)
    #expect(error?.message.hasPrefix(path + ": ") == true, "\(String(describing: error))")
  }

  @Test func invalidInputsAreRejected() {
    let wrongCount = #expect(throws: ImagingError.self) {
      _ = try PNGEncoder.encodeRGBA(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 15))
    }
    #expect(wrongCount?.code == .invalidArgument)
    let empty = #expect(throws: ImagingError.self) {
      _ = try PNGEncoder.encode(RGBImage(width: 0, height: 0, pixels: []))
    }
    #expect(empty?.code == .invalidArgument)
    var malformed = RGBImage(width: 1, height: 1, filledWith: (0, 0, 0))
    malformed.pixels.removeLast()
    let mismatch = #expect(throws: ImagingError.self) { _ = try PNGEncoder.encode(malformed) }
    #expect(mismatch?.code == .invalidArgument)
  }
}
