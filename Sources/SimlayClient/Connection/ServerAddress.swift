import GRPCCore
import GRPCNIOTransportHTTP2
import SimlayCore

/// A daemon address: a Unix socket or a TCP host and port.
public enum ServerAddress: Equatable, Sendable, CustomStringConvertible {
  case unix(path: String)
  /// `host` is an IPv4 literal, an IPv6 literal (without brackets) or a name to resolve.
  case tcp(host: String, port: Int)

  /// The daemon's default socket (see `DaemonDefaults.socketPath()`).
  public static var defaultSocket: ServerAddress { .unix(path: DaemonDefaults.socketPath()) }

  /// Parses `unix:PATH`, `unix://PATH`, `HOST:PORT`, `[IPV6]:PORT`, or a bare path starting with `/` or `.`.
  public init(parsing text: String) throws {
    let bad = ClientError(.usage, "--server: expected unix:PATH, HOST:PORT or [IPv6]:PORT, got '\(text)'")
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

  /// The address in the form `init(parsing:)` reads back: `unix:PATH`, `HOST:PORT` or `[IPV6]:PORT`.
  public var description: String {
    switch self {
    case .unix(let path): return "unix:\(path)"
    case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
  }

  /// The transport's target.
  public var target: any ResolvableTarget {
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
