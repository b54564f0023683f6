import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix

/// Where to connect and what to send: a daemon address plus the metadata every call carries. Sendable, so
/// concurrent clients (the load test) can share one.
public struct Endpoint: Sendable {
  /// The daemon's address.
  public var address: ServerAddress
  /// Sent with every call (the bearer token, if any).
  public var metadata: Metadata
  /// Whether `metadata` holds a token: an UNAUTHENTICATED answer then means a wrong token, not a missing one.
  public var sendsToken: Bool
  /// TLS for a TCP address; nil = plaintext (a Unix socket is always plaintext: file permissions guard it).
  public var tls: TLSSettings?

  /// An endpoint for `address`, sending the token read from `tokenFile` when one is given.
  public init(address: ServerAddress, tokenFile: String? = nil, tls: TLSSettings? = nil) throws {
    self.address = address
    metadata = try tokenFile.map(Self.tokenMetadata(file:)) ?? [:]
    sendsToken = tokenFile != nil
    self.tls = tls
  }

  /// The largest message this client sends or receives, and says it receives (`simlay-max-answer-bytes`).
  public static let maxMessageBytes = 1 << 30

  /// An endpoint with explicit metadata.
  public init(address: ServerAddress, metadata: Metadata, sendsToken: Bool, tls: TLSSettings? = nil) {
    self.address = address
    self.metadata = metadata
    self.sendsToken = sendsToken
    self.tls = tls
  }

  /// `authorization: Bearer <token>` with the token read from `file` (surrounding whitespace trimmed).
  public static func tokenMetadata(file: String) throws -> Metadata {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ClientError(.file, "--token-file: cannot read '\(file)'")
    }
    let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw ClientError(.file, "--token-file: '\(file)' is empty") }
    var metadata = Metadata()
    metadata.addString("Bearer \(token)", forKey: "authorization")
    return metadata
  }

  /// Opens one connection (HTTP/2; TLS when `tls` is set), runs `body` with it and closes it. gRPC failures come out
  /// as `DaemonFailure`s, whose description is one line: `<STATUS>: <message>`. The connection runs on
  /// `eventLoopGroup` (default: NIO's shared group).
  public func withDaemon<Result: Sendable>(
    eventLoopGroup: any EventLoopGroup = .singletonMultiThreadedEventLoopGroup,
    _ body: (Daemon) async throws -> Result
  ) async throws -> Result {
    var options = CallOptions.defaults
    options.maxRequestMessageBytes = Self.maxMessageBytes
    options.maxResponseMessageBytes = Self.maxMessageBytes
    // The daemon refuses answers over 4 MiB (stock clients' limit) unless the call says it takes more.
    var metadata = metadata
    metadata.addString(String(Self.maxMessageBytes), forKey: "simlay-max-answer-bytes")
    if tls != nil, case .unix = address {
      throw ClientError(.usage, "TLS is for TCP addresses; \(address) is a Unix socket")
    }
    let security = try tls?.transportSecurity() ?? .plaintext
    do {
      let transport = try HTTP2ClientTransport.Posix(
        target: address.target, transportSecurity: security, eventLoopGroup: eventLoopGroup)
      return try await withGRPCClient(transport: transport) { client in
        try await body(
          Daemon(
            client: Daemon.Client(wrapping: client), metadata: metadata, options: options, server: address.description))
      }
    } catch let error as RPCError {
      throw DaemonFailure(error, server: address.description, sentToken: sendsToken)
    } catch let error as RuntimeError {
      throw ClientError(.connection, "cannot connect to simlayd at \(address): \(error.message)")
    }
  }
}
