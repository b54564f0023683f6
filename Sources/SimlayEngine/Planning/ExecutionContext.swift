import CBLAS
import CSimlayKernels
import Dispatch
import Foundation

/// Per-run settings the kernels read: how many threads they may use.
public struct ExecutionContext: Sendable {
  /// Threads for GEMM and the hand-written kernels.
  public var threads: Int

  /// Creates a context; `threads` is clamped to at least 1.
  public init(threads: Int = 1) {
    self.threads = max(1, threads)
  }

  /// Runs `body(i)` for i in 0..<count, spread over the context's threads in contiguous chunks.
  /// Small loops stay on the calling thread: dispatching costs more than it saves.
  func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = min(threads, count / max(minimumPerThread, 1))
    if workers <= 1 {
      body(0..<count)
      return
    }
    let chunk = (count + workers - 1) / workers
    withoutActuallyEscaping(body) { body in
      if Self.useDispatch {
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          let start = w * chunk
          let end = min(count, start + chunk)
          if start < end { box.value(start..<end) }
        }
        return
      }
      var job = PoolJob(body: body, count: count, chunk: chunk)
      withUnsafeMutablePointer(to: &job) { pointer in
        simlay_parallel_for(Int32(workers), { context, index in
          let job = context!.assumingMemoryBound(to: PoolJob.self).pointee
          let start = Int(index) * job.chunk
          let end = min(job.count, start + job.chunk)
          if start < end { job.body(start..<end) }
        }, pointer)
      }
    }
  }

  /// SIMLAY_DISPATCH=1 hands loops to Dispatch instead of the spinning pool (for comparisons).
  static let useDispatch = ProcessInfo.processInfo.environment["SIMLAY_DISPATCH"] == "1"

  /// OpenBLAS runs single-threaded: the engine splits products over its own threads (see GEMM), so
  /// no OpenBLAS worker spins on a core another kernel needs.
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

/// Carries a closure into concurrentPerform. The kernels' closures write disjoint ranges of one output
/// buffer, which is the discipline Sendable cannot express.
private struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

extension ExecutionContext {
  /// Makes OpenBLAS single-threaded (the daemon's queries are small GEMVs, for which thread hand-offs
  /// cost more than they save).
  public func configureBLASThreads() { configureBLAS() }
}
