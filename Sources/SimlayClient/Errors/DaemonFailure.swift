import GRPCCore
import SimlayWire

/// A gRPC status turned into the client's one-line message.
public struct DaemonFailure: Error, CustomStringConvertible {
  /// The status code.
  public var code: RPCError.Code
  /// Set when no connection could be made: the transport's reason (errno and what it means here).
  public var unreachable: TransportFailure?
  /// `<STATUS>: <message>`, with a hint where one helps.
  public var description: String

  /// The failure of a call to `server`; `sentToken` says whether the call carried a token.
  public init(_ error: RPCError, server: String, sentToken: Bool) {
    code = error.code
    unreachable = TransportFailure.connectFailure(in: error)
    let name = Self.statusName(error.code)
    var message = error.message
    if message.isEmpty, let cause = error.cause { message = String(describing: cause) }
    switch error.code {
    case .unavailable where unreachable != nil:
      description = "\(name): cannot reach simlayd at \(server): \(unreachable!.reason)"
    case .unimplemented:
      description = "\(name): \(message) (is \(server) a simlayd as new as this client?)"
    case .unauthenticated where !sentToken:
      description = "\(name): \(message) (pass --token-file FILE)"
    default:
      description = "\(name): \(message)"
    }
  }

  /// Whether an UNAVAILABLE status means no connection could be made (rather than, say, a stream the
  /// daemon reset or a daemon shutting down).
  public static func isConnectFailure(_ error: RPCError) -> Bool {
    TransportFailure.connectFailure(in: error) != nil
  }

  /// The canonical upper-case name of a status code, e.g. `NOT_FOUND`.
  public static func statusName(_ code: RPCError.Code) -> String { code.canonicalName }
}
