import Foundation
import SimlayProto

/// A `[N, H, W]` stack of similarity maps from the wire (`FloatTensor`: little-endian float32, row-major).
struct MapStack {
  let count: Int
  let height: Int
  let width: Int
  let values: [Float]

  init(_ tensor: Simlay_V1_FloatTensor) throws {
    let shape = tensor.shape.map(Int.init)
    guard shape.count == 3, shape.allSatisfy({ $0 >= 0 }), tensor.data.count == shape.reduce(4, *) else {
      throw CLIError("simlayd sent a malformed map tensor: shape \(shape), \(tensor.data.count) bytes")
    }
    (count, height, width) = (shape[0], shape[1], shape[2])
    var bits = [UInt32](repeating: 0, count: shape.reduce(1, *))
    bits.withUnsafeMutableBytes { dst in tensor.data.withUnsafeBytes { src in dst.copyMemory(from: src) } }
    values = bits.map { Float(bitPattern: UInt32(littleEndian: $0)) }
  }

  /// The shape, for messages and JSON.
  var shape: [Int] { [count, height, width] }

  /// Map `i` (row-major H x W).
  func map(_ i: Int) -> ArraySlice<Float> {
    values[(i * height * width)..<((i + 1) * height * width)]
  }

  /// The maps as nested JSON lists `[N][H][W]`.
  var json: JSON {
    .array((0..<count).map { i in
      let m = map(i)
      return .array((0..<height).map { y in
        let row = m.startIndex + y * width
        return .array(m[row..<(row + width)].map { JSON.float($0) })
      })
    })
  }

  /// One line per map: `NAME  min=... max=...  argmax=Y,X`.
  func summaryLines(names: [String], indent: String = "") -> [String] {
    let nameWidth = names.map(\.count).max() ?? 0
    return (0..<count).map { i in
      let m = map(i)
      var (lo, hi, best) = (Float.infinity, -Float.infinity, m.startIndex)
      for j in m.indices {
        lo = min(lo, m[j])
        if m[j] > hi { (hi, best) = (m[j], j) }
      }
      let cell = best - m.startIndex
      let name = (i < names.count ? names[i] : "#\(i)").padding(toLength: nameWidth, withPad: " ", startingAt: 0)
      let argmax = "\(cell / max(width, 1)),\(cell % max(width, 1))"
      let stats = m.isEmpty ? "empty" : String(format: "min=%.4f  max=%.4f", lo, hi) + "  argmax=\(argmax)"
      return "\(indent)\(name)  \(stats)"
    }
  }
}

/// Output files of the daemon commands.
enum OutputFile {
  /// Writes a `FloatTensor` as a .npy (v1.0, `<f4`, C order) holding its bytes as they came.
  static func writeNPY(_ tensor: Simlay_V1_FloatTensor, to path: String) throws {
    try writeNPY(descr: "<f4", shape: tensor.shape, payload: tensor.data, to: path)
  }

  /// Writes an `Int32Tensor` as a .npy (`<i4`, C order).
  static func writeNPY(_ tensor: Simlay_V1_Int32Tensor, to path: String) throws {
    var payload = Data(capacity: tensor.values.count * 4)
    for v in tensor.values { withUnsafeBytes(of: v.littleEndian) { payload.append(contentsOf: $0) } }
    try writeNPY(descr: "<i4", shape: tensor.shape, payload: payload, to: path)
  }

  /// Writes a .npy v1.0 file: C order, `descr` as numpy spells it, the payload as given.
  static func writeNPY(descr: String, shape: [Int64], payload: Data, to path: String) throws {
    let dims = shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)\(shape.count == 1 ? "," : "")), }"
    // Magic (6) + version (2) + header length (2) + header + "\n" is padded to a multiple of 64.
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    data.append(payload)
    try write(data, to: path)
  }

  /// Writes bytes atomically, creating the parent directory; failures name the file.
  static func write(_ data: Data, to path: String) throws {
    let parent = (path as NSString).deletingLastPathComponent
    do {
      if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CLIError("cannot write '\(path)': \(error.localizedDescription)")
    }
  }

  /// Writes a JSON document (one line plus a newline).
  static func write(_ json: JSON, to path: String) throws {
    try write(Data((json.text + "\n").utf8), to: path)
  }

  /// The file name used for a layer's maps: '/' becomes '_'.
  static func layerFileName(_ layer: String) -> String {
    layer.replacingOccurrences(of: "/", with: "_") + ".npy"
  }
}
