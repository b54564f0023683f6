import GRPCCore
import SimlayEngine
import SimlayImaging

/// A request failure with the gRPC status it maps to. Messages are one line and name what was wrong
/// (the model, layer or image id; the grid's size; the limit).
public struct ServiceError: Error, CustomStringConvertible, Sendable {
  /// Kinds of failure, each mapped to one gRPC status code.
  public struct Code: Hashable, Sendable {
    let status: RPCError.Code
    /// An unknown model, layer or image id.
    public static let notFound = Code(status: .notFound)
    /// A position outside the layer grid.
    public static let outOfRange = Code(status: .outOfRange)
    /// A malformed request.
    public static let invalidArgument = Code(status: .invalidArgument)
    /// A configured limit was exceeded.
    public static let resourceExhausted = Code(status: .resourceExhausted)
    /// A name that is already taken.
    public static let alreadyExists = Code(status: .alreadyExists)
    /// A request the daemon's configuration forbids (a model path outside every --model-dir).
    public static let permissionDenied = Code(status: .permissionDenied)
    /// A failure inside the daemon.
    public static let internalError = Code(status: .internalError)
  }

  /// The kind of failure.
  public var code: Code
  /// What went wrong.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }

  /// The gRPC error a handler throws.
  var rpcError: RPCError { RPCError(code: code.status, message: message) }

  /// Maps engine and imaging errors to statuses: bad images and models are the caller's input.
  static func from(_ error: any Error) -> RPCError {
    switch error {
    case let e as RPCError: return e
    case let e as ServiceError: return e.rpcError
    case let e as ImagingError:
      return RPCError(code: e.code == .tooLarge ? .resourceExhausted : .invalidArgument, message: e.message)
    case let e as EngineError:
      switch e.code {
      case .unknownTensor: return RPCError(code: .notFound, message: e.message)
      case .io: return RPCError(code: .notFound, message: e.message)
      case .invalidModel, .unsupportedOperator, .invalidInput, .shapeMismatch:
        return RPCError(code: .invalidArgument, message: e.message)
      default: return RPCError(code: .internalError, message: e.message)
      }
    case is CancellationError:
      return RPCError(code: .cancelled, message: "the request was cancelled")
    default:
      return RPCError(code: .internalError, message: String(describing: error))
    }
  }
}
