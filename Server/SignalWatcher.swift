import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a callback (once each), so the daemon can stop gracefully instead of
/// dying with calls in flight and its socket file left behind.
final class SignalWatcher: @unchecked Sendable {
  private var sources: [any DispatchSourceSignal] = []

  init(_ handler: @escaping @Sendable (String) -> Void) {
    for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { handler(name) }
      source.resume()
      sources.append(source)
    }
  }

  func cancel() {
    sources.forEach { $0.cancel() }
  }
}
