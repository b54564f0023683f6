/// An attribute value of a node.
enum Attribute: Sendable {
  case int(Int)
  case float(Float)
  case string(String)
  case ints([Int])
  case floats([Float])
  case strings([String])
  case tensor(Tensor)
  case unsupported(String)
}

/// One operator application.
struct Node: Sendable {
  /// The node's name, or a synthesized `op_type#index` when the file gives none.
  var name: String
  var opType: String
  var domain: String
  /// Input value names; an empty string marks an omitted optional input.
  var inputs: [String]
  var outputs: [String]
  var attributes: [String: Attribute]

  func int(_ key: String) -> Int? {
    if case .int(let v) = attributes[key] { return v }
    return nil
  }

  func int(_ key: String, default value: Int) -> Int { int(key) ?? value }

  func float(_ key: String, default value: Float) -> Float {
    switch attributes[key] {
    case .float(let v): return v
    case .int(let v): return Float(v)
    default: return value
    }
  }

  func ints(_ key: String) -> [Int]? {
    switch attributes[key] {
    case .ints(let v): return v
    case .int(let v): return [v]
    default: return nil
    }
  }

  func string(_ key: String) -> String? {
    if case .string(let v) = attributes[key] { return v }
    return nil
  }

  /// "op_type node 'name'", the way errors name a node.
  var label: String { "\(opType) node '\(name)'" }
}

/// A graph input or output as declared in the file. Dimensions may be symbolic (`nil`).
public struct ValueInfo: Sendable {
  /// The value's name.
  public var name: String
  /// Element type, when declared and supported.
  public var dataType: DataType?
  /// Dimensions; `nil` for a symbolic or unknown dimension, and `nil` overall when no shape is declared.
  public var shape: [Int?]?
  /// The declared ONNX element type's name (FLOAT, INT64, UINT8...), also for types the engine lacks.
  public var elementTypeName: String?
}

/// The engine's view of an ONNX graph: nodes in topological order and constant tensors.
struct Graph: Sendable {
  var nodes: [Node]
  /// Initializers (weights) by name.
  var initializers: [String: Tensor]
  /// Graph inputs that are not initializers: what a caller feeds.
  var inputs: [ValueInfo]
  var outputs: [ValueInfo]
  /// Operator-set version of the default domain.
  var opset: Int
}
