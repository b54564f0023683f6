import NIOCore

/// A Swift concurrency task executor that runs jobs on one NIO event loop.
///
/// The hover path (Similarity, SimilarityStream) prefers it when the transport runs on a single event loop:
/// a message read on that loop then resumes the handler on the same thread, and the answer is written
/// and flushed there too. Without it each message crosses threads twice (event loop to Swift's pool and
/// back), which cost about a third of the daemon's CPU per streamed query on two cores.
///
/// Bench clients share one such loop for all their connections, for the same reason.
///
/// Only work that never blocks may run here: a handler awaiting a forward pass suspends (the pass runs on
/// `ComputeExecutor`'s threads), but CPU-heavy handlers (NMF, renders, viewer pages) must not prefer it.
public final class EventLoopExecutor: TaskExecutor {
  /// The loop jobs run on.
  public let loop: any EventLoop

  /// An executor for `loop`.
  public init(_ loop: any EventLoop) {
    self.loop = loop
  }

  /// Runs `job` on the loop: inline-queued when called from the loop itself (no wake-up), else handed over.
  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
