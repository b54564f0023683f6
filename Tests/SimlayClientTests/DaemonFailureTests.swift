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
    #expect(text(.unimplemented, "no such method") == "UNIMPLEMENTED: no such method (is unix:/s a simlayd as new as this client?)")
    #expect(text(.unauthenticated, "missing token") == "UNAUTHENTICATED: missing token (pass --token-file FILE)")
    #expect(text(.unauthenticated, "wrong token", sentToken: true) == "UNAUTHENTICATED: wrong token")
    #expect(text(.unavailable, "draining") == "UNAVAILABLE: draining")
  }

  @Test("a daemon that is not there is reported as unreachable, over a real transport")
  func unreachable() async throws {
    let path = NSTemporaryDirectory() + "simlay-client-test-\(getpid())-absent.sock"
    let endpoint = Endpoint(address: .unix(path: path), metadata: [:], sendsToken: false)
    let error = await #expect(throws: DaemonFailure.self) {
      try await endpoint.withDaemon { try await $0.stats() }
    }
    #expect(error?.code == .unavailable)
    #expect(error?.description == "UNAVAILABLE: cannot reach simlayd at unix:\(path): is it running?")
  }

  @Test("the token file's contents become the bearer token; unreadable or empty files are refused")
  func tokenFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simlay-client-test-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("token").path, empty = dir.appendingPathComponent("empty").path
    try Data("  s3cret\n".utf8).write(to: URL(fileURLWithPath: good))
    try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
    let endpoint = try Endpoint(address: .defaultSocket, tokenFile: good)
    #expect(Array(endpoint.metadata[stringValues: "authorization"]) == ["Bearer s3cret"])
    #expect(endpoint.sendsToken)
    #expect(try Endpoint(address: .defaultSocket).metadata.isEmpty)
    let unreadable = #expect(throws: ClientError.self) { try Endpoint(address: .defaultSocket, tokenFile: dir.appendingPathComponent("absent").path) }
    #expect(unreadable?.description.hasPrefix("--token-file: cannot read") == true)
    let blank = #expect(throws: ClientError.self) { try Endpoint(address: .defaultSocket, tokenFile: empty) }
    #expect(blank?.description == "--token-file: '\(empty)' is empty")
  }
}
