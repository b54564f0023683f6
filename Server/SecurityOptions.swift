import ArgumentParser
import Foundation
import GRPCNIOTransportHTTP2
import NIOSSL

/// TLS for the TCP listener and which calls need no token: `simlayd --tls-cert C --tls-key K
/// [--tls-client-ca CA] [--health-without-token]`.
struct SecurityOptions: ParsableArguments {
  @Option(
    name: .customLong("tls-cert"),
    help: "PEM certificate chain for the --tcp listener (the leaf first). Needs --tls-key.")
  var certificate: String?

  @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
  var key: String?

  @Option(
    name: .customLong("tls-client-ca"),
    help: "PEM CA certificates: clients must present a certificate signed by one (mutual TLS).")
  var clientCA: String?

  @Flag(
    name: .customLong("health-without-token"),
    help:
      "Answer grpc.health.v1.Health without a token, for load-balancer and orchestrator probes (it reveals only whether the daemon serves)."
  )
  var healthWithoutToken = false

  func validate() throws {
    guard (certificate == nil) == (key == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    if clientCA != nil, certificate == nil { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
  }

  /// Whether the TCP listener speaks TLS.
  var enabled: Bool { certificate != nil }

  /// The TCP listener's security, with the files read and parsed now, so that a wrong path or a file that
  /// is not PEM stops the start with a message naming it (NIOSSL would otherwise fail at the first
  /// connection, or with its own wording at bind).
  func transportSecurity() throws -> HTTP2ServerTransport.Posix.TransportSecurity {
    guard let certificate, let key else { return .plaintext }
    let chain = try Self.read(certificate, "--tls-cert")
    try Self.requireCertificates(chain, "--tls-cert", certificate)
    let keyBytes = try Self.read(key, "--tls-key")
    guard (try? NIOSSLPrivateKey(bytes: keyBytes, format: .pem)) != nil else {
      throw DaemonError("--tls-key '\(key)' holds no PEM private key")
    }
    let chainSource: [TLSConfig.CertificateSource] = [.bytes(chain, format: .pem)]
    let keySource = TLSConfig.PrivateKeySource.bytes(keyBytes, format: .pem)
    guard let clientCA else { return .tls(certificateChain: chainSource, privateKey: keySource) }
    let ca = try Self.read(clientCA, "--tls-client-ca")
    try Self.requireCertificates(ca, "--tls-client-ca", clientCA)
    return .mTLS(certificateChain: chainSource, privateKey: keySource) { config in
      config.trustRoots = .certificates([.bytes(ca, format: .pem)])
      // A client is identified by its certificate, not by a host name it connects from.
      config.clientCertificateVerification = .noHostnameVerification
    }
  }

  /// The same certificate, key and client CAs as NIOSSL's server configuration, for the --http listener
  /// (nil without --tls-cert). Called after ``transportSecurity()``, which has already named any bad file.
  func httpTLS() throws -> TLSConfiguration? {
    guard let certificate, let key else { return nil }
    let chain = try NIOSSLCertificate.fromPEMBytes(try Self.read(certificate, "--tls-cert"))
    let privateKey = try NIOSSLPrivateKey(bytes: try Self.read(key, "--tls-key"), format: .pem)
    var config = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    if let clientCA {
      config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(try Self.read(clientCA, "--tls-client-ca")))
      config.certificateVerification = .noHostnameVerification
    }
    return config
  }

  private static func requireCertificates(_ bytes: [UInt8], _ flag: String, _ path: String) throws {
    let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes)
    guard let certificates, !certificates.isEmpty else {
      throw DaemonError("\(flag) '\(path)' holds no PEM certificate")
    }
  }

  private static func read(_ path: String, _ flag: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DaemonError("\(flag): cannot read '\(path)'")
    }
    return Array(data)
  }
}
