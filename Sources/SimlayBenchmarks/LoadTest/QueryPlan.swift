import Foundation
import GRPCCore
import NIOCore
import SimlayClient
import SimlayCore
import SimlayProto

/// What a benchmark query looks like: random image, random cell of the layer's grid, all images as targets.
struct QueryPlan: Sendable {
  var model: String
  var layer: String
  var metric: Simlay_V1_Metric
  var ids: [String]
  var height: Int
  var width: Int

  /// One client: connect, one untimed query, wait for the others, then query until the time is up.
  func runClient(_ endpoint: Endpoint, io: any EventLoopGroup, gate: StartGate, duration: Duration) async throws
    -> ClientRun
  {
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
          run.lastError =
            (error as? RPCError).map { "\(DaemonFailure.statusName($0.code)): \($0.message)" } ?? "\(error)"
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
    request.query = Simlay_V1_Query.with { q in
      q.imageID = ids[image]
      q.cell = .with {
        $0.y = y
        $0.x = x
      }
    }
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
