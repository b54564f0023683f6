import GRPCCore
import Synchronization

/// Whether the daemon still serves or has begun to shut down, for the handlers that hold a call open
/// without work to do: health `Watch` streams and idle `SimilarityStream`s.
///
/// gRPC tells a handler that its call ended (client cancelled, deadline, connection gone) only through
/// `ServerContext.cancellation`, never by cancelling the handler's `Task`: a handler that just sleeps
/// outlives its caller and holds a graceful shutdown open forever. Such handlers wait with
/// ``waitUntilShutdownOrCancelled()``, which returns on either event.
public final class ServingLifecycle: Sendable {
  private struct State {
    var shuttingDown = false
    var nextID: UInt64 = 0
    var observers: [UInt64: @Sendable () -> Void] = [:]
  }

  private let state = Mutex(State())

  /// A lifecycle that is serving.
  public init() {}

  /// Whether ``beginShutdown()`` has been called.
  public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

  /// Marks the daemon as shutting down and wakes every waiting handler (once; later calls do nothing).
  public func beginShutdown() {
    let observers = state.withLock { (s: inout State) -> [@Sendable () -> Void] in
      guard !s.shuttingDown else { return [] }
      s.shuttingDown = true
      defer { s.observers.removeAll() }
      return Array(s.observers.values)
    }
    observers.forEach { $0() }
  }

  /// Calls `observer` when shutdown begins, or at once if it has. Returns an id for
  /// ``removeObserver(_:)``, or nil when it was called at once.
  func addObserver(_ observer: @escaping @Sendable () -> Void) -> UInt64? {
    let id = state.withLock { (s: inout State) -> UInt64? in
      guard !s.shuttingDown else { return nil }
      s.nextID += 1
      s.observers[s.nextID] = observer
      return s.nextID
    }
    if id == nil { observer() }
    return id
  }

  func removeObserver(_ id: UInt64?) {
    guard let id else { return }
    _ = state.withLock { $0.observers.removeValue(forKey: id) }
  }

  /// Suspends until shutdown begins, the current RPC is cancelled (its client left, its deadline passed,
  /// or the transport is quiescing), or the task is cancelled, whichever comes first.
  public func waitUntilShutdownOrCancelled() async {
    let gate = OnceGate()
    let id = addObserver { gate.open() }
    defer { removeObserver(id) }
    await withTaskCancellationHandler {
      await withRPCCancellationHandler {
        await gate.wait()
      } onCancelRPC: {
        gate.open()
      }
    } onCancel: {
      gate.open()
    }
  }
}

/// A gate that opens once; `wait()` returns as soon as it is open, whether opened before or after.
final class OnceGate: Sendable {
  private enum State {
    case closed
    case waiting(CheckedContinuation<Void, Never>)
    case open
  }

  private let state = Mutex(State.closed)

  /// Opens the gate, resuming the waiter if there is one.
  func open() {
    let waiter = state.withLock { (s: inout State) -> CheckedContinuation<Void, Never>? in
      defer { s = .open }
      if case .waiting(let c) = s { return c }
      return nil
    }
    waiter?.resume()
  }

  /// Returns once the gate is open. At most one waiter.
  func wait() async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
      let openAlready = state.withLock { (s: inout State) -> Bool in
        if case .open = s { return true }
        s = .waiting(c)
        return false
      }
      if openAlready { c.resume() }
    }
  }
}
