import Foundation
import GRPCCore
import SimlayClient
import Testing

@Suite("Daemon failures")
struct DaemonFailureTests {
  @Test(
    "every status code gets its canonical name",
    arguments: [
      (RPCError.Code.cancelled, "CANCELLED"), (.unknown, "UNKNOWN"), (.invalidArgument, "INVALID_ARGUMENT"),
      (.deadlineExceeded, "DEADLINE_EXCEEDED"), (.notFound, "NOT_FOUND"), (.alreadyExists, "ALREADY_EXISTS"),
      (.permissionDenied, "PERMISSION_DENIED"), (.resourceExhausted, "RESOURCE_EXHAUSTED"),
      (.failedPrecondition, "FAILED_PRECONDITION"), (.aborted, "ABORTED"), (.outOfRange, "OUT_OF_RANGE"),
      (.unimplemented, "UNIMPLEMENTED"), (.internalError, "INTERNAL"), (.unavailable, "UNAVAILABLE"),
      (.dataLoss, "DATA_LOSS"), (.unauthenticated, "UNAUTHENTICATED"),
    ])
  func names(code: RPCError.Code, name: String) {
    #expect(DaemonFailure.statusName(code) == name)
    let failure = DaemonFailure(RPCError(code: code, message: "the daemon's words"), server: "unix:/s", sentToken: true)
    #expect(failure.code == code)
    #expect(failure.description.hasPrefix("\(name): "))
  }

  @Test("the daemon's message is passed through, with a hint where one helps")
  func hints() {
    func text(_ code: RPCError.Code, _ message: String, sentToken: Bool = false) -> String {
      DaemonFailure(RPCError(code: code, message: message), server: "unix:/s", sentToken: sentToken).description
    }
    #expect(text(.notFound, "no layer 'x'") == "NOT_FOUND: no layer 'x'")
    #expect(
      text(.unimplemented, "no such method")
        == "UNIMPLEMENTED: no such method (is unix:/s a simlayd as new as this client?)")
    #expect(text(.unauthenticated, "missing token") == "UNAUTHENTICATED: missing token (pass --token-file FILE)")
    #expect(text(.unauthenticated, "wrong token", sentToken: true) == "UNAUTHENTICATED: wrong token")
    #expect(text(.unavailable, "draining") == "UNAVAILABLE: draining")
  }

  @Test("a daemon that is not there is reported by the connect's errno, over a real transport")
  func unreachable() async throws {
    let path = NSTemporaryDirectory() + "simlay-client-test-\(getpid())-absent.sock"
    let error = await failure(of: .unix(path: path))
    #expect(error?.code == .unavailable)
    #expect(error?.unreachable?.errno == ENOENT)
    #expect(
      error?.description
        == "UNAVAILABLE: cannot reach simlayd at unix:\(path): no socket file there (is simlayd running?)")
  }

  @Test("a path that is not a listening socket, and a closed TCP port, are 'nothing is listening'")
  func refused() async throws {
    let path = NSTemporaryDirectory() + "simlay-client-test-\(getpid())-plain.sock"
    try Data("not a socket".utf8).write(to: URL(fileURLWithPath: path))
    defer { unlink(path) }
    let onFile = await failure(of: .unix(path: path))
    #expect(onFile?.unreachable?.errno == ECONNREFUSED)
    #expect(onFile?.description.hasSuffix("nothing is listening there (is simlayd running?)") == true)

    let port = try closedPort()
    let onPort = await failure(of: .tcp(host: "127.0.0.1", port: port))
    #expect(onPort?.unreachable?.errno == ECONNREFUSED)
    #expect(
      onPort?.description
        == "UNAVAILABLE: cannot reach simlayd at 127.0.0.1:\(port): nothing is listening there (is simlayd running?)")
  }

  @Test("UNAVAILABLE without a transport cause (a daemon shutting down) is not 'unreachable'")
  func notUnreachable() {
    let draining = RPCError(code: .unavailable, message: "simlayd is shutting down")
    #expect(!DaemonFailure.isConnectFailure(draining))
    #expect(DaemonFailure(draining, server: "unix:/s", sentToken: false).unreachable == nil)
  }

  private func failure(of address: ServerAddress) async -> DaemonFailure? {
    let endpoint = Endpoint(address: address, metadata: [:], sendsToken: false)
    return await #expect(throws: DaemonFailure.self) {
      try await endpoint.withDaemon { try await $0.stats() }
    }
  }

  /// A loopback port that was bound and closed again: nothing listens on it (for the moment).
  private func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw ClientError(.connection, "cannot bind a loopback port for the test") }
    return Int(UInt16(bigEndian: addr.sin_port))
  }

  @Test("the token file's contents become the bearer token; unreadable or empty files are refused")
  func tokenFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simlay-client-test-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("token").path
    let empty = dir.appendingPathComponent("empty").path
    try Data("  s3cret\n".utf8).write(to: URL(fileURLWithPath: good))
    try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
    let endpoint = try Endpoint(address: .defaultSocket, tokenFile: good)
    #expect(Array(endpoint.metadata[stringValues: "authorization"]) == ["Bearer s3cret"])
    #expect(endpoint.sendsToken)
    #expect(try Endpoint(address: .defaultSocket).metadata.isEmpty)
    let unreadable = #expect(throws: ClientError.self) {
      try Endpoint(address: .defaultSocket, tokenFile: dir.appendingPathComponent("absent").path)
    }
    #expect(unreadable?.description.hasPrefix("--token-file: cannot read") == true)
    let blank = #expect(throws: ClientError.self) { try Endpoint(address: .defaultSocket, tokenFile: empty) }
    #expect(blank?.description == "--token-file: '\(empty)' is empty")
  }
}
