import Synchronization

/// A one-way "stop now" signal that synchronous CPU work polls between its steps (NMF iterations, render
/// tiles, sweep steps). Work on a Dispatch thread cannot see its caller's `Task` cancellation, so the
/// daemon's compute executor sets this flag from the task's cancellation handler (a deadline passed, the
/// client went away, or the daemon is shutting down) and the work stops at its next check.
///
/// Checking is one relaxed atomic load: cheap enough for every iteration of every loop that matters.
public final class CancellationFlag: Sendable {
  private let cancelled = Atomic<Bool>(false)
  private let settable: Bool

  /// A flag that is not set.
  public init() { settable = true }

  private init(settable: Bool) { self.settable = settable }

  /// Whether the work's caller is gone.
  public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

  /// Sets the flag; idempotent.
  public func cancel() { if settable { cancelled.store(true, ordering: .relaxed) } }

  /// Throws `CancellationError` once the flag is set.
  public func check() throws {
    if isCancelled { throw CancellationError() }
  }

  /// A flag that is never set, for callers without a cancellation source (the CLI, benchmarks).
  /// (Shared, so `cancel()` does nothing on it.)
  public static let never = CancellationFlag(settable: false)
}
