import Foundation
import SimlayProto
import SwiftProtobuf

/// Length limits for the text fields of every request, checked before a handler sees the request.
///
/// Why at the door and for every field: a 1,000,000-character layer name once held the I/O thread for
/// 32.5 s in the "did you mean" edit distance, and error messages quoted up to 7.5 MB of the request (more
/// than a client's 16 KB header limit, so the client saw RESOURCE_EXHAUSTED instead of the message). No name
/// the daemon knows is anywhere near these limits (ONNX tensor names from torch's exporters run to ~80
/// bytes), so a longer one can only be a mistake or an attack, and it is refused in microseconds.
public struct RequestStringLimits: Sendable {
  /// The longest text field, in UTF-8 bytes (names, ids, layers, titles).
  public var maxBytes: Int
  /// The longest file path (`LoadModelRequest.path`): PATH_MAX.
  public var maxPathBytes: Int

  /// The daemon's limits: 256 bytes, paths 4096.
  public init(maxBytes: Int = 256, maxPathBytes: Int = 4096) {
    self.maxBytes = maxBytes
    self.maxPathBytes = maxPathBytes
  }

  /// INVALID_ARGUMENT naming the first field over its limit (`query.image_id`, `target_ids[3]`), with its
  /// length and the limit; nothing of the field's text is quoted.
  public func check(_ message: any SwiftProtobuf.Message) throws {
    var visitor = StringLimitVisitor(limits: self, messageName: type(of: message).protoMessageName, path: "")
    try message.traverse(visitor: &visitor)
  }

  func limit(forField name: String) -> Int {
    name == "path" || name.hasSuffix("_path") ? maxPathBytes : maxBytes
  }
}

/// Field names by message and number, from the descriptor set scripts/gen-protos.sh embeds: SwiftProtobuf
/// keeps its own name maps internal, and an error that says "field 2" helps nobody.
enum FieldNames {
  static let descriptors: Google_Protobuf_FileDescriptorSet? = {
    guard let data = Data(base64Encoded: ServedDescriptors.fileDescriptorSetBase64, options: .ignoreUnknownCharacters)
    else { return nil }
    return try? Google_Protobuf_FileDescriptorSet(serializedBytes: data)
  }()

  /// Value names of the top-level enums by full name and number (`simlay.v1.ErrorReason`).
  static let enums: [String: [Int: String]] = {
    var table: [String: [Int: String]] = [:]
    for file in descriptors?.file ?? [] {
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for e in file.enumType {
        table[prefix + e.name] = Dictionary(e.value.map { (Int($0.number), $0.name) }, uniquingKeysWith: { a, _ in a })
      }
    }
    return table
  }()

  static func enumValueName(_ number: Int, in name: String) -> String? { enums[name]?[number] }

  static let table: [String: [Int: String]] = {
    guard let set = descriptors else { return [:] }
    var table: [String: [Int: String]] = [:]
    func add(_ messages: [Google_Protobuf_DescriptorProto], _ scope: String) {
      for m in messages {
        table[scope + m.name] = Dictionary(m.field.map { (Int($0.number), $0.name) }, uniquingKeysWith: { a, _ in a })
        add(m.nestedType, scope + m.name + ".")
      }
    }
    for file in set.file { add(file.messageType, file.package.isEmpty ? "" : file.package + ".") }
    return table
  }()

  static func name(of number: Int, in message: String) -> String {
    table[message]?[number] ?? "field \(number)"
  }
}
