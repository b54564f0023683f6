import SimlayImaging
import Testing

/// Progressive JPEGs are bounded in decoding work (scans), not only in pixels: a file that repeats its
/// last scan many times is refused with tooLarge naming the limit, while a few repeats still decode.
@Suite("JPEG decoding work")
struct JPEGWorkLimitTests {
  /// `jpeg` with its last scan (SOS header and entropy-coded data, up to EOI) repeated `extra` more times.
  /// libjpeg accepts a repeated refinement scan with a warning, as the 1000-scan attack file relied on.
  static func repeatingLastScan(_ jpeg: [UInt8], extra: Int) throws -> [UInt8] {
    var i = 2  // after SOI
    var lastScan: Int?
    var end: Int?
    while i + 2 <= jpeg.count {
      #expect(jpeg[i] == 0xFF)
      let marker = jpeg[i + 1]
      if marker == 0xD9 {
        end = i
        break
      }
      guard i + 4 <= jpeg.count else { break }
      let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
      var next = i + 2 + length
      if marker == 0xDA {
        lastScan = i
        // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
        while next + 1 < jpeg.count,
          !(jpeg[next] == 0xFF && jpeg[next + 1] != 0 && !(0xD0...0xD7).contains(jpeg[next + 1]))
        {
          next += 1
        }
      }
      i = next
    }
    let scan = try #require(lastScan)
    let eoi = try #require(end)
    let repeated = Array(jpeg[scan..<eoi])
    return Array(jpeg[..<eoi]) + Array(repeating: repeated, count: extra).flatMap { $0 } + Array(jpeg[eoi...])
  }

  @Test func manyScansAreRefused() throws {
    let bytes = try Self.repeatingLastScan(try Fixtures.bytes("progressive.jpg"), extra: 150)
    let error = #expect(throws: ImagingError.self) { _ = try ImageDecoder.decode(bytes) }
    #expect(error?.code == .tooLarge)
    #expect(error?.message.contains("more than 100 scans") == true)
  }

  @Test func aFewExtraScansStillDecode() throws {
    let original = try Fixtures.bytes("progressive.jpg")
    let bytes = try Self.repeatingLastScan(original, extra: 3)
    #expect(bytes.count > original.count)
    let image = try ImageDecoder.decode(bytes)
    let reference = try ImageDecoder.decode(original)
    #expect(image.width == reference.width && image.height == reference.height)
  }

  @Test func headerProbeDoesNotScan() throws {
    // probe reads the header only: the scan bound is a decoding bound, a probe of the same file succeeds.
    let bytes = try Self.repeatingLastScan(try Fixtures.bytes("progressive.jpg"), extra: 150)
    #expect(try ImageDecoder.probe(bytes).width > 0)
  }
}
