import Foundation
import NIOCore
import NIOPosix
import SimlayClient
import SimlayCore
import SimlayEventLoop
import SimlayProto

/// A load test of simlayd: concurrent clients send Similarity queries at random cells for a fixed time.
///
/// The images are uploaded once and one warm-up query caches their activations. Each client has its own
/// connection and makes one untimed query before the clock starts; then it queries a random cell of a
/// random image (targets: all images) until the time is up, one query at a time, on one SimilarityStream
/// (`.stream`, as a hover client does) or with one unary call per query (`.unary`).
public struct LoadTest: Sendable {
  /// The RPC a client's queries go through.
  public enum Mode: String, Sendable, CaseIterable {
    /// One SimilarityStream per client: the interactive hover path.
    case stream
    /// One unary Similarity call per query (a new HTTP/2 stream each).
    case unary
  }

  /// The daemon's model name ("" = its default).
  public var model: String
  /// The layer queried.
  public var layer: String
  /// Concurrent clients, one connection each.
  public var clients: Int
  /// How long the timed part runs.
  public var seconds: Double
  /// The similarity measure.
  public var metric: Simlay_V1_Metric
  /// How each client sends its queries.
  public var mode: Mode

  /// A load test with the given settings.
  public init(model: String, layer: String, clients: Int, seconds: Double, metric: Simlay_V1_Metric, mode: Mode) {
    (self.model, self.layer, self.clients, self.seconds, self.metric, self.mode) = (
      model, layer, clients, seconds, metric, mode
    )
  }

  /// Uploads `images`, warms the cache, runs the clients and reports. `progress` gets the slow steps'
  /// messages (upload, first forward pass).
  public func run(
    _ endpoint: Endpoint, images: ImageFiles, progress: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> LoadTestReport {
    let plan = try await endpoint.withDaemon { daemon in
      let ids = try await daemon.addImages(images, model: model, progress: progress).map(\.id)
      var plan = QueryPlan(model: model, layer: layer, metric: metric, ids: ids, height: 1, width: 1)
      var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
      let warm = try await notifying("computing activations...", after: .seconds(1), progress) {
        try await daemon.similarity(plan.random(&rng))
      }
      let maps = try MapStack(warm.maps)
      (plan.height, plan.width) = (maps.height, maps.width)
      return plan
    }
    let gate = StartGate(parties: clients)
    let duration = Duration.milliseconds(Int64((seconds * 1000).rounded()))
    // All clients' connections and loops share one event loop thread, like a load generator's: the
    // clients then cost the machine little CPU beside the daemon they measure (see EventLoopExecutor).
    let io = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let executor = EventLoopExecutor(io.next())
    let mode = self.mode
    let runs = try await withThrowingTaskGroup(of: ClientRun.self) { group in
      for _ in 0..<clients {
        group.addTask(executorPreference: executor) {
          try await mode == .stream
            ? plan.runStreamingClient(endpoint, io: io, gate: gate, duration: duration)
            : plan.runClient(endpoint, io: io, gate: gate, duration: duration)
        }
      }
      return try await group.reduce(into: [ClientRun]()) { $0.append($1) }
    }
    try? await io.shutdownGracefully()
    return LoadTestReport(self, runs: runs, plan: plan, server: endpoint.address.description)
  }
}

/// Milliseconds in a `Duration`.
func milliseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
}
