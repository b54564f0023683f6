import GRPCCore
import Synchronization

extension ServingLifecycle {
  /// The status an open request stream ends with when the daemon shuts down.
  static let shuttingDownError = RPCError(
    code: .unavailable, message: "the daemon is shutting down: reconnect to a running daemon and resend")

  /// Handles each message of a request stream with `body`, in order, until the client ends the stream.
  ///
  /// When shutdown begins while the stream waits for its next message, the stream ends at once with
  /// UNAVAILABLE: an idle interactive stream (a viewer left open) must not hold the daemon's graceful
  /// shutdown until the grace period runs out. A message being answered is answered first, and the
  /// stream then ends the same way.
  func forEachUntilShutdown<Message: Sendable>(
    _ messages: RPCAsyncSequence<Message, any Error>, _ body: @escaping @Sendable (Message) async throws -> Void
  ) async throws {
    let busy = StreamActivity()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for try await message in messages {
          try busy.begin()
          try await body(message)
          try busy.end()
        }
      }
      group.addTask {
        await self.waitUntilShutdownOrCancelled()
        // Without a shutdown the call is over (client gone or deadline passed): stop answering.
        guard self.isShuttingDown else { throw CancellationError() }
        if busy.shutDownIfIdle() { throw Self.shuttingDownError }
        // Busy: the reader ends the stream after this answer (`end()`), and then cancels this task.
        try await Task.sleep(for: .seconds(1 << 40))
      }
      // The first to finish decides: the reader (stream over, or an error), or the shutdown of an idle
      // stream. Either way the other is no longer needed.
      defer { group.cancelAll() }
      try await group.next()
    }
  }
}

/// Whether a stream is answering a message, so that shutdown ends only idle streams at once.
final class StreamActivity: Sendable {
  private struct State {
    var busy = false
    var shutDown = false
  }

  private let state = Mutex(State())

  /// A message arrived: throws the shutdown error if the stream was already ended for shutdown.
  func begin() throws {
    try state.withLock { s in
      if s.shutDown { throw ServingLifecycle.shuttingDownError }
      s.busy = true
    }
  }

  /// Its answer is written: throws the shutdown error if shutdown began meanwhile.
  func end() throws {
    try state.withLock { s in
      s.busy = false
      if s.shutDown { throw ServingLifecycle.shuttingDownError }
    }
  }

  /// Marks shutdown; true if no message is being answered (the stream can end now).
  func shutDownIfIdle() -> Bool {
    state.withLock { s in
      s.shutDown = true
      return !s.busy
    }
  }
}
