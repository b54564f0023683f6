import Dispatch
import SimlayCore
import Synchronization

/// The one executor of the daemon's CPU-bound work, at most `limit` jobs at once: forward passes, image
/// decoding, model loading, NMF, overlay and chart rendering, PNG encoding, the viewer's all-pairs GEMM
/// and deflate.
///
/// RPC handlers run on Swift's cooperative pool, which has one thread per core; a 15 ms forward pass
/// there would stall every other client's 1 ms query. Here the work runs on a Dispatch thread and the
/// handler awaits it, so cached queries keep flowing while new images are processed. Everything heavy
/// goes through this one API (not some of it on the caller's executor), so `limit` bounds all of it.
///
/// Cancellation: a job whose calling task is cancelled (deadline, client gone, shutdown) leaves the queue
/// at once without running, and a running job sees its `CancellationFlag` set, which long jobs poll
/// between their steps (NMF iterations, tiles, sweep steps). Either way the slot goes to the next caller.
package final class ComputeExecutor: Sendable {
  private struct Waiter {
    var flag: CancellationFlag
    var continuation: CheckedContinuation<Void, any Error>
  }

  /// Waiters by caller, served round-robin: each caller (one RPC, see `ComputeExecutor.caller`) waits
  /// in its own FIFO, and a freed slot goes to the next caller in turn, so one request's batch of 32
  /// forward passes delays another request's single pass by at most one job, not by the whole batch.
  private struct State {
    var running = 0
    var queues: [UInt64: [Waiter]] = [:]
    /// Callers with waiters, in turn order.
    var turn: [UInt64] = []

    var waitingCount: Int { queues.values.reduce(0) { $0 + $1.count } }

    mutating func enqueue(_ waiter: Waiter, caller: UInt64) {
      if queues[caller] == nil { turn.append(caller) }
      queues[caller, default: []].append(waiter)
    }

    /// The next caller's oldest waiter; that caller goes to the back of the turn order.
    mutating func dequeue() -> Waiter? {
      guard !turn.isEmpty else { return nil }
      let caller = turn.removeFirst()
      var queue = queues[caller] ?? []
      let next = queue.removeFirst()
      if queue.isEmpty {
        queues[caller] = nil
      } else {
        queues[caller] = queue
        turn.append(caller)
      }
      return next
    }

    mutating func remove(_ flag: CancellationFlag) -> Waiter? {
      for (caller, var queue) in queues {
        guard let i = queue.firstIndex(where: { $0.flag === flag }) else { continue }
        let waiter = queue.remove(at: i)
        if queue.isEmpty {
          queues[caller] = nil
          turn.removeAll { $0 == caller }
        } else {
          queues[caller] = queue
        }
        return waiter
      }
      return nil
    }
  }

  /// The caller the current task's jobs are queued for (0 = an anonymous caller); `SimlayService` gives
  /// each RPC its own. Tasks a request starts inherit it (a task-local), so its forward passes queue as it.
  @TaskLocal package static var caller: UInt64 = 0
  private static let callers = Atomic<UInt64>(0)

  /// A fresh caller identity.
  package static func newCaller() -> UInt64 { callers.add(1, ordering: .relaxed).newValue }

  private let state = Mutex(State())
  private let limit: Int
  private let queue: DispatchQueue
  private let cancelledJobs = Atomic<Int64>(0)

  /// An executor running at most `limit` jobs at once on Dispatch threads named by `label`.
  package init(limit: Int, label: String = "simlay.compute") {
    self.limit = max(1, limit)
    queue = DispatchQueue(label: label, qos: .userInitiated, attributes: .concurrent)
  }

  /// Jobs waiting for a slot.
  package var waiting: Int { state.withLock { $0.waitingCount } }

  /// Jobs stopped by cancellation so far: withdrawn from the queue, or ended early by their flag.
  package var cancellations: Int64 { cancelledJobs.load(ordering: .relaxed) }

  /// Runs `work` on a compute thread once a slot is free (work that takes no cancellation flag: short jobs).
  package func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await runCancellable { _ in try work() }
  }

  /// Runs `work` on a compute thread once a slot is free, passing it a flag that is set when the calling
  /// task is cancelled. Throws `CancellationError` when cancelled before the work started, or whatever
  /// the work throws when it stops on the flag.
  package func runCancellable<T: Sendable>(_ work: @escaping @Sendable (CancellationFlag) throws -> T)
    async throws -> T
  {
    let flag = CancellationFlag()
    let caller = Self.caller
    return try await withTaskCancellationHandler {
      try await acquire(flag, caller: caller)
      defer { release() }
      return try await withCheckedThrowingContinuation { continuation in
        queue.async {
          let result = Result { () throws -> T in
            try flag.check()
            return try work(flag)
          }
          if case .failure = result, flag.isCancelled { self.cancelledJobs.add(1, ordering: .relaxed) }
          continuation.resume(with: result)
        }
      }
    } onCancel: {
      flag.cancel()
      withdraw(flag)
    }
  }

  private func acquire(_ flag: CancellationFlag, caller: UInt64) async throws {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
      enum Outcome { case go, wait, cancelled }
      let outcome = state.withLock { s -> Outcome in
        // Checked under the lock: `withdraw` sets the flag before taking it, so a cancellation either
        // finds this waiter in the queue or is seen here.
        if flag.isCancelled { return .cancelled }
        if s.running < limit {
          s.running += 1
          return .go
        }
        s.enqueue(Waiter(flag: flag, continuation: c), caller: caller)
        return .wait
      }
      switch outcome {
      case .go: c.resume()
      case .wait: break
      case .cancelled:
        cancelledJobs.add(1, ordering: .relaxed)
        c.resume(throwing: CancellationError())
      }
    }
  }

  /// Removes a cancelled caller from the queue (it never got a slot, so none is released).
  private func withdraw(_ flag: CancellationFlag) {
    let removed = state.withLock { $0.remove(flag) }
    if let removed {
      cancelledJobs.add(1, ordering: .relaxed)
      removed.continuation.resume(throwing: CancellationError())
    }
  }

  private func release() {
    let next = state.withLock { s -> Waiter? in
      guard let next = s.dequeue() else {
        s.running -= 1
        return nil
      }
      return next  // the slot passes straight to the next waiter
    }
    next?.continuation.resume()
  }
}
