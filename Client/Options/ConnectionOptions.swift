import ArgumentParser
import Foundation
import SimlayClient

/// Where simlayd listens and how to authenticate to it; shared by every command that talks to the daemon.
///
/// Declared on the root command, so `simlay --server unix:/tmp/s.sock similarity ...` works; the root parses
/// these options wherever they appear, so `simlay similarity --server ... ...` works too. Subcommands read the
/// root's values through their own `@OptionGroup` (argument-parser hands them the already-decoded group).
struct ConnectionOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The daemon: unix:PATH (or unix://PATH), HOST:PORT or [IPv6]:PORT.",
      discussion:
        "Default: $XDG_RUNTIME_DIR/simlay/simlayd.sock, or /tmp/simlay-$UID/simlayd.sock without XDG_RUNTIME_DIR.",
      valueName: "address"))
  var server: String?

  @Option(
    name: .customLong("token-file"),
    help: "File holding the daemon's token (sent as 'authorization: Bearer <token>'; needed off loopback).")
  var tokenFile: String?

  @Flag(name: .customLong("tls"), help: "Connect with TLS, trusting the system's CAs (implied by --tls-ca).")
  var tls = false

  @Option(
    name: .customLong("tls-ca"),
    help: "PEM CA certificates to trust for the daemon's TLS certificate (e.g. a self-signed one).")
  var tlsCA: String?

  @Option(
    name: .customLong("tls-cert"),
    help: "PEM client certificate, for a daemon started with --tls-client-ca. Needs --tls-key.")
  var tlsCert: String?

  @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
  var tlsKey: String?

  /// The parsed `--server`, or the default socket.
  func address() throws -> ServerAddress {
    guard let server else { return .defaultSocket }
    return try ServerAddress(parsing: server)
  }

  /// The daemon's address and the metadata calls carry, resolved from the flags (reads `--token-file`).
  func endpoint() throws -> Endpoint {
    let secured = tls || tlsCA != nil || tlsCert != nil || tlsKey != nil
    let settings = secured ? TLSSettings(caFile: tlsCA, certificateFile: tlsCert, keyFile: tlsKey) : nil
    return try Endpoint(address: address(), tokenFile: tokenFile, tls: settings)
  }

  /// Opens a connection to the daemon, runs `body` with it and closes it (see `Endpoint.withDaemon`).
  func withDaemon<Result: Sendable>(_ body: (Daemon) async throws -> Result) async throws -> Result {
    try await endpoint().withDaemon(body)
  }
}
