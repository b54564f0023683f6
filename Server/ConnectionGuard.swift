import Foundation
import Logging
import NIOCore
import Synchronization

/// Limits what connections alone can take from the daemon: at most `limit` open at once (more are closed
/// as they arrive), and a connection that sends nothing within `handshakeTimeout` is closed.
///
/// The cap is also what keeps the accept loop from spinning. When descriptors run out, SwiftNIO's
/// listener retries `accept` at once on every readiness event (measured: 7,000 `accept4` calls a second
/// failing with EMFILE, 70% of a core, with 100 clients at `nofile=64`). Closing connections beyond a cap
/// set below the descriptor limit means descriptors never run out through connections, so accept
/// never fails that way.
final class ConnectionGuard: Sendable {
  let limit: Int
  let handshakeTimeout: TimeAmount?
  let logger: Logger
  private let open = Atomic<Int>(0)
  private let lastReport = Mutex<ContinuousClock.Instant?>(nil)

  init(limit: Int, handshakeTimeout: TimeAmount?, logger: Logger) {
    (self.limit, self.handshakeTimeout, self.logger) = (limit, handshakeTimeout, logger)
  }

  /// Connections open now.
  var count: Int { open.load(ordering: .relaxed) }

  /// The transport's per-connection callback: counts the connection or closes it when over the cap.
  /// Runs on the connection's event loop. Never fails the future: a failed initializer is reported to the
  /// listener's pipeline, which would end its accept loop.
  @Sendable func admit(_ channel: any Channel) -> EventLoopFuture<Void> {
    let now = open.add(1, ordering: .relaxed).newValue
    guard now <= limit else {
      open.subtract(1, ordering: .relaxed)
      report()
      channel.eventLoop.execute { channel.close(promise: nil) }
      return channel.eventLoop.makeSucceededVoidFuture()
    }
    channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
    if let handshakeTimeout {
      try? channel.pipeline.syncOperations.addHandler(FirstBytesDeadline(handshakeTimeout), position: .first)
    }
    return channel.eventLoop.makeSucceededVoidFuture()
  }

  /// Once per 10 s at most: a client refused in a loop must not flood the log.
  private func report() {
    let now = ContinuousClock.now
    let due = lastReport.withLock { last in
      if let previous = last, now - previous < .seconds(10) { return false }
      last = now
      return true
    }
    if due {
      logger.warning(
        "refused a connection: \(limit) are open (--max-connections)", metadata: ["limit": "\(limit)"])
    }
  }

  /// The most connections that fit in this process's descriptor limit, keeping a reserve (a quarter of
  /// the limit, 16 to 64) for the listeners, the event loops, model files and logs: about 15 at start.
  /// Raises the soft limit to the hard one first, as servers do.
  static func descriptorBudget() -> Int {
    var limits = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return Int.max }
    if limits.rlim_cur < limits.rlim_max {
      var raised = limits
      raised.rlim_cur = limits.rlim_max
      if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
    }
    guard limits.rlim_cur != rlim_t.max else { return Int.max }
    let limit = Int(clamping: limits.rlim_cur)
    return max(1, limit - min(64, max(16, limit / 4)))
  }
}

/// Closes a connection whose first bytes do not arrive in time (a client that connects and stalls
/// before its HTTP/2 preface, or before its TLS hello), then steps aside.
final class FirstBytesDeadline: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  let timeout: TimeAmount
  private var timer: Scheduled<Void>?

  init(_ timeout: TimeAmount) { self.timeout = timeout }

  func handlerAdded(context: ChannelHandlerContext) {
    let channel = context.channel
    timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    timer?.cancel()
    timer = nil
    context.fireChannelRead(data)
    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    timer?.cancel()
  }
}
