import Foundation
import GRPCCore
import GRPCInProcessTransport
import HTTPTypes
import Hummingbird
import Logging
import SimlayProto
import SimlayService
import SwiftProtobuf
import Synchronization

/// What every live connection shares: the in-process gRPC client, the daemon's state (for images and
/// colormaps) and the access rules.
struct LiveBridge: Sendable {
  let client: GRPCClient<InProcessTransport.Client>
  let state: DaemonState
  let configuration: LiveServer.Configuration
  let logger: Logger
  /// Refused origins are logged at most once per 10 s: a hostile page can retry in a loop.
  let refusals = IntervalGate(interval: .seconds(10))

  var service: Simlay_V1_Simlay.Client<InProcessTransport.Client> { .init(wrapping: client) }

  /// The metadata a page's calls carry: its token, which the daemon's interceptor checks, and a receive
  /// limit of 1 GiB. The answer-size check guards gRPC clients whose default limit is 4 MiB; a WebSocket
  /// message has no such limit (it is sent in 1 MiB frames), and one hover row of 64 images at a 224x224
  /// layer is 12.8 MB.
  static func metadata(token: String?) -> Metadata {
    var metadata: Metadata = ["simlay-max-answer-bytes": "\(1 << 30)"]
    if let token { metadata.addString("Bearer \(token)", forKey: "authorization") }
    return metadata
  }

  /// Refuses an /api request without the daemon's token (401), through the daemon's own check and throttle.
  func authorize(_ request: Request, _ context: some RequestContext) async throws {
    guard let auth = configuration.auth else { return try checkHost(request) }
    let given = request.headers[.authorization]
    let peer = "http"
    guard await auth.accepts(authorization: given, method: "HTTP \(request.uri.path)", peer: peer) else {
      throw HTTPError(.unauthorized, message: "missing or invalid bearer token (send 'Authorization: Bearer <token>')")
    }
  }

  /// Refuses a WebSocket from another site's page (403). Browsers let any page open a WebSocket to any
  /// address, loopback included, and send this server's origin only from its own page; without the check
  /// a web page the user visits could query the daemon. Clients that are not browsers send no Origin.
  func checkOrigin(_ request: Request) throws {
    if configuration.auth == nil { try checkHost(request) }
    guard let origin = request.headers[.origin] else { return }
    // HTTP/1's Host header arrives as the request's authority.
    let host = request.head.authority ?? ""
    guard let url = URL(string: origin), let originHost = url.host, !host.isEmpty,
      Self.authority(host: originHost, port: url.port, scheme: url.scheme) == Self.normalised(host, scheme: url.scheme)
    else {
      if refusals.open() {
        logger.warning(
          "refused a WebSocket from origin \(origin.prefix(80)): only the live page's own origin may connect",
          metadata: ["host": "\(host.prefix(80))"])
      }
      throw HTTPError(
        .forbidden,
        message: "WebSocket from origin \(origin.prefix(80)) refused: only this server's own page may connect")
    }
  }

  /// Without a token, only requests addressed to a loopback name or the bound host are served. Against
  /// DNS rebinding: a site whose name is made to resolve to 127.0.0.1 passes the Origin check (its page
  /// and this server then share an origin) but names itself in Host.
  func checkHost(_ request: Request) throws {
    var name = (request.head.authority ?? "").lowercased()
    if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
      name = String(name[name.index(after: name.startIndex)..<close])
    } else if let colon = name.lastIndex(of: ":") {
      name = String(name[..<colon])
    }
    guard name == "localhost" || name.hasPrefix("127.") || name == "::1" || name == configuration.host.lowercased()
    else {
      throw HTTPError(.forbidden, message: "requests must address this server as localhost or \(configuration.host)")
    }
  }

  private static func authority(host: String, port: Int?, scheme: String?) -> String {
    let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    let defaultPort = scheme == "https" ? 443 : 80
    return "\(h.lowercased()):\(port ?? defaultPort)"
  }

  private static func normalised(_ hostHeader: String, scheme: String?) -> String {
    let lower = hostHeader.lowercased()
    // "host:port", "[v6]:port", or without a port.
    if let close = lower.lastIndex(of: "]") {
      let rest = lower[lower.index(after: close)...]
      return rest.isEmpty ? "\(lower):\(scheme == "https" ? 443 : 80)" : lower
    }
    return lower.contains(":") ? lower : "\(lower):\(scheme == "https" ? 443 : 80)"
  }
}

/// True at most once per interval: for log lines a client can trigger at will.
final class IntervalGate: Sendable {
  let interval: Duration
  private let last = Mutex<ContinuousClock.Instant?>(nil)

  init(interval: Duration) { self.interval = interval }

  func open() -> Bool {
    let now = ContinuousClock.now
    return last.withLock { last in
      if let previous = last, now - previous < interval { return false }
      last = now
      return true
    }
  }
}
