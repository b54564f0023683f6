import Foundation
import SimlayProto

/// What a load test measured: one JSON object (snake_case keys; absent measurements are `null`).
///
/// Percentiles are nearest-rank over every successful call of every client; qps counts successful calls
/// over the time from the common start to the last client's end.
public struct LoadTestReport: Encodable, Sendable {
  public var clients: Int
  public var mode: String
  public var seconds: Double
  public var queries: Int
  public var qps: Double
  public var p50Ms: Double?
  public var p90Ms: Double?
  public var p99Ms: Double?
  public var maxMs: Double?
  public var errors: Int
  public var layer: String
  public var images: Int
  public var server: String
  public var model: String
  public var metric: String
  public var grid: [Int]
  public var meanMs: Double?
  public var minMs: Double?
  public var elapsedS: Double
  /// The last failed query's message, if any failed (not in the JSON: the CLI prints it on stderr).
  public var lastError: String?
  /// Whether some client stopped early because the daemon became unreachable (not in the JSON).
  public var lostDaemon: Bool

  init(_ test: LoadTest, runs: [ClientRun], plan: QueryPlan, server: String) {
    let latencies = runs.flatMap(\.latencies).sorted()
    let starts = runs.compactMap(\.start)
    let ends = runs.compactMap(\.end)
    let elapsed = starts.min().flatMap { s in ends.max().map { milliseconds($0 - s) / 1000 } } ?? test.seconds
    func pct(_ q: Double) -> Double? {
      guard !latencies.isEmpty else { return nil }
      let rank = Int((q * Double(latencies.count)).rounded(.up))
      return Self.rounded(latencies[min(latencies.count - 1, max(0, rank - 1))])
    }
    (clients, mode, seconds, queries) = (test.clients, test.mode.rawValue, test.seconds, latencies.count)
    qps = Self.rounded(Double(latencies.count) / max(elapsed, 1e-9), 2)
    (p50Ms, p90Ms, p99Ms, maxMs) = (pct(0.5), pct(0.9), pct(0.99), latencies.last.map { Self.rounded($0) })
    errors = runs.map(\.errors).reduce(0, +)
    (layer, images, self.server, model) = (test.layer, plan.ids.count, server, test.model)
    metric = Self.name(test.metric)
    grid = [plan.height, plan.width]
    meanMs = latencies.isEmpty ? nil : Self.rounded(latencies.reduce(0, +) / Double(latencies.count))
    minMs = latencies.first.map { Self.rounded($0) }
    elapsedS = Self.rounded(elapsed)
    lastError = runs.compactMap(\.lastError).last
    lostDaemon = runs.contains(where: \.lostDaemon)
  }

  enum CodingKeys: String, CodingKey {
    case clients, mode, seconds, queries, qps, errors, layer, images, server, model, metric, grid
    case p50Ms = "p50_ms"
    case p90Ms = "p90_ms"
    case p99Ms = "p99_ms"
    case maxMs = "max_ms"
    case meanMs = "mean_ms"
    case minMs = "min_ms"
    case elapsedS = "elapsed_s"
  }

  /// Optional measurements are written as `null` (synthesised Encodable would drop the key).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(clients, forKey: .clients)
    try c.encode(mode, forKey: .mode)
    // A whole number of seconds stays an integer in the JSON, as given on the command line.
    if seconds == seconds.rounded(), abs(seconds) < 1e15 {
      try c.encode(Int(seconds), forKey: .seconds)
    } else {
      try c.encode(seconds, forKey: .seconds)
    }
    try c.encode(queries, forKey: .queries)
    try c.encode(qps, forKey: .qps)
    for (value, key) in [
      (p50Ms, CodingKeys.p50Ms), (p90Ms, .p90Ms), (p99Ms, .p99Ms), (maxMs, .maxMs), (meanMs, .meanMs), (minMs, .minMs),
    ] {
      try c.encode(value, forKey: key)
    }
    try c.encode(errors, forKey: .errors)
    try c.encode(layer, forKey: .layer)
    try c.encode(images, forKey: .images)
    try c.encode(server, forKey: .server)
    try c.encode(model, forKey: .model)
    try c.encode(metric, forKey: .metric)
    try c.encode(grid, forKey: .grid)
    try c.encode(elapsedS, forKey: .elapsedS)
  }

  /// `value` rounded to `places` decimals (latencies and rates need no more).
  static func rounded(_ value: Double, _ places: Int = 3) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
  }

  /// The metric as the command line names it.
  static func name(_ metric: Simlay_V1_Metric) -> String {
    switch metric {
    case .cosine: return "cosine"
    case .dot: return "dot"
    case .euclidean: return "euclidean"
    case .UNRECOGNIZED(let v): return "metric_\(v)"
    }
  }
}
