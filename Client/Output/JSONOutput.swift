import Foundation

/// JSON output: Foundation's encoder with sorted keys (stable output for diffs and scripts) and unescaped
/// slashes (paths stay readable). Floats come out in their shortest exact form (maps are float32: printing
/// them as Double would add noise digits).
enum JSONOutput {
  /// One compact line of JSON.
  static func line(_ value: some Encodable) throws -> String {
    String(decoding: try data(value), as: UTF8.self)
  }

  /// Writes one line of JSON plus a newline to `path` (see `OutputFile.write(_:to:)`).
  static func write(_ value: some Encodable, to path: String) throws {
    var bytes = try data(value)
    bytes.append(UInt8(ascii: "\n"))
    try OutputFile.write(bytes, to: path)
  }

  private static func data(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
  }
}

/// A float that encodes as `null` when it is not finite (JSON has no NaN or infinity).
struct JSONFloat: Encodable {
  var value: Float

  func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
  }
}
