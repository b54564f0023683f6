import ArgumentParser
import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import SimlayCore
import SimlayEventLoop
import SimlayProto

extension Bench {
  /// `simlay bench query`: load-test simlayd with Similarity queries at random cells from concurrent clients.
  struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load-test the daemon: C clients send Similarity queries at random cells for S seconds; prints one JSON line.",
      discussion: """
        The images are uploaded once and one warm-up query caches their activations. Each client has its \
        own connection and makes one untimed query before the clock starts; then it queries a random cell \
        of a random IMAGE (targets: all IMAGEs) until S seconds have passed, one query at a time. By default \
        each client sends its queries on one SimilarityStream, as a hover client does; --unary makes every \
        query its own Similarity call (a new HTTP/2 stream each). The JSON line's "mode" says which.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The daemon's model name (default: the daemon's default model).")
    var model: String = ""

    @Option(help: "Layer to query.")
    var layer: String

    @Option(help: "Concurrent clients, one connection each.")
    var clients: Int = 1

    @Option(help: "How long to run, in seconds.")
    var seconds: Double = 10

    @Option(help: "Similarity measure.")
    var metric: MetricChoice = .cosine

    @Flag(help: "How each client sends its queries.")
    var mode: Mode = .stream

    /// The RPC a client's queries go through.
    enum Mode: String, EnumerableFlag {
      case stream, unary

      static func help(for value: Mode) -> ArgumentHelp? {
        switch value {
        case .stream: "One SimilarityStream per client: the interactive hover path."
        case .unary: "One unary Similarity call per query."
        }
      }
    }

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func validate() throws {
      guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
      guard (1...1024).contains(clients) else { throw ValidationError("--clients must be in 1...1024, got \(clients)") }
      guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() async throws {
      try await reportingErrors {
        let files = try ImageFiles(images)
        let endpoint = try connection.endpoint()
        let plan = try await endpoint.withDaemon { daemon in
          let ids = try await daemon.upload(files, model: model).map(\.id)
          var plan = QueryPlan(model: model, layer: layer, metric: metric.proto, ids: ids, height: 1, width: 1)
          var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
          let warm = try await withProgress("computing activations...") { try await daemon.similarity(plan.random(&rng)) }
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
        let runs = try await withThrowingTaskGroup(of: ClientRun.self) { group in
          for _ in 0..<clients {
            group.addTask(executorPreference: executor) {
              try await mode == .stream ? plan.runStreamingClient(endpoint, io: io, gate: gate, duration: duration)
                               : plan.runClient(endpoint, io: io, gate: gate, duration: duration)
            }
          }
          return try await group.reduce(into: [ClientRun]()) { $0.append($1) }
        }
        try? await io.shutdownGracefully()
        print(report(runs, plan: plan, server: endpoint.address.description).text)
        if runs.contains(where: \.lostDaemon) {
          throw CLIError("UNAVAILABLE: lost simlayd at \(endpoint.address) during the run")
        }
      }
    }

    /// The JSON line. Percentiles are nearest-rank over every successful call of every client; qps counts
    /// successful calls over the time from the common start to the last client's end.
    private func report(_ runs: [ClientRun], plan: QueryPlan, server: String) -> JSON {
      let latencies = runs.flatMap(\.latencies).sorted()
      let errors = runs.map(\.errors).reduce(0, +)
      if errors > 0, let last = runs.compactMap(\.lastError).last {
        note("simlay: \(errors) queries failed; last: \(last)")
      }
      let starts = runs.compactMap(\.start), ends = runs.compactMap(\.end)
      let elapsed = starts.min().flatMap { s in ends.max().map { milliseconds($0 - s) / 1000 } } ?? seconds
      func ms(_ value: Double?) -> JSON { value.map { JSON.rounded($0) } ?? .null }
      func pct(_ q: Double) -> JSON {
        guard !latencies.isEmpty else { return .null }
        let rank = Int((q * Double(latencies.count)).rounded(.up))
        return ms(latencies[min(latencies.count - 1, max(0, rank - 1))])
      }
      let mean = latencies.isEmpty ? nil : latencies.reduce(0, +) / Double(latencies.count)
      return .object([
        ("clients", .int(clients)),
        ("mode", .string(mode.rawValue)),
        ("seconds", seconds == seconds.rounded() ? .int(Int(seconds)) : .double(seconds)),
        ("queries", .int(latencies.count)),
        ("qps", JSON.rounded(Double(latencies.count) / max(elapsed, 1e-9), 2)),
        ("p50_ms", pct(0.5)), ("p90_ms", pct(0.9)), ("p99_ms", pct(0.99)), ("max_ms", ms(latencies.last)),
        ("errors", .int(errors)),
        ("layer", .string(layer)), ("images", .int(plan.ids.count)), ("server", .string(server)),
        ("model", .string(model)), ("metric", .string(metric.rawValue)),
        ("grid", .array([.int(plan.height), .int(plan.width)])),
        ("mean_ms", ms(mean)), ("min_ms", ms(latencies.first)), ("elapsed_s", JSON.rounded(elapsed)),
      ])
    }
  }
}

/// What a benchmark query looks like: random image, random cell of the layer's grid, all images as targets.
struct QueryPlan: Sendable {
  var model: String
  var layer: String
  var metric: Simlay_V1_Metric
  var ids: [String]
  var height: Int
  var width: Int

  /// One client: connect, one untimed query, wait for the others, then query until the time is up.
  func runClient(_ endpoint: Endpoint, io: any EventLoopGroup, gate: StartGate, duration: Duration) async throws -> ClientRun {
    try await endpoint.withDaemon(eventLoopGroup: io) { daemon in
      var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
      let clock = ContinuousClock()
      var run = ClientRun()
      do {
        _ = try await daemon.similarity(random(&rng))
      } catch {
        _ = await gate.arrive(ready: false)
        throw error
      }
      guard let start = await gate.arrive(ready: true) else { return run }
      run.start = start
      while clock.now < start + duration {
        let request = random(&rng)
        let t0 = clock.now
        do {
          _ = try await daemon.similarity(request)
          run.latencies.append(milliseconds(clock.now - t0))
        } catch {
          run.errors += 1
          run.lastError = (error as? RPCError).map { "\(DaemonFailure.statusName($0.code)): \($0.message)" } ?? "\(error)"
          // The daemon went away: stop rather than spin on instant failures.
          if let e = error as? RPCError, e.code == .unavailable, DaemonFailure.isConnectFailure(e) {
            run.lostDaemon = true
            break
          }
        }
      }
      run.end = clock.now
      return run
    }
  }

  /// A query at a random cell of a random image, against all images.
  func random(_ rng: inout some RandomNumberGenerator) -> Simlay_V1_SimilarityRequest {
    var request = Simlay_V1_SimilarityRequest()
    request.model = model
    request.layer = layer
    request.metric = metric
    request.targetIds = ids
    let y = Int32.random(in: 0..<Int32(height), using: &rng)
    let x = Int32.random(in: 0..<Int32(width), using: &rng)
    let image = Int.random(in: 0..<ids.count, using: &rng)
    request.query = QuerySpec(image: image, position: .cell(y: y, x: x)).proto(imageID: ids[image])
    return request
  }
}

/// One client's measurements.
struct ClientRun: Sendable {
  var latencies: [Double] = []
  var errors = 0
  var lastError: String?
  /// Set when the client stopped early because the daemon became unreachable.
  var lostDaemon = false
  var start: ContinuousClock.Instant?
  var end: ContinuousClock.Instant?
}

/// Lets the clients start timing together, once all are connected; or tells them all to stop if one failed.
actor StartGate {
  private let parties: Int
  private var arrived = 0
  private var failed = false
  private var waiting: [CheckedContinuation<ContinuousClock.Instant?, Never>] = []

  init(parties: Int) { self.parties = parties }

  /// Waits for every party; returns the common start instant, or nil if some party was not ready.
  func arrive(ready: Bool) async -> ContinuousClock.Instant? {
    arrived += 1
    failed = failed || !ready
    if arrived == parties {
      let start: ContinuousClock.Instant? = failed ? nil : ContinuousClock.now
      waiting.forEach { $0.resume(returning: start) }
      waiting.removeAll()
      return start
    }
    return await withCheckedContinuation { waiting.append($0) }
  }
}
