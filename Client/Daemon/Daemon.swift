import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import SimlayProto

/// One connection to simlayd: the generated client plus what every call carries (the bearer token and
/// generous message-size limits: maps and overlay PNGs can exceed gRPC's 4 MiB default).
struct Daemon: Sendable {
  typealias Client = Simlay_V1_Simlay.Client<HTTP2ClientTransport.Posix>

  let client: Client
  let metadata: Metadata
  let options: CallOptions
  /// The server as the user named it, for messages.
  let server: String

  func listModels() async throws -> Simlay_V1_ListModelsResponse {
    try await client.listModels(Simlay_V1_ListModelsRequest(), metadata: metadata, options: options)
  }

  func loadModel(_ request: Simlay_V1_LoadModelRequest) async throws -> Simlay_V1_ModelInfo {
    try await client.loadModel(request, metadata: metadata, options: options)
  }

  func addImages(_ request: Simlay_V1_AddImagesRequest) async throws -> Simlay_V1_AddImagesResponse {
    try await client.addImages(request, metadata: metadata, options: options)
  }

  func similarity(_ request: Simlay_V1_SimilarityRequest) async throws -> Simlay_V1_SimilarityResponse {
    try await client.similarity(request, metadata: metadata, options: options)
  }

  func layerSync(_ request: Simlay_V1_LayerSyncRequest) async throws -> Simlay_V1_LayerSyncResponse {
    try await client.layerSync(request, metadata: metadata, options: options)
  }

  func renderOverlay(_ request: Simlay_V1_RenderOverlayRequest) async throws -> Simlay_V1_RenderOverlayResponse {
    try await client.renderOverlay(request, metadata: metadata, options: options)
  }

  func nmf(_ request: Simlay_V1_NmfRequest) async throws -> Simlay_V1_NmfResponse {
    try await client.nmf(request, metadata: metadata, options: options)
  }

  func sweep(_ request: Simlay_V1_SweepRequest) async throws -> Simlay_V1_SweepResponse {
    try await client.sweep(request, metadata: metadata, options: options)
  }

  func exportViewer(_ request: Simlay_V1_ExportViewerRequest) async throws -> Simlay_V1_ExportViewerResponse {
    try await client.exportViewer(request, metadata: metadata, options: options)
  }

  func stats() async throws -> Simlay_V1_StatsResponse {
    try await client.stats(Simlay_V1_StatsRequest(), metadata: metadata, options: options)
  }
}

extension ConnectionOptions {
  /// The daemon's address and the metadata calls carry, resolved from the flags (reads `--token-file`).
  func endpoint() throws -> Endpoint {
    Endpoint(address: try address(), metadata: try metadata(), sendsToken: tokenFile != nil)
  }

  /// Opens a connection to the daemon, runs `body` with it and closes it (see `Endpoint.withDaemon`).
  func withDaemon<Result: Sendable>(_ body: (Daemon) async throws -> Result) async throws -> Result {
    try await endpoint().withDaemon(body)
  }
}

/// Where to connect and what to send: the Sendable part of `ConnectionOptions`, for concurrent clients.
struct Endpoint: Sendable {
  var address: ServerAddress
  var metadata: Metadata
  var sendsToken: Bool

  /// Opens one connection (HTTP/2, plaintext), runs `body` with it and closes it. gRPC failures come out
  /// as `DaemonFailure`s, whose description is one line: `<STATUS>: <message>`. The connection runs on
  /// `eventLoopGroup` (default: NIO's shared group).
  func withDaemon<Result: Sendable>(eventLoopGroup: any EventLoopGroup = .singletonMultiThreadedEventLoopGroup,
                                    _ body: (Daemon) async throws -> Result) async throws -> Result {
    var options = CallOptions.defaults
    options.maxRequestMessageBytes = 1 << 30
    options.maxResponseMessageBytes = 1 << 30
    do {
      let transport = try HTTP2ClientTransport.Posix(target: address.target, transportSecurity: .plaintext, eventLoopGroup: eventLoopGroup)
      return try await withGRPCClient(transport: transport) { client in
        try await body(Daemon(client: Daemon.Client(wrapping: client), metadata: metadata, options: options,
                              server: address.description))
      }
    } catch let error as RPCError {
      throw DaemonFailure(error, server: address.description, sentToken: sendsToken)
    } catch let error as RuntimeError {
      throw CLIError("cannot connect to simlayd at \(address): \(error.message)")
    }
  }
}

/// A gRPC status turned into the CLI's one-line message.
struct DaemonFailure: Error, CustomStringConvertible {
  var code: RPCError.Code
  var description: String

  init(_ error: RPCError, server: String, sentToken: Bool) {
    code = error.code
    let name = Self.statusName(error.code)
    var message = error.message
    if message.isEmpty, let cause = error.cause { message = String(describing: cause) }
    switch error.code {
    case .unavailable where Self.isConnectFailure(error):
      description = "\(name): cannot reach simlayd at \(server): is it running?"
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
  static func isConnectFailure(_ error: RPCError) -> Bool {
    error.message.contains("establish a connection") || error.message.contains("transient failure")
  }

  /// The canonical upper-case name of a status code, e.g. `NOT_FOUND`.
  static func statusName(_ code: RPCError.Code) -> String {
    let names = [
      1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
      6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
      10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
      15: "DATA_LOSS", 16: "UNAUTHENTICATED",
    ]
    return names[code.rawValue] ?? "STATUS_\(code.rawValue)"
  }
}
