import ArgumentParser
import Foundation
import GRPCCore
import SimlayClient
import SimlayEngine
import SimlayImaging

/// A failure the CLI reports as one line on stderr.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ message: String) { description = message }
}

/// Runs a command body, turning any error into `simlay: error: <one line>` on stderr and exit code 1,
/// so scripts get one greppable line instead of a usage dump.
func reportingErrors(_ body: () async throws -> Void) async throws {
  do {
    try await body()
  } catch let e as ExitCode {
    throw e
  } catch {
    let message: String
    switch error {
    case let e as EngineError: message = e.message
    case let e as ImagingError: message = e.message
    case let e as RPCError: message = "\(DaemonFailure.statusName(e.code)): \(e.message)"
    default: message = String(describing: error)
    }
    let line = message.replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("simlay: error: \(line)\n".utf8))
    throw ExitCode(1)
  }
}

/// Writes a line to stderr (progress, notes).
func note(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
