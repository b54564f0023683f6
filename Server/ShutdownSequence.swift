import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import SimlayService

/// The daemon's way from SIGTERM/SIGINT to exit.
///
/// 1. Stop accepting: health turns NOT_SERVING (open `Watch` streams are told, then end), idle
///    `SimilarityStream`s end with UNAVAILABLE, and the servers close their listeners and send GOAWAY.
/// 2. In-flight calls get the grace period (`--shutdown-grace-seconds`) to finish.
/// 3. Then what remains is cancelled (a second signal skips the rest of the grace period).
/// 4. Work that ignores cancellation (a forward pass or an NMF already on a compute thread) is not
///    waited for beyond `hardStop`: the daemon then exits without it, as a client that cancelled such a
///    call would not wait either. The caller removes the socket file and exits 0 in every case.
///
/// Only ``run(_:onListening:)`` holds the servers, and the signal handler holds only the event stream:
/// a transport released after its event loops shut down fails a promise on a dead loop (SwiftNIO's
/// "Cannot schedule tasks on an EventLoop that has already shut down", which every shutdown printed when
/// the signal handler's closure kept the servers alive until after `shutdownGracefully`).
struct ShutdownSequence: Sendable {
  enum Event: Sendable {
    case signal(String)
    case servingEnded((any Error)?)
    case graceOver
    case hardStop
  }

  /// How the servers ended.
  enum Outcome {
    /// Every call finished or was cancelled; the transport is closed.
    case stopped
    /// Calls still ran `hardStop` after cancellation; the process should exit without waiting for them.
    case abandoned
  }

  let grace: Duration
  let hardStop: Duration
  let lifecycle: ServingLifecycle
  let logger: Logger
  private let events: AsyncStream<Event>
  private let sink: AsyncStream<Event>.Continuation

  init(grace: Duration, hardStop: Duration = .seconds(2), lifecycle: ServingLifecycle, logger: Logger) {
    (self.grace, self.hardStop, self.lifecycle, self.logger) = (grace, hardStop, lifecycle, logger)
    (events, sink) = AsyncStream.makeStream(of: Event.self)
  }

  /// What the signal watcher calls (it holds nothing else).
  var signalHandler: @Sendable (String) -> Void {
    let sink = self.sink
    return { sink.yield(.signal($0)) }
  }

  /// Serves on every server (each with a label for `onListening`, called once it listens) until they
  /// end, driving the shutdown when a signal arrives. Rethrows the error serving ended with before any
  /// shutdown (e.g. an address in use).
  func run(
    _ servers: [ServingEndpoint],
    onListening: @escaping @Sendable (String) -> Void
  ) async throws -> Outcome {
    let serving = Task {
      try await withThrowingDiscardingTaskGroup { group in
        for server in servers {
          group.addTask { try await server.serve(onListening) }
        }
      }
    }
    let sink = self.sink
    Task {
      do {
        try await serving.value
        sink.yield(.servingEnded(nil))
      } catch {
        sink.yield(.servingEnded(error))
      }
    }
    var began = false
    var cancelled = false
    for await event in events {
      switch event {
      case .servingEnded(let error):
        if let error, !began { throw error }
        return .stopped
      case .signal(let name) where !began:
        began = true
        logger.notice(
          "shutting down: no new calls; calls in flight get the grace period, then are cancelled",
          metadata: [
            "signal": "\(name)",
            "grace_seconds": "\(Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18)",
          ])
        lifecycle.beginShutdown()
        servers.forEach { $0.stop() }
        after(grace, .graceOver)
      case .signal(let name):
        logger.notice("second signal: cancelling the calls in flight now", metadata: ["signal": "\(name)"])
        cancel(serving, &cancelled)
      case .graceOver:
        logger.notice("grace period over: cancelling the calls still in flight")
        cancel(serving, &cancelled)
      case .hardStop:
        logger.notice(
          "calls still running after cancellation (compute that cannot be interrupted): exiting without them")
        return .abandoned
      }
    }
    return .stopped
  }

  private func cancel(_ serving: Task<Void, any Error>, _ cancelled: inout Bool) {
    guard !cancelled else { return }
    cancelled = true
    serving.cancel()
    after(hardStop, .hardStop)
  }

  private func after(_ delay: Duration, _ event: Event) {
    let sink = self.sink
    Task {
      try? await Task.sleep(for: delay)
      sink.yield(event)
    }
  }
}
