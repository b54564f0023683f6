import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay stats`: the daemon's models, cache, images and per-method request counts and latencies.
struct Stats: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the daemon's statistics: uptime, images, activation cache, requests and latencies per method.")

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Print the Stats response as JSON (protobuf JSON mapping).")
  var json = false

  func run() async throws {
    try await reportingErrors {
      let stats = try await connection.withDaemon { try await $0.stats() }
      if json {
        print(try stats.jsonString())
      } else {
        report(stats).forEach { print($0) }
      }
    }
  }

  /// The text report.
  private func report(_ s: Simlay_V1_StatsResponse) -> [String] {
    var lines = [
      "uptime   \(Self.duration(s.uptimeSeconds))", "images   \(s.images) (\(formatBytes(Int(s.imageBytes))))",
    ]
    let c = s.cache
    let lookups = c.hits + c.misses
    let hitRate = lookups > 0 ? String(format: ", %.1f%% hit rate", 100 * Double(c.hits) / Double(lookups)) : ""
    let full = c.capacityBytes > 0 ? String(format: " (%.0f%%)", 100 * Double(c.bytes) / Double(c.capacityBytes)) : ""
    lines.append(
      "cache    \(formatBytes(Int(c.bytes))) of \(formatBytes(Int(c.capacityBytes)))\(full), \(c.entries) entries")
    lines.append(
      "         \(c.hits) hits, \(c.misses) misses\(hitRate), \(c.evictions) evictions, \(c.forwardPasses) forward passes"
    )
    lines.append("models   \(s.models.count)")
    for m in s.models {
      lines.append("  \(m.name)  input \(m.inputHeight)x\(m.inputWidth)  \(m.layers.count) layers  \(m.path)")
    }
    if !s.methods.isEmpty {
      let width = max(s.methods.map(\.method.count).max() ?? 0, "method".count)
      func row(_ cells: [String]) -> String {
        cells[0].padding(toLength: width, withPad: " ", startingAt: 0)
          + cells.dropFirst().map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
      }
      lines.append("")
      lines.append(row(["method", "requests", "errors", "p50 ms", "p90 ms", "p99 ms"]))
      for m in s.methods {
        lines.append(
          row(
            [m.method, "\(m.requests)", "\(m.errors)"] + [m.p50Ms, m.p90Ms, m.p99Ms].map { String(format: "%.2f", $0) })
        )
      }
    }
    return lines
  }

  /// `1d 02:03:04`, `02:03:04` or `4.2s`.
  static func duration(_ seconds: Double) -> String {
    guard seconds >= 60 else { return String(format: "%.1fs", seconds) }
    let t = Int(seconds)
    let (d, h, m, sec) = (t / 86400, t / 3600 % 24, t / 60 % 60, t % 60)
    let clock = String(format: "%02d:%02d:%02d", h, m, sec)
    return d > 0 ? "\(d)d \(clock)" : clock
  }
}
