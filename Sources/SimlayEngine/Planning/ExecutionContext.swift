import CBLAS
import CSimlayKernels

/// Per-run settings of the engine (in the manner of ncnn's `Option`): threads, the optional fusions and
/// the profiler. Passed explicitly to `Model.run`; nothing is read from the environment.
public struct ExecutionContext: Sendable {
  /// Threads for GEMM and the hand-written kernels.
  public var threads: Int
  /// Fuse expand -> depthwise -> project blocks into one step (on by default; off for comparisons).
  public var blockFusion: Bool
  /// Print the time per operator kind to stderr after each run (for kernel work).
  public var profile: Bool
  /// With `profile`, key the timings by output shape and window as well as by operator kind.
  public var profileShapes: Bool
  /// Test hook: the first chunk a pool worker (not the calling thread) claims in each parallel loop
  /// sleeps this long, to show a stalled worker delays only its own chunk and never deadlocks a loop.
  @_spi(Testing) public var workerStallMicroseconds: Int = 0
  /// Polled before each step of a run; when it returns true the run stops and throws `CancellationError`.
  /// Why: a pass whose callers are all gone otherwise holds its forward thread to the end (a first pass of
  /// a large model is hundreds of milliseconds); a step is the finest point at which stopping leaves no
  /// half-written state. One call per step costs nothing beside a step (the shortest are microseconds).
  public var shouldStop: (@Sendable () -> Bool)?

  /// Creates a context; `threads` is clamped to at least 1.
  public init(
    threads: Int = 1, blockFusion: Bool = true, profile: Bool = false, profileShapes: Bool = false,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) {
    self.threads = max(1, threads)
    self.shouldStop = shouldStop
    self.blockFusion = blockFusion
    self.profile = profile
    self.profileShapes = profileShapes
  }

  /// Chunks per thread. More chunks than threads let the threads that are running pick up the share of
  /// one that is descheduled or late to wake (only a chunk already claimed can hold the loop up); 4 keeps
  /// the per-chunk overhead (one claim, one closure call) negligible beside chunks of tens of microseconds.
  static let chunksPerThread = 4

  /// Runs `body` over contiguous sub-ranges covering 0..<count, on up to `threads` threads (the caller's
  /// among them), each range at least `minimumPerThread` long. Small loops stay on the calling thread:
  /// dispatching costs more than it saves.
  @_spi(Testing) public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let most = count / max(minimumPerThread, 1)
    let workers = min(threads, most)
    if workers <= 1 {
      body(0..<count)
      return
    }
    let chunks = min(most, workers * Self.chunksPerThread, 0xffff)
    let chunk = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
      var job = PoolJob(body: body, count: count, chunk: chunk)
      withUnsafeMutablePointer(to: &job) { pointer in
        simlay_parallel_for_threads(
          Int32((count + chunk - 1) / chunk), Int32(workers), Int32(clamping: workerStallMicroseconds),
          { context, index in
            let job = context!.assumingMemoryBound(to: PoolJob.self).pointee
            let start = Int(index) * job.chunk
            let end = min(job.count, start + job.chunk)
            if start < end { job.body(start..<end) }
          }, pointer)
      }
    }
  }

  /// OpenBLAS runs single-threaded: the engine splits products over its own pool (see GEMM), so OpenBLAS's
  /// threads and the pool's never compete for the same cores (they would oversubscribe a small machine,
  /// and OpenBLAS's workers spin after each call on the core the next kernel wants).
  func configureBLAS() {
    if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
  }
}

/// One parallel loop, passed to the C pool by pointer (the pool's workers call back into `body`).
private struct PoolJob {
  let body: (Range<Int>) -> Void
  let count: Int
  let chunk: Int
}

extension ExecutionContext {
  /// Makes OpenBLAS single-threaded (the daemon's queries are small GEMVs, for which thread hand-offs
  /// cost more than they save).
  public func configureBLASThreads() { configureBLAS() }

  /// Test hook: stalls pool workers have performed so far in this process (see `workerStallMicroseconds`).
  @_spi(Testing) public static var workerStallCount: Int { Int(simlay_pool_stall_count()) }

  /// Test hook: times the pool has fallen back to running loops on the calling thread alone, having found
  /// that its workers made loops no faster (descheduled by other work on the machine).
  @_spi(Testing) public static var poolFallbackCount: Int { Int(simlay_pool_fallback_count()) }

  /// Of the chunks of parallel loops offered to the pool's workers so far, the fraction they ran (see
  /// simlay_pool_worker_share): tells a 2-thread pass whose workers kept up from one they did not.
  @_spi(Testing) public static var poolWorkerShare: Double { simlay_pool_worker_share() }
}
