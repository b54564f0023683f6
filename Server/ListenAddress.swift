import GRPCNIOTransportHTTP2

/// A TCP address from `--tcp HOST:PORT` (or `PORT`, which means 127.0.0.1).
struct ListenAddress: CustomStringConvertible {
  var host: String
  var port: Int

  static func parseTCP(_ text: String, flag: String = "--tcp") throws -> ListenAddress {
    var host = "127.0.0.1"
    var portText = text
    if let colon = text.lastIndex(of: ":") {
      host = String(text[..<colon])
      portText = String(text[text.index(after: colon)...])
      if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      if host.isEmpty { host = "127.0.0.1" }
    }
    guard let port = Int(portText), (0...65535).contains(port) else {
      throw DaemonError("\(flag) needs HOST:PORT with a port in 0...65535, got '\(text)'")
    }
    if host == "localhost" { host = "127.0.0.1" }
    return ListenAddress(host: host, port: port)
  }

  var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

  var socketAddress: SocketAddress {
    host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
  }

  var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
