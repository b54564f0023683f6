import GRPCCore
import GRPCInProcessTransport
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SimlayService
import Synchronization

/// `simlayd --http HOST:PORT`: serves the live page and answers its WebSocket with the daemon's own RPCs.
///
/// The page's queries are gRPC calls on an in-process transport that the daemon serves with the same
/// services and interceptors as its sockets (``serverTransport``): the token, the request limits, the
/// statistics and the hover path (one `SimilarityStream` per WebSocket) apply to the page exactly as to any
/// other client, and nothing here re-implements them. What this server adds is HTTP: static files, the
/// stored images as PNG, the colormap tables, and the JSON/binary framing of the WebSocket.
public struct LiveServer: Sendable {
  /// Where and how the server listens.
  public struct Configuration: Sendable {
    /// The host to bind (an address; loopback unless the daemon has a token).
    public var host: String
    /// The port to bind (0 = any free port; ``run(onListening:)`` reports the one bound).
    public var port: Int
    /// TLS for the listener (the daemon's --tls-cert and --tls-key), nil for plain HTTP.
    public var tls: TLSConfiguration?
    /// The daemon's token check, nil when the daemon has no --token-file.
    public var auth: BearerTokenInterceptor?
    /// The largest WebSocket message a page may send (the daemon's --max-message-mb).
    public var maxMessageBytes: Int = 64 << 20
    /// Connections at once; beyond it the listener stops accepting until one closes.
    public var maxConnections = 1024
    /// Unary calls one WebSocket may have running at once (hover is separate: at most one, latest-only).
    public var maxCallsPerSocket = 4

    /// A configuration binding `host:port`.
    public init(host: String, port: Int) {
      (self.host, self.port) = (host, port)
    }
  }

  /// How the server was configured.
  public let configuration: Configuration
  let state: DaemonState
  let logger: Logger
  let transport: InProcessTransport
  private let running = LiveControl()

  /// A server for `state`; serve ``serverTransport`` with the daemon's services and interceptors.
  public init(configuration: Configuration, state: DaemonState, logger: Logger) {
    self.configuration = configuration
    self.state = state
    self.logger = logger
    self.transport = InProcessTransport()
  }

  /// The transport the daemon must serve (with its services and interceptors) for the page's calls.
  public var serverTransport: InProcessTransport.Server { transport.server }

  /// Begins a graceful shutdown: the listener closes and open pages' WebSockets are closed normally
  /// (1000), so their hovers end without an error; ``run(onListening:)`` then returns.
  public func stop() { running.stop() }

  /// Serves until ``stop()`` (or cancellation); `onListening` gets the bound port once the socket listens.
  public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
    let client = GRPCClient(transport: transport.client)
    let bridge = LiveBridge(client: client, state: state, configuration: configuration, logger: logger)
    let router = LiveRoutes.router(bridge: bridge)
    let ws = WebSocketServerConfiguration(
      // One frame may be a whole message: browsers split large messages into frames, but other clients
      // (Python's websocket-client) send one frame, which a smaller limit would reset.
      maxFrameSize: configuration.maxMessageBytes, autoPing: .enabled(timePeriod: .seconds(30)))
    let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(300))
    var server = HTTPServerBuilder.http1WebSocketUpgrade(
      webSocketRouter: router, configuration: .init(http1: http1, ws: ws))
    if let tls = configuration.tls { server = try .tls(server, tlsConfiguration: tls) }
    let app = Application(
      router: router, server: server,
      configuration: .init(
        address: .hostname(configuration.host, port: configuration.port), serverName: nil,
        availableConnectionsDelegate: ConnectionLimit(limit: configuration.maxConnections)),
      onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
      logger: logger)
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { try await client.runConnections() }
      defer { client.beginGracefulShutdown() }
      // Its own service group, so that stop() can shut it down gracefully: cancelling it instead closes
      // connections mid-frame and HummingbirdCore logs the cancellation as an error.
      let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
      try await running.run(services)
    }
  }
}

/// Stops accepting HTTP connections while `limit` are open (they wait in the listen backlog).
struct ConnectionLimit: AvailableConnectionsDelegate {
  let limit: Int
  var open = 0

  init(limit: Int) { self.limit = limit }

  mutating func connectionOpened() { open += 1 }
  mutating func connectionClosed() { open -= 1 }
  func isAcceptingNewConnections() -> Bool { open < limit }
}

/// The live server's service group once it runs, and whether it was asked to stop (possibly before).
final class LiveControl: Sendable {
  private let state = Mutex<(group: ServiceGroup?, stopped: Bool)>((nil, false))

  func run(_ group: ServiceGroup) async throws {
    let stopNow = state.withLock { s in
      s.group = group
      return s.stopped
    }
    if stopNow { await group.triggerGracefulShutdown() }
    try await group.run()
  }

  func stop() {
    let group = state.withLock { s in
      s.stopped = true
      return s.group
    }
    if let group { Task { await group.triggerGracefulShutdown() } }
  }
}
