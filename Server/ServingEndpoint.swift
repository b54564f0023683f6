import GRPCCore
import GRPCInProcessTransport
import GRPCNIOTransportHTTP2
import SimlayLive

/// Something the daemon serves until shutdown: a gRPC server on a socket, the in-process one behind the
/// live page, or the live page's HTTP server. ``ShutdownSequence`` runs them all and stops them together.
struct ServingEndpoint: Sendable {
  /// Serves until stopped; calls its argument with a label once it listens.
  let serve: @Sendable (_ onListening: @escaping @Sendable (String) -> Void) async throws -> Void
  /// Begins the shutdown: no new connections or calls.
  let stop: @Sendable () -> Void

  /// A gRPC server on a socket, labelled `label` once it listens.
  static func grpc(_ server: GRPCServer<HTTP2ServerTransport.Posix>, label: String) -> ServingEndpoint {
    ServingEndpoint(
      serve: { onListening in
        try await withThrowingDiscardingTaskGroup { group in
          group.addTask { try await server.serve() }
          group.addTask {
            guard (try? await server.listeningAddress) != nil else { return }
            onListening(label)
          }
        }
      }, stop: { server.beginGracefulShutdown() })
  }

  /// The gRPC server the live page's calls reach (no socket, so nothing to announce).
  static func inProcess(_ server: GRPCServer<InProcessTransport.Server>) -> ServingEndpoint {
    ServingEndpoint(serve: { _ in try await server.serve() }, stop: { server.beginGracefulShutdown() })
  }

  /// The live page's HTTP server, labelled with its URL once it listens. Stopping it closes the pages'
  /// WebSockets normally at once: a hover has no grace period to honour.
  static func live(_ server: LiveServer, scheme: String, host: String) -> ServingEndpoint {
    ServingEndpoint(
      serve: { onListening in
        let shown = host.contains(":") ? "[\(host)]" : host
        try await server.run { port in onListening("\(scheme)://\(shown):\(port)/") }
      }, stop: { server.stop() })
  }
}
