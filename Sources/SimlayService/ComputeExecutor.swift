import Dispatch
import Synchronization

/// The one executor of the daemon's CPU-bound work, at most `limit` jobs at once: forward passes, image
/// decoding, model loading, NMF, overlay and chart rendering, PNG encoding, the viewer's all-pairs GEMM
/// and deflate.
///
/// RPC handlers run on Swift's cooperative pool, which has one thread per core; a 15 ms forward pass
/// there would stall every other client's 1 ms query. Here the work runs on a Dispatch thread and the
/// handler awaits it, so cached queries keep flowing while new images are processed. Everything heavy
/// goes through this one API (not some of it on the caller's executor), so `limit` bounds all of it.
final class ComputeExecutor: Sendable {
  private struct State {
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Mutex(State())
  private let limit: Int
  private let queue: DispatchQueue

  /// An executor running at most `limit` jobs at once on Dispatch threads named by `label`.
  init(limit: Int, label: String) {
    self.limit = max(1, limit)
    queue = DispatchQueue(label: label, qos: .userInitiated, attributes: .concurrent)
  }

  /// Runs `work` on a compute thread once a slot is free.
  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    await acquire()
    defer { release() }
    return try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try work() }) }
    }
  }

  private func acquire() async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
      let go = state.withLock { s -> Bool in
        if s.running < limit {
          s.running += 1
          return true
        }
        s.waiting.append(c)
        return false
      }
      if go { c.resume() }
    }
  }

  private func release() {
    let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
      if s.waiting.isEmpty {
        s.running -= 1
        return nil
      }
      return s.waiting.removeFirst()  // the slot passes straight to the next waiter
    }
    next?.resume()
  }
}
