import SimlayImaging
import Testing

/// Fixtures from `scripts/make_exif_fixtures.py`: a 13x7 picture stored with each EXIF orientation, and
/// references from Pillow's `ImageOps.exif_transpose`.
let orientedFixtures: [(file: String, orientation: UInt8)] = [
  ("o1.jpg", 1), ("o2.jpg", 2), ("o3.jpg", 3), ("o4.jpg", 4), ("o5.jpg", 5), ("o6.jpg", 6), ("o7.jpg", 7),
  ("o8.jpg", 8), ("o6be.jpg", 6), ("o8be.jpg", 8), ("p6.png", 6), ("p3.png", 3), ("o6late.jpg", 6),
  ("o6long.jpg", 6), ("badcount.jpg", 6),
]

@Suite("EXIF orientation")
struct OrientationTests {
  @Test("Decoding applies the orientation like Pillow's exif_transpose", arguments: orientedFixtures.map(\.file))
  func matchesPillow(_ file: String) throws {
    let image = try ImageDecoder.decode(contentsOf: Fixtures.path("exif/\(file)"))
    let swapped = (orientedFixtures.first { $0.file == file }!.orientation) >= 5
    #expect(image.width == (swapped ? 7 : 13) && image.height == (swapped ? 13 : 7))
    let reference = try Fixtures.bytes("exif/\(file.prefix { $0 != "." }).rgb")
    try #require(image.pixels.count == reference.count)
    // PNG is exact; JPEG within the decoder's tolerance against Pillow (ImageDecoderTests).
    let difference = Difference(image.pixels.asFloats, reference.asFloats)
    #expect(difference.maxAbs <= Double(file.hasSuffix(".png") ? 0 : jpegTolerance), "\(difference)")
  }

  @Test("The tag is read from JPEG and PNG, both byte orders, SHORT and LONG", arguments: orientedFixtures)
  func readsTag(_ fixture: (file: String, orientation: UInt8)) throws {
    let bytes = try Fixtures.bytes("exif/\(fixture.file)")
    #expect(ImageDecoder.orientation(bytes).rawValue == fixture.orientation)
  }

  @Test("Probe reports the displayed size", arguments: orientedFixtures.map(\.file))
  func probeSize(_ file: String) throws {
    let bytes = try Fixtures.bytes("exif/\(file)")
    let info = try ImageDecoder.probe(bytes)
    let decoded = try ImageDecoder.decode(bytes)
    #expect(info.width == decoded.width && info.height == decoded.height)
  }

  @Test(
    "Malformed or out-of-range tags decode as stored",
    arguments: [
      "bad0.jpg", "bad9.jpg", "badoffset.jpg", "badorder.jpg",
    ])
  func malformedIsUp(_ file: String) throws {
    let bytes = try Fixtures.bytes("exif/\(file)")
    #expect(ImageDecoder.orientation(bytes) == .up)
    #expect(try ImageDecoder.decode(bytes) == ImageDecoder.decode(contentsOf: Fixtures.path("exif/o1.jpg")))
  }

  @Test func applyOrientationFalseKeepsStoredPixels() throws {
    let stored = try ImageDecoder.decode(contentsOf: Fixtures.path("exif/o6.jpg"), applyOrientation: false)
    let plain = try ImageDecoder.decode(contentsOf: Fixtures.path("exif/o1.jpg"))
    #expect(stored == plain)
  }

  /// Every orientation against a plain reference on an odd shape: the inverse of each transform takes
  /// the output back, and the four rotations compose as rotations do.
  @Test func transformsAgainstReference() {
    let (w, h) = (5, 3)
    let image = RGBImage(width: w, height: h, pixels: (0..<(w * h * 3)).map { UInt8($0) })
    func px(_ im: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
      Array(im.pixels[(y * im.width + x) * 3..<(y * im.width + x) * 3 + 3])
    }
    // Reference source coordinates for output (x, y), written out per case from the TIFF definition.
    let sources: [ImageOrientation: (Int, Int) -> (Int, Int)] = [
      .up: { x, y in (x, y) }, .mirrored: { x, y in (w - 1 - x, y) }, .rotated180: { x, y in (w - 1 - x, h - 1 - y) },
      .mirroredVertically: { x, y in (x, h - 1 - y) }, .transposed: { x, y in (y, x) },
      .rotated90: { x, y in (y, h - 1 - x) }, .transversed: { x, y in (w - 1 - y, h - 1 - x) },
      .rotated270: { x, y in (w - 1 - y, x) },
    ]
    for orientation in ImageOrientation.allCases {
      let out = orientation.apply(to: image)
      #expect(out.width == (orientation.swapsAxes ? h : w) && out.height == (orientation.swapsAxes ? w : h))
      for y in 0..<out.height {
        for x in 0..<out.width {
          let (sx, sy) = sources[orientation]!(x, y)
          #expect(px(out, x, y) == px(image, sx, sy), "\(orientation) at \(x),\(y)")
        }
      }
    }
    let r90 = ImageOrientation.rotated90
    #expect(r90.apply(to: r90.apply(to: image)) == ImageOrientation.rotated180.apply(to: image))
    #expect(ImageOrientation.rotated270.apply(to: r90.apply(to: image)) == image)
  }

  /// Random bytes written over the Exif segment and the PNG chunk never crash or hang the reader, and
  /// the decoded image stays one of the two possible shapes.
  @Test func corruptedMetadataNeverCrashes() throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state >> 33
    }
    for file in ["o6.jpg", "o6be.jpg", "p6.png"] {
      let original = try Fixtures.bytes("exif/\(file)")
      for _ in 0..<300 {
        var bytes = original
        for _ in 0..<(1 + Int(next() % 8)) {
          let at = 2 + Int(next() % 120)  // the metadata sits near the start
          bytes[at] = UInt8(truncatingIfNeeded: next())
        }
        _ = ImageDecoder.orientation(bytes)
        if let image = try? ImageDecoder.decode(bytes) {
          #expect(image.width * image.height == 91)
        }
      }
    }
  }
}
