import Foundation
import SwiftProtobuf

/// Walks one message (and the messages inside it) and throws at the first text field over its limit.
struct StringLimitVisitor: Visitor {
  let limits: RequestStringLimits
  let messageName: String
  /// Where this message sits in the request (`query.` for the Query inside a SimilarityRequest).
  let path: String

  private func fieldPath(_ number: Int, index: Int? = nil) -> (path: String, name: String) {
    let name = FieldNames.name(of: number, in: messageName)
    return (path + name + (index.map { "[\($0)]" } ?? ""), name)
  }

  private func check(_ value: String, _ number: Int, index: Int? = nil) throws {
    // utf8.count is O(1) for native strings; decoded protobuf strings are native.
    let bytes = value.utf8.count
    guard bytes > limits.maxBytes else { return }
    let (where_, name) = fieldPath(number, index: index)
    let limit = limits.limit(forField: name)
    guard bytes > limit else { return }
    throw ServiceError(
      .invalidArgument, "request field \(where_) is \(bytes) bytes long; text fields are limited to \(limit) bytes",
      details: ErrorDetails(
        .fieldTooLong, metadata: ["field": where_, "bytes": "\(bytes)", "limit": "\(limit)"],
        fieldViolations: [.init(field: where_, description: "\(bytes) bytes; at most \(limit)")]))
  }

  private func nested<M: Message>(_ value: M, _ number: Int, index: Int? = nil) throws {
    var inner = StringLimitVisitor(
      limits: limits, messageName: M.protoMessageName, path: fieldPath(number, index: index).path + ".")
    try value.traverse(visitor: &inner)
  }

  mutating func visitSingularStringField(value: String, fieldNumber: Int) throws { try check(value, fieldNumber) }

  mutating func visitRepeatedStringField(value: [String], fieldNumber: Int) throws {
    for (i, s) in value.enumerated() { try check(s, fieldNumber, index: i) }
  }

  mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
    try nested(value, fieldNumber)
  }

  mutating func visitRepeatedMessageField<M: Message>(value: [M], fieldNumber: Int) throws {
    for (i, m) in value.enumerated() { try nested(m, fieldNumber, index: i) }
  }

  // Everything else carries no text (bytes fields are image data, budgeted by the image store).
  mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
  mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
  mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
  mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
  mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {}
  mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {}
  mutating func visitUnknown(bytes: Data) throws {}

  mutating func visitMapField<KeyType, ValueType: MapValueType>(
    fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws {}
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
    value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
  ) throws {}
}
