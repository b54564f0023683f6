import Dispatch
import Synchronization

/// Runs forward passes on their own threads, at most `limit` at once.
///
/// RPC handlers run on Swift's cooperative pool, which has one thread per core; a 15 ms forward pass
/// there would stall every other client's 1 ms query. Here the pass runs on a Dispatch thread and the
/// handler awaits it, so cached queries keep flowing while new images are processed.
final class ForwardExecutor: Sendable {
  private struct State {
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Mutex(State())
  private let limit: Int
  private let queue = DispatchQueue(label: "simlay.forward", qos: .userInitiated, attributes: .concurrent)

  init(limit: Int) {
    self.limit = max(1, limit)
  }

  /// Runs `work` on a forward thread once a slot is free.
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
