/// Reads the EXIF orientation tag (0x0112) of a JPEG (the first `Exif` APP1 segment) or a PNG (its
/// `eXIf` chunk), as Pillow's `Image.getexif()` finds it for `ImageOps.exif_transpose`.
///
/// The reader is strict about bounds and lenient about content, like Pillow: anything it cannot read
/// (no tag, a value outside 1-8, a byte order other than `II`/`MM`, an offset past the data) means "as
/// stored", never an error, since the pixels themselves are fine. An IFD that claims more entries than
/// the data holds is read as far as it goes (Pillow does the same, with a warning). It looks at the
/// marker or chunk headers only up to the image data and at one IFD, so its cost is bounded by the
/// number of segments, not by any count written in the file.
enum ExifOrientation {
  /// The orientation of `bytes`, or `.up` when there is none or it cannot be read.
  static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> ImageOrientation {
    let tiff: Range<Int>?
    if bytes.count >= 8 && bytes[0] == 0x89 && bytes[1] == 0x50 && bytes[2] == 0x4E && bytes[3] == 0x47 {
      tiff = pngExifChunk(bytes)
    } else if bytes.count >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 {
      tiff = jpegExifSegment(bytes)
    } else {
      tiff = nil
    }
    guard let tiff, let value = orientationTag(bytes, tiff) else { return .up }
    return ImageOrientation(rawValue: value) ?? .up
  }

  /// The TIFF bytes of the first APP1 segment that starts with "Exif\0\0", scanning markers up to SOS.
  static func jpegExifSegment(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var pos = 2
    while pos + 4 <= b.count {
      guard b[pos] == 0xFF else { return nil }
      let marker = b[pos + 1]
      if marker == 0xFF {
        pos += 1
        continue
      }  // fill byte
      if marker == 0x01 || (0xD0...0xD8).contains(marker) {
        pos += 2
        continue
      }  // no length field
      if marker == 0xDA || marker == 0xD9 { return nil }  // image data or end: metadata comes before
      let length = Int(b[pos + 2]) << 8 | Int(b[pos + 3])
      let start = pos + 4
      let end = pos + 2 + length
      guard length >= 2, end <= b.count else { return nil }
      if marker == 0xE1 && end - start >= 6 && b[start] == 0x45 && b[start + 1] == 0x78 && b[start + 2] == 0x69
        && b[start + 3] == 0x66 && b[start + 4] == 0 && b[start + 5] == 0
      {
        return (start + 6)..<end
      }
      pos = end
    }
    return nil
  }

  /// The TIFF bytes of the first `eXIf` chunk (an "Exif\0\0" prefix, which some writers add, skipped).
  static func pngExifChunk(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var pos = 8
    while pos + 12 <= b.count {
      let length = Int(b[pos]) << 24 | Int(b[pos + 1]) << 16 | Int(b[pos + 2]) << 8 | Int(b[pos + 3])
      let type = (b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7])
      let start = pos + 8
      guard length <= b.count - start - 4 else { return nil }
      let end = start + length
      if type == (0x65, 0x58, 0x49, 0x66) {  // "eXIf"
        if length >= 6 && b[start] == 0x45 && b[start + 1] == 0x78 && b[start + 4] == 0 && b[start + 5] == 0 {
          return (start + 6)..<end
        }
        return start..<end
      }
      if type == (0x49, 0x45, 0x4E, 0x44) { return nil }  // "IEND"
      pos = end + 4  // skip the CRC
    }
    return nil
  }

  /// The value of tag 0x0112 in IFD0 of the TIFF structure in `b[tiff]` (SHORT or LONG, count >= 1).
  static func orientationTag(_ b: UnsafeBufferPointer<UInt8>, _ tiff: Range<Int>) -> UInt8? {
    guard tiff.count >= 8 else { return nil }
    let base = tiff.lowerBound
    let little: Bool
    switch (b[base], b[base + 1]) {
    case (0x49, 0x49): little = true
    case (0x4D, 0x4D): little = false
    default: return nil
    }
    func u16(_ at: Int) -> Int? {
      guard at >= 0, at + 2 <= tiff.count else { return nil }
      let (x, y) = (Int(b[base + at]), Int(b[base + at + 1]))
      return little ? x | y << 8 : x << 8 | y
    }
    func u32(_ at: Int) -> Int? {
      guard let lo = u16(at), let hi = u16(at + 2) else { return nil }
      return little ? lo | hi << 16 : lo << 16 | hi
    }
    guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
    // Entries that lie past the data are not read (the loop stops at the first one that does not fit).
    for i in 0..<count {
      let entry = ifd + 2 + 12 * i
      guard let tag = u16(entry), let type = u16(entry + 2), let n = u32(entry + 4) else { return nil }
      guard tag == 0x0112 else { continue }
      guard n >= 1 else { return nil }
      let value: Int?
      switch type {
      case 3: value = u16(entry + 8)
      case 4: value = u32(entry + 8)
      default: value = nil
      }
      guard let value, (1...8).contains(value) else { return nil }
      return UInt8(value)
    }
    return nil
  }
}
