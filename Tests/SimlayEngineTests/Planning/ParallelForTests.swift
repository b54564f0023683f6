import Foundation
@_spi(Testing) import SimlayEngine
import Synchronization
import Testing

/// The engine's worker pool (ExecutionContext.parallelFor over CSimlayKernels' pool): every index is
/// covered exactly once whatever the thread count, a stalled worker delays only its own chunk and never
/// deadlocks a loop, and real forward passes agree at 1, 2 and 3 threads and are bit-identical from pass
/// to pass at one thread count, also with a stalled worker or a busy process competing for the cores.
/// No timing assertions: speed is measured by scripts/bench_forward.py.
@Suite("Parallel loops", .serialized)
struct ParallelForTests {
  /// How often each index of 0..<count was visited by a loop of `threads` threads.
  static func visits(
    count: Int, threads: Int, minimum: Int = 1, stallMicroseconds: Int = 0,
    workPerChunk: useconds_t = 0
  ) -> [Int] {
    var context = ExecutionContext(threads: threads)
    context.workerStallMicroseconds = stallMicroseconds
    let counts = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: max(count, 1))
    for i in 0..<count { (counts + i).initialize(to: Atomic(0)) }
    defer { counts.deallocate() }
    context.parallelFor(count, minimumPerThread: minimum) { range in
      if workPerChunk > 0 { usleep(workPerChunk) }
      for i in range { counts[i].add(1, ordering: .relaxed) }
    }
    return (0..<count).map { counts[$0].load(ordering: .relaxed) }
  }

  @Test(arguments: [1, 2, 3, 4, 7])
  func everyIndexExactlyOnce(threads: Int) {
    for (count, minimum) in [(0, 1), (1, 1), (2, 1), (3, 1), (17, 1), (100, 8), (1000, 1), (4097, 3)] {
      let v = Self.visits(count: count, threads: threads, minimum: minimum)
      #expect(v == [Int](repeating: 1, count: count), "count \(count), minimum \(minimum), \(threads) threads")
    }
  }

  @Test func loopsBackToBack() {
    // Thousands of short loops, as a forward pass issues them: no lost wake-up, no chunk run twice.
    for round in 0..<3000 {
      let count = 2 + round % 37
      let v = Self.visits(count: count, threads: 2 + round % 3)
      if v != [Int](repeating: 1, count: count) {
        Issue.record("round \(round): visits \(v)")
        return
      }
    }
  }

  @Test func stalledWorkerDoesNotDeadlock() {
    // Each chunk takes 1 ms, so the workers wake while chunks are left and claim some; the first chunk a
    // worker claims then sleeps 200 ms. The loop must still finish with every index covered once, and
    // the following loops (their workers stall too) must not hang.
    // Other suites may run forward passes at the same time (the pool then runs this loop inline), so
    // repeat until a worker has stalled at least once at each thread count.
    for threads in [2, 3] {
      var stalls = 0
      for _ in 0..<40 where stalls == 0 {
        let before = ExecutionContext.workerStallCount
        let v = Self.visits(count: 64, threads: threads, stallMicroseconds: 200_000, workPerChunk: 1000)
        #expect(v == [Int](repeating: 1, count: 64), "\(threads) threads")
        stalls = ExecutionContext.workerStallCount - before
      }
      #expect(stalls > 0, "no worker ever claimed a chunk at \(threads) threads: the stall hook was not exercised")
    }
  }

  @Test func contendedLoopsFallBackToTheCaller() {
    // A worker that stops for 200 ms in a loop made that loop slower than the caller alone would have
    // been, so the pool runs the next loops on the calling thread alone for a while: on a machine where
    // other work deschedules the workers, threads waiting on each other cost more than they save.
    var fallbacks = 0
    for _ in 0..<40 where fallbacks == 0 {
      let before = ExecutionContext.poolFallbackCount
      let v = Self.visits(count: 64, threads: 2, stallMicroseconds: 200_000, workPerChunk: 1000)
      #expect(v == [Int](repeating: 1, count: 64))
      fallbacks = ExecutionContext.poolFallbackCount - before
    }
    #expect(fallbacks > 0, "a loop held up 200 ms by its worker did not make the pool fall back")
    // Within the fallback the same loop (chunks of 1 ms, which a worker would claim) runs on this thread only.
    let caller = pthread_self()
    let others = Atomic(0)
    let context = ExecutionContext(threads: 2)
    context.parallelFor(64) { _ in
      usleep(1000)
      if pthread_equal(pthread_self(), caller) == 0 { others.add(1, ordering: .relaxed) }
    }
    #expect(others.load(ordering: .relaxed) == 0, "chunks ran on workers during the fallback")
  }

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/models")

  /// The model's outputs for a seeded input at `threads`.
  static func forward(_ model: Model, batch: Int, context: ExecutionContext) throws -> [[Float]] {
    let shape = try #require(model.defaultInputShape(batch: batch))
    var state: UInt64 = 12345
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    let out = try model.run(Tensor(shape: shape, floats: values), keep: model.outputNames, context: context)
    return model.outputNames.map { out[$0]!.floats }
  }

  static let models = ["efficientnet_b0-legacy17.onnx", "mobilenet_v2-legacy17.onnx", "resnet50-legacy17.onnx"]

  /// max |a - b| over max |a|: the kernels split work by thread count (GEMM column blocks, channel
  /// chunks), and OpenBLAS's edge kernels for a narrower block may round differently in the last bit.
  static func relativeDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for (x, y) in zip(a, b) {
      guard x.count == y.count else { return .infinity }
      let scale = max(x.map(abs).max() ?? 0, 1e-30)
      worst = max(worst, (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / scale)
    }
    return worst
  }

  @Test(arguments: models)
  func sameResultsAcrossThreadCounts(_ file: String) throws {
    // At one thread count the chunks are fixed whichever thread claims them, so repeated passes (also with
    // a stalled worker) are bit-identical; across thread counts they agree to float rounding.
    let model = try Model(contentsOf: Self.fixtures.appendingPathComponent(file).path)
    for batch in [1, 3] {
      let one = try Self.forward(model, batch: batch, context: ExecutionContext(threads: 1))
      #expect(one.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isFinite) })
      for threads in [2, 3] {
        let many = try Self.forward(model, batch: batch, context: ExecutionContext(threads: threads))
        let difference = Self.relativeDifference(one, many)
        #expect(difference <= 1e-5, "\(file) batch \(batch): \(threads) threads differ from 1 by \(difference)")
        var stalled = ExecutionContext(threads: threads)
        stalled.workerStallMicroseconds = 20_000
        #expect(
          try Self.forward(model, batch: batch, context: stalled) == many,
          "\(file) batch \(batch), \(threads) threads, stalled worker")
        #expect(
          try Self.forward(model, batch: batch, context: ExecutionContext(threads: threads)) == many,
          "\(file) batch \(batch), \(threads) threads, second pass")
      }
    }
  }

  @Test(arguments: models)
  func anImageIsTheSameAtAnyThreadCountAloneOrInABatch(_ file: String) throws {
    // The daemon batches new images, so an image's activations must not depend on what else was in its
    // batch, nor on the thread count: every split that changes rounding (GEMM blocks, a fused block's
    // bands) is fixed by the shape. The last feature map before pooling: every block before it is fused.
    let model = try Model(contentsOf: Self.fixtures.appendingPathComponent(file).path)
    let shape = try #require(model.defaultInputShape(batch: 1))
    let layer = try #require(model.layers(inputShape: shape).last { $0.shape.count == 4 && $0.shape[2] > 1 }).name
    var first: [Float]?
    for threads in [1, 2, 3] {
      for batch in [1, 2, 3, 4] {
        let input = try #require(model.defaultInputShape(batch: batch))
        var state: UInt64 = 12345
        let values = (0..<input.reduce(1, *)).map { _ -> Float in
          state = state &* 6364136223846793005 &+ 1442695040888963407
          return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let out = try #require(
          try model.run(
            Tensor(shape: input, floats: values), keep: [layer], context: ExecutionContext(threads: threads))[
              layer])
        let image = Array(out.floats.prefix(out.count / batch))
        if let first {
          let differ = zip(image, first).filter { $0 != $1 }.count
          #expect(
            image.count == first.count && differ == 0,
            "\(file) \(layer): image 0 at \(threads) threads, batch \(batch): \(differ) values differ")
        } else {
          first = image
        }
      }
    }
  }

  @Test func sameResultsBesideABusyProcess() throws {
    // A process spinning on a core: the pool's workers are descheduled now and then, and the loops must
    // neither hang nor change a single bit of the result at a given thread count.
    let model = try Model(contentsOf: Self.fixtures.appendingPathComponent("efficientnet_b0-legacy17.onnx").path)
    let quiet = try [1, 2, 3].map { try Self.forward(model, batch: 2, context: ExecutionContext(threads: $0)) }
    let busy = Process()
    busy.executableURL = URL(fileURLWithPath: "/bin/sh")
    busy.arguments = ["-c", "while :; do :; done"]
    try busy.run()
    defer {
      // SIGKILL: the test runner's threads block SIGTERM, and the child inherits that mask.
      kill(busy.processIdentifier, SIGKILL)
      busy.waitUntilExit()
    }
    for (i, threads) in [1, 2, 3].enumerated() {
      for _ in 0..<3 {
        #expect(
          try Self.forward(model, batch: 2, context: ExecutionContext(threads: threads)) == quiet[i],
          "\(threads) threads")
      }
    }
    #expect(busy.isRunning, "the busy process died, so nothing competed with the pool")
  }
}
