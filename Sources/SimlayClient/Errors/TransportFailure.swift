import Foundation
import GRPCCore
import NIOCore
import NIOPosix

/// Why a connection to the daemon could not be made, read from the transport's own error (the errno of
/// the failed connect) rather than from the wording of grpc-swift's messages, which may change.
public struct TransportFailure: Sendable, Equatable {
  /// The errno of the failed connect, when the transport reported one.
  public var errno: Int32?
  /// One phrase for the user, e.g. "nothing is listening there (is simlayd running?)".
  public var reason: String

  /// The connect failure inside `error`, if it is one: grpc-swift-nio-transport reports a failed connect
  /// as UNAVAILABLE whose cause chain ends in a NIO `IOError` or `NIOConnectionError`; an UNAVAILABLE for a
  /// daemon shutting down or a reset stream has no such cause.
  public static func connectFailure(in error: RPCError) -> TransportFailure? {
    guard error.code == .unavailable else { return nil }
    var cause: (any Error)? = error.cause
    var depth = 0
    while let current = cause, depth < 8 {
      switch current {
      case let io as IOError: return TransportFailure(errno: io.errnoCode)
      case let connection as NIOConnectionError:
        let errnos = connection.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
        return TransportFailure(errno: errnos.first)
      case let rpc as RPCError:
        if rpc.code == .unavailable, rpc.cause == nil, rpc.message.hasPrefix("Could not establish") {
          return TransportFailure(errno: nil)
        }
        cause = rpc.cause
      case is ChannelError:
        return TransportFailure(errno: nil)
      default:
        // An error from the connect path we do not know by type is still a failure to connect: the chain
        // started at UNAVAILABLE and came from below gRPC.
        return TransportFailure(errno: nil)
      }
      depth += 1
    }
    return nil
  }

  init(errno: Int32?) {
    self.errno = errno
    switch errno {
    case ECONNREFUSED?: reason = "nothing is listening there (is simlayd running?)"
    case ENOENT?: reason = "no socket file there (is simlayd running?)"
    case EACCES?, EPERM?: reason = "permission denied (the socket belongs to another user)"
    case ETIMEDOUT?: reason = "the connection timed out"
    case EHOSTUNREACH?, ENETUNREACH?: reason = "the host is unreachable"
    case let e?: reason = "\(String(cString: strerror(e))) (is simlayd running?)"
    case nil: reason = "is it running?"
    }
  }
}
