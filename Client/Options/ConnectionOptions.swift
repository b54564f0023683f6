import ArgumentParser
import Foundation
import SimlayCore
import GRPCCore
import GRPCNIOTransportHTTP2

/// Where simlayd listens and how to authenticate to it; shared by every command that talks to the daemon.
///
/// Declared on the root command, so `simlay --server unix:/tmp/s.sock similarity ...` works; the root parses
/// these options wherever they appear, so `simlay similarity --server ... ...` works too. Subcommands read the
/// root's values through their own `@OptionGroup` (argument-parser hands them the already-decoded group).
struct ConnectionOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The daemon: unix:PATH (or unix://PATH), HOST:PORT or [IPv6]:PORT.",
      discussion: "Default: $XDG_RUNTIME_DIR/simlay/simlayd.sock, or /tmp/simlay-$UID/simlayd.sock without XDG_RUNTIME_DIR.",
      valueName: "address"))
  var server: String?

  @Option(
    name: .customLong("token-file"),
    help: "File holding the daemon's token (sent as 'authorization: Bearer <token>'; needed off loopback).")
  var tokenFile: String?

  /// The parsed `--server`, or the default socket.
  func address() throws -> ServerAddress {
    guard let server else { return .unix(path: DaemonDefaults.socketPath()) }
    return try ServerAddress(parsing: server)
  }

  /// Metadata sent with every call: the bearer token when `--token-file` is given.
  func metadata() throws -> Metadata {
    guard let tokenFile else { return [:] }
    guard let data = FileManager.default.contents(atPath: tokenFile) else {
      throw CLIError("--token-file: cannot read '\(tokenFile)'")
    }
    let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw CLIError("--token-file: '\(tokenFile)' is empty") }
    var metadata = Metadata()
    metadata.addString("Bearer \(token)", forKey: "authorization")
    return metadata
  }
}


/// A parsed `--server` value.
enum ServerAddress: Equatable, CustomStringConvertible {
  case unix(path: String)
  /// `host` is an IPv4 literal, an IPv6 literal (without brackets) or a name to resolve.
  case tcp(host: String, port: Int)

  /// Parses `unix:PATH`, `unix://PATH`, `HOST:PORT`, `[IPV6]:PORT`, or a bare path starting with `/` or `.`.
  init(parsing text: String) throws {
    let bad = CLIError("--server: expected unix:PATH, HOST:PORT or [IPv6]:PORT, got '\(text)'")
    if text.hasPrefix("unix://") {
      self = .unix(path: String(text.dropFirst("unix://".count)))
    } else if text.hasPrefix("unix:") {
      self = .unix(path: String(text.dropFirst("unix:".count)))
    } else if text.hasPrefix("/") || text.hasPrefix(".") {
      self = .unix(path: text)
    } else if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw bad }
      let host = String(text[text.index(after: text.startIndex)..<close])
      let port = text[text.index(close, offsetBy: 2)...]
      guard !host.isEmpty, let p = Int(port), (1...65535).contains(p) else { throw bad }
      self = .tcp(host: host, port: p)
    } else {
      guard let colon = text.lastIndex(of: ":"), let p = Int(text[text.index(after: colon)...]), (1...65535).contains(p)
      else { throw bad }
      let host = String(text[..<colon])
      guard !host.isEmpty, !host.contains(":") else { throw bad }
      self = .tcp(host: host, port: p)
    }
    if case .unix(let path) = self, path.isEmpty { throw bad }
  }

  var description: String {
    switch self {
    case .unix(let path): return "unix:\(path)"
    case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
  }

  /// The transport's target.
  var target: any ResolvableTarget {
    switch self {
    case .unix(let path):
      return ResolvableTargets.UnixDomainSocket.unixDomainSocket(path: path)
    case .tcp(let host, let port) where host.contains(":"):
      return ResolvableTargets.IPv6.ipv6(address: host, port: port)
    case .tcp(let host, let port) where Self.isIPv4(host):
      return ResolvableTargets.IPv4.ipv4(address: host, port: port)
    case .tcp(let host, let port):
      return ResolvableTargets.DNS.dns(host: host, port: port)
    }
  }

  private static func isIPv4(_ host: String) -> Bool {
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
  }
}
