import Foundation
import SimlayClient

/// Runs `body`; if it takes longer than `delay`, prints `simlay: <message>` on stderr once, so a slow upload
/// or a first forward pass does not look like a hang. Quick calls print nothing.
func withProgress<T>(
  _ message: String, after delay: Duration = .seconds(1), _ body: () async throws -> T
) async throws -> T {
  try await notifying(message, after: delay, { note("simlay: \($0)") }, body)
}

/// Milliseconds in a `Duration`.
func milliseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
}
