import Foundation
import SimlayImaging
import Testing

/// Access to the files written by `scripts/make_image_fixtures.py`.
///
/// Package.swift does not declare them as resources (it belongs to another team), so they are
/// located next to this source file instead of through `Bundle.module`.
enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func path(_ name: String) -> String {
    directory.appendingPathComponent(name).path
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    // swift-corelibs-foundation leaks its read buffer for 0-byte files (empty.png), which
    // fails LeakSanitizer runs; such files are answered without reading them.
    let size = try FileManager.default.attributesOfItem(atPath: path(name))[.size] as? Int
    if size == 0 { return [] }
    return [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
  }

  /// Little-endian float32 file, as numpy's `astype('<f4').tobytes()` writes it.
  static func floats(_ name: String) throws -> [Float] {
    let raw = try bytes(name)
    #expect(raw.count % 4 == 0, "\(name) is not a float32 file")
    return stride(from: 0, to: raw.count - 3, by: 4).map { i in
      let bits =
        UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24
      return Float(bitPattern: bits)
    }
  }

  /// A fresh path in the temporary directory (the file is not created).
  static func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory
      .appendingPathComponent("simlay-imaging-\(UUID().uuidString)\(suffix)").path
  }
}

/// Element-wise comparison summary of two equally long sequences.
struct Difference: CustomStringConvertible {
  var maxAbs: Double = 0
  var meanAbs: Double = 0
  var count = 0

  init<A: Collection, B: Collection>(_ a: A, _ b: B)
  where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    var sum = 0.0
    for (x, y) in zip(a, b) {
      let d = abs(Double(x) - Double(y))
      maxAbs = max(maxAbs, d)
      sum += d
      count += 1
    }
    meanAbs = count > 0 ? sum / Double(count) : 0
  }

  var description: String {
    "max |diff| = \(maxAbs), mean |diff| = \(meanAbs) over \(count) values"
  }
}

extension Array where Element == UInt8 {
  /// Bytes as Floats, for comparisons with resampler output.
  var asFloats: [Float] { map(Float.init) }
}

/// HWC interleaved bytes to planar CHW Floats (the layout the resampler returns).
func planar(_ hwc: [UInt8], channels: Int = 3) -> [Float] {
  let pixels = hwc.count / channels
  var out = [Float](repeating: 0, count: hwc.count)
  for i in 0..<pixels {
    for c in 0..<channels { out[c * pixels + i] = Float(hwc[i * channels + c]) }
  }
  return out
}
