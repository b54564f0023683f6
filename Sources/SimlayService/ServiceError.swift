import GRPCCore
import SimlayEngine
import SimlayImaging
import SimlayProto

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
    /// A request the daemon's state refuses (unloading the default model).
    public static let failedPrecondition = Code(status: .failedPrecondition)
    /// The caller went away or its deadline passed, and the work stopped.
    public static let cancelled = Code(status: .cancelled)
  }

  /// The kind of failure.
  public var code: Code
  /// What went wrong.
  public var message: String
  /// The machine-readable reason and facts; nil = the default reason of `code`.
  public var details: ErrorDetails?

  /// Creates an error.
  public init(_ code: Code, _ message: String, details: ErrorDetails? = nil) {
    self.code = code
    self.message = message
    self.details = details
  }

  public var description: String { message }

  /// The reason a failure of `code` has when its thrower named none.
  static func defaultReason(_ code: RPCError.Code) -> Simlay_V1_ErrorReason {
    switch code {
    case .resourceExhausted: .limitExceeded
    case .outOfRange: .cellOutOfRange
    case .alreadyExists: .alreadyExists
    case .permissionDenied: .modelPathNotAllowed
    case .internalError: .internal
    default: .invalidRequest
    }
  }

  /// The gRPC error a handler throws, with its details in the `grpc-status-details-bin` trailer.
  var rpcError: RPCError {
    (details ?? ErrorDetails(Self.defaultReason(code.status))).rpcError(code: code.status, message: message)
  }

  /// An RPCError with `reason` in its details.
  static func rpc(_ code: RPCError.Code, _ message: String, _ reason: Simlay_V1_ErrorReason) -> RPCError {
    ErrorDetails(reason).rpcError(code: code, message: message)
  }

  /// Maps engine and imaging errors to statuses: bad images and models are the caller's input.
  static func from(_ error: any Error) -> RPCError {
    switch error {
    case let e as RPCError: return e
    case let e as ServiceError: return e.rpcError
    case let e as ImagingError:
      return rpc(e.code == .tooLarge ? .resourceExhausted : .invalidArgument, e.message, .badImage)
    case let e as EngineError:
      switch e.code {
      case .unknownTensor: return rpc(.notFound, e.message, .layerNotFound)
      case .io: return rpc(.notFound, e.message, .modelFileNotFound)
      case .invalidModel, .unsupportedOperator, .invalidInput, .shapeMismatch:
        return rpc(.invalidArgument, e.message, .invalidRequest)
      default: return rpc(.internalError, e.message, .internal)
      }
    case is CancellationError:
      return RPCError(code: .cancelled, message: "the request was cancelled")
    default:
      return rpc(.internalError, String(describing: error), .internal)
    }
  }
}
