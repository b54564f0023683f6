/// An error from loading or running a model. The message is one line and names what was wrong: the op and
/// node, the tensor, the file.
public struct EngineError: Error, CustomStringConvertible, Sendable {
  /// The kind of failure, for callers that map errors to exit codes or statuses.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The model file is missing or unreadable.
    public static let io = Code("io")
    /// The file is not a valid ONNX model, or uses a feature the engine does not read (external data...).
    public static let invalidModel = Code("invalid model")
    /// An operator (or an attribute value of it) the engine does not implement.
    public static let unsupportedOperator = Code("unsupported operator")
    /// Shapes do not fit together.
    public static let shapeMismatch = Code("shape mismatch")
    /// A tensor name that is not in the graph.
    public static let unknownTensor = Code("unknown tensor")
    /// The caller's input is wrong (shape, type).
    public static let invalidInput = Code("invalid input")

    public var description: String { name }
  }

  /// The kind of failure.
  public var code: Code
  /// What went wrong, naming the offending node, tensor or file.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}
