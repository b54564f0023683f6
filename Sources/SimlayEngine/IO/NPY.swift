import Foundation

/// NumPy .npy files: float32 tensors out (format version 1.0), float32/float64/int64/int32 in.
public enum NPY {
  /// The bytes of a .npy v1.0 file holding `tensor` as little-endian float32 (int64 tensors as <i8).
  public static func encode(_ tensor: Tensor) -> Data {
    var payload = Data()
    if tensor.dataType == .float32 {
      tensor.withFloats { payload = Data(buffer: UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
    } else {
      payload = tensor.int64s.withUnsafeBytes { Data($0) }
    }
    return encode(descr: tensor.dataType == .float32 ? "<f4" : "<i8", shape: tensor.shape, payload: payload)
  }

  /// The bytes of a .npy v1.0 file: C order, `descr` as numpy spells it (`<f4`, `<i4`), `payload` as
  /// given (little-endian elements, already in that type). Shared by every writer of .npy files (the CLI
  /// writes the daemon's tensors without decoding them).
  public static func encode(descr: String, shape: [Int], payload: Data) -> Data {
    let dims = shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)\(shape.count == 1 ? "," : "")), }"
    // Magic (6) + version (2) + length (2) + header + "\n" must be a multiple of 64.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    data.append(payload)
    return data
  }

  /// Writes `tensor` to `path` as .npy.
  public static func write(_ tensor: Tensor, to path: String) throws {
    do {
      try encode(tensor).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw EngineError(.io, "cannot write '\(path)': \(error.localizedDescription)")
    }
  }

  /// Reads a C-ordered .npy file of float32, float64, int32 or int64 as a float32 tensor.
  public static func read(_ path: String) throws -> Tensor {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw EngineError(.io, "cannot read '\(path)' (missing or unreadable)")
    }
    return try decode(data, name: path)
  }

  /// Decodes the bytes of a .npy file.
  public static func decode(_ data: Data, name: String = "array") throws -> Tensor {
    let bytes = [UInt8](data)
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
      throw EngineError(.invalidInput, "'\(name)' is not a .npy file")
    }
    let major = bytes[6]
    let (lengthSize, start) = major == 1 ? (2, 10) : (4, 12)
    guard bytes.count >= start else { throw EngineError(.invalidInput, "'\(name)' has a truncated .npy header") }
    var headerLength = 0
    for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
    guard bytes.count >= start + headerLength else {
      throw EngineError(.invalidInput, "'\(name)' has a truncated .npy header")
    }
    let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
    func field(_ key: String) -> String? {
      guard let r = header.range(of: "'\(key)':") else { return nil }
      return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
    }
    guard let descrField = field("descr"), let shapeField = field("shape"), let fortran = field("fortran_order") else {
      throw EngineError(.invalidInput, "'\(name)' has an unreadable .npy header: \(header)")
    }
    guard fortran.hasPrefix("False") else {
      throw EngineError(.invalidInput, "'\(name)' is in Fortran order; save it C-ordered")
    }
    let descr = String(descrField.dropFirst().prefix { $0 != "'" })
    let dims = shapeField.dropFirst().prefix { $0 != ")" }.split(separator: ",")
      .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let count = dims.reduce(1, *)
    let body = start + headerLength
    let size = ["<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4][descr]
    guard let size else {
      throw EngineError(.invalidInput, "'\(name)' has dtype \(descr); expected float32 (<f4), float64, int32 or int64")
    }
    guard bytes.count >= body + count * size else {
      throw EngineError(.invalidInput, "'\(name)' is truncated: shape \(dims) needs \(count * size) bytes of data")
    }
    return bytes.withUnsafeBytes { raw in
      let p = raw.baseAddress! + body
      return Tensor(shape: dims) { dst in
        for i in 0..<count {
          switch descr {
          case "<f4": dst[i] = p.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
          case "<f8": dst[i] = Float(p.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
          case "<i8": dst[i] = Float(p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
          default: dst[i] = Float(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
          }
        }
      }
    }
  }
}
