import Foundation

/// Runs `body`; if it takes longer than `delay`, prints `simlay: <message>` on stderr once, so a slow upload
/// or a first forward pass does not look like a hang. Quick calls print nothing.
func withProgress<T>(
  _ message: String, after delay: Duration = .seconds(1), _ body: () async throws -> T
) async throws -> T {
  let reporter = Task {
    try await Task.sleep(for: delay)
    note("simlay: \(message)")
  }
  defer { reporter.cancel() }
  return try await body()
}

/// A byte count for people: `12.3 MB`, `850 kB`, `512 B`.
func formatBytes(_ bytes: Int) -> String {
  let b = Double(bytes)
  if b >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
  if b >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
  if b >= 1e3 { return String(format: "%.0f kB", b / 1e3) }
  return "\(bytes) B"
}

/// Milliseconds in a `Duration`.
func milliseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
}
