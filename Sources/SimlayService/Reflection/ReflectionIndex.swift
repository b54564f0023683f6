import Foundation
import SimlayProto
import SwiftProtobuf

/// The answers of server reflection, computed once from the descriptor set that scripts/gen-protos.sh
/// embeds (``ServedDescriptors``): which files exist, which file declares each symbol, and each file's
/// transitive imports. Independent of the two protocol versions, which only wrap these answers.
struct ReflectionIndex: Sendable {
  /// One reflection request, whichever version carried it.
  enum Request: Sendable {
    case fileByFilename(String)
    case fileContainingSymbol(String)
    case fileContainingExtension(type: String, number: Int32)
    case allExtensionNumbers(type: String)
    case listServices
    case missing
  }

  /// One answer: serialized FileDescriptorProtos, extension numbers, service names or an error.
  enum Answer: Sendable, Equatable {
    case files([Data])
    case extensionNumbers(type: String, numbers: [Int32])
    case services([String])
    case error(code: Int32, message: String)
  }

  let files: [String: Google_Protobuf_FileDescriptorProto]
  let serialized: [String: Data]
  let symbols: [String: String]
  let services: [String]

  /// Builds the index from a serialized FileDescriptorSet; `served` lists the services the daemon
  /// registers (only those are listed, whatever else the files declare).
  init(descriptorSet: Data, served: [String]) throws {
    let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: descriptorSet)
    var files: [String: Google_Protobuf_FileDescriptorProto] = [:]
    var serialized: [String: Data] = [:]
    var symbols: [String: String] = [:]
    for file in set.file {
      files[file.name] = file
      serialized[file.name] = try file.serializedData()
      let prefix = file.package.isEmpty ? "" : file.package + "."
      func addMessages(_ messages: [Google_Protobuf_DescriptorProto], _ scope: String) {
        for m in messages {
          let name = scope + m.name
          symbols[name] = file.name
          for f in m.field { symbols[name + "." + f.name] = file.name }
          for e in m.enumType { symbols[name + "." + e.name] = file.name }
          addMessages(m.nestedType, name + ".")
        }
      }
      addMessages(file.messageType, prefix)
      for e in file.enumType { symbols[prefix + e.name] = file.name }
      for s in file.service {
        symbols[prefix + s.name] = file.name
        for m in s.method { symbols[prefix + s.name + "." + m.name] = file.name }
      }
    }
    self.files = files
    self.serialized = serialized
    self.symbols = symbols
    self.services = served.sorted()
  }

  /// The index of the descriptors embedded in the binary.
  static func embedded(served: [String]) throws -> ReflectionIndex {
    guard let data = Data(base64Encoded: ServedDescriptors.fileDescriptorSetBase64, options: .ignoreUnknownCharacters)
    else { throw ServiceError(.internalError, "the embedded descriptor set is not valid base64") }
    return try ReflectionIndex(descriptorSet: data, served: served)
  }

  /// The answer to one request. Names are quoted in errors at most 200 characters long.
  func answer(_ request: Request) -> Answer {
    switch request {
    case .fileByFilename(let name):
      guard files[name] != nil else { return .error(code: 5, message: "no file '\(Self.clip(name))'") }
      return .files(withImports(name))
    case .fileContainingSymbol(let symbol):
      let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
      guard let file = symbols[trimmed] else { return .error(code: 5, message: "no symbol '\(Self.clip(symbol))'") }
      return .files(withImports(file))
    case .fileContainingExtension(let type, let number):
      // The served protos are proto3 and declare no extensions.
      return .error(code: 5, message: "no extension \(number) of '\(Self.clip(type))'")
    case .allExtensionNumbers(let type):
      guard symbols[type] != nil else { return .error(code: 5, message: "no type '\(Self.clip(type))'") }
      return .extensionNumbers(type: type, numbers: [])
    case .listServices:
      return .services(services)
    case .missing:
      return .error(code: 3, message: "the request names no message_request")
    }
  }

  /// `name` first, then everything it imports, transitively, each once.
  func withImports(_ name: String) -> [Data] {
    var order: [String] = []
    var seen: Set<String> = []
    var stack = [name]
    while let next = stack.popLast() {
      guard seen.insert(next).inserted, let file = files[next] else { continue }
      order.append(next)
      stack.append(contentsOf: file.dependency.reversed())
    }
    return order.compactMap { serialized[$0] }
  }

  static func clip(_ s: String) -> String { s.count <= 200 ? s : String(s.prefix(200)) + "..." }
}
