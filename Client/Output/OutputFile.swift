import Foundation
import SimlayEngine
import SimlayProto

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

  /// Writes a .npy v1.0 file (the engine's encoder): C order, `descr` as numpy spells it, the payload as given.
  static func writeNPY(descr: String, shape: [Int64], payload: Data, to path: String) throws {
    try write(NPY.encode(descr: descr, shape: shape.map { Int($0) }, payload: payload), to: path)
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

  /// The file name used for a layer's maps: '/' becomes '_'.
  static func layerFileName(_ layer: String) -> String {
    layer.replacingOccurrences(of: "/", with: "_") + ".npy"
  }
}
