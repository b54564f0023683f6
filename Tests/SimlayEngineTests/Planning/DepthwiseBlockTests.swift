import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// An inverted bottleneck run as one channels-last step (DepthwiseBlock) matches its three convolutions run
/// apart (the plan that keeps the intermediates, which cannot fuse), and gives the same bits at 1, 2 and 3
/// threads, batch 1 to 3: sizes that split into bands of rows (from 28 x 28 inputs), with bands shorter than
/// the window's overlap (5x5, stride 1, on 28 rows: bands of 3 and 4 rows), odd sizes with stride 2, and
/// sizes below the band threshold, whose rows the threads split.
@Suite("Depthwise block against its parts")
struct DepthwiseBlockTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let batch, channels, height, width, mid, kernel, stride, out: Int
    var testDescription: String {
      "\(batch)x\(channels)x\(height)x\(width) ->\(mid) k\(kernel)s\(stride) ->\(out)"
    }
  }

  static let cases = [
    Case(batch: 1, channels: 5, height: 28, width: 28, mid: 32, kernel: 5, stride: 1, out: 7),
    Case(batch: 2, channels: 3, height: 57, width: 31, mid: 16, kernel: 3, stride: 2, out: 5),
    Case(batch: 1, channels: 4, height: 45, width: 29, mid: 48, kernel: 5, stride: 2, out: 9),
    Case(batch: 1, channels: 6, height: 113, width: 30, mid: 16, kernel: 3, stride: 1, out: 3),
    Case(batch: 2, channels: 7, height: 13, width: 11, mid: 24, kernel: 3, stride: 1, out: 6),
    // Below the band threshold, rows split by the threads: a multiple of 16 channels (the 8-cell kernel,
    // whose groups then start at each range's first row) on maps whose rows are not a multiple of 8 cells.
    Case(batch: 1, channels: 5, height: 14, width: 14, mid: 32, kernel: 5, stride: 1, out: 7),
    Case(batch: 1, channels: 6, height: 13, width: 13, mid: 48, kernel: 3, stride: 2, out: 5),
    Case(batch: 3, channels: 4, height: 7, width: 7, mid: 64, kernel: 5, stride: 1, out: 9),
  ]

  @Test(arguments: cases)
  func fusedMatchesApart(_ c: Case) throws {
    let model = try Model(
      serialized: BottleneckModel.make(
        batch: c.batch, channels: c.channels, height: c.height, width: c.width, mid: c.mid, kernel: c.kernel,
        stride: c.stride, out: c.out),
      origin: "bottleneck")
    var state: UInt64 = 0xB0771E
    let count = c.batch * c.channels * c.height * c.width
    let input = Tensor(
      shape: [c.batch, c.channels, c.height, c.width],
      floats: (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
      })
    let reference = try model.run(input, keep: ["y", "e", "d"], context: ExecutionContext(threads: 1))["y"]!.floats
    #expect(reference.contains { $0 != 0 } && !reference.contains { $0.isNaN })
    // The parts run NCHW (planar depthwise kernels from 400 cells up) and the block channels-last; both add
    // each output's terms in the same order, but the planar kernels' vector code may contract differently,
    // so they are compared within 1e-5 of the reference's scale, and the block with itself bit for bit.
    var first: [Float] = []
    for threads in [1, 2, 3] {
      let fused = try model.run(input, keep: ["y"], context: ExecutionContext(threads: threads))["y"]!.floats
      #expect(fused.count == reference.count)
      var worst: Float = 0
      for (f, r) in zip(fused, reference) {
        let off = abs(f - r) / (1 + abs(r))
        worst = off.isNaN ? .infinity : max(worst, off)
      }
      #expect(worst <= 1e-5, "\(threads) threads: off by \(worst)")
      if first.isEmpty { first = fused }
      let differ = fused.indices.first { fused[$0].bitPattern != first[$0].bitPattern }
      #expect(differ == nil, "\(threads) threads: element \(differ ?? -1) differs from 1 thread's")
    }
  }
}
