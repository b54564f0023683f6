import Foundation
import GRPCNIOTransportHTTP2
import NIOSSL

/// How the client secures a TCP connection: `simlay --tls` (the system's trust roots), `--tls-ca FILE`
/// (trust exactly these CAs, e.g. a self-signed daemon's), plus `--tls-cert`/`--tls-key` for a daemon
/// that asks for client certificates (`simlayd --tls-client-ca`).
public struct TLSSettings: Sendable, Equatable {
  /// PEM CA certificates to trust instead of the system's.
  public var caFile: String?
  /// PEM client certificate chain, for mutual TLS.
  public var certificateFile: String?
  /// PEM private key of `certificateFile`.
  public var keyFile: String?

  /// Settings; every file is read when the connection is made.
  public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.keyFile = keyFile
  }

  /// The transport's security, with the files read and parsed now, so a wrong path is named before any
  /// connection is tried.
  public func transportSecurity() throws -> HTTP2ClientTransport.Posix.TransportSecurity {
    guard (certificateFile == nil) == (keyFile == nil) else {
      throw ClientError(.usage, "--tls-cert and --tls-key go together")
    }
    let ca = try caFile.map { try Self.certificates($0, "--tls-ca") }
    let configure: (inout HTTP2ClientTransport.Posix.TransportSecurity.TLS) -> Void = { config in
      if let ca { config.trustRoots = .certificates([.bytes(ca, format: .pem)]) }
    }
    guard let certificateFile, let keyFile else { return .tls(.defaults(configure: configure)) }
    let chain = try Self.certificates(certificateFile, "--tls-cert")
    let key = try Self.read(keyFile, "--tls-key")
    guard (try? NIOSSLPrivateKey(bytes: key, format: .pem)) != nil else {
      throw ClientError(.file, "--tls-key: '\(keyFile)' holds no PEM private key")
    }
    return .mTLS(
      certificateChain: [.bytes(chain, format: .pem)], privateKey: .bytes(key, format: .pem), configure: configure)
  }

  private static func certificates(_ path: String, _ flag: String) throws -> [UInt8] {
    let bytes = try read(path, flag)
    guard let parsed = try? NIOSSLCertificate.fromPEMBytes(bytes), !parsed.isEmpty else {
      throw ClientError(.file, "\(flag): '\(path)' holds no PEM certificate")
    }
    return bytes
  }

  private static func read(_ path: String, _ flag: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ClientError(.file, "\(flag): cannot read '\(path)'")
    }
    return Array(data)
  }
}
