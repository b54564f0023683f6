import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// A gate fused into the 1x1 convolution that reads it (`Conv(Mul(x, s))`, see ScaledConv) gives the same
/// bits as the Mul and the Conv run apart, at odd sizes, batch 1 and 3, 1 and 2 threads, for a
/// squeeze-and-excitation gate, a constant one given first, and a per-pixel one the fused node must not
/// treat as per channel; the reference is the plan that keeps the Mul's output, which cannot fuse.
@Suite("Gate fused into a 1x1 convolution")
struct ScaleFusionTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let gate: GatedModel.Gate
    let batch, channels, side, out: Int
    var testDescription: String { "\(gate) \(batch)x\(channels)x\(side)x\(side) -> \(out)" }
  }

  static let cases: [Case] = GatedModel.Gate.allCases.flatMap { gate in
    [
      Case(gate: gate, batch: 1, channels: 13, side: 11, out: 19),
      Case(gate: gate, batch: 3, channels: 37, side: 7, out: 40),
      Case(gate: gate, batch: 2, channels: 5, side: 31, out: 3),
    ]
  }

  @Test(arguments: cases)
  func fusedEqualsUnfused(_ c: Case) throws {
    let model = try Model(
      serialized: GatedModel.make(
        batch: c.batch, channels: c.channels, height: c.side, width: c.side, out: c.out, gate: c.gate),
      origin: "gated")
    var state: UInt64 = 0x5EED
    let input = Tensor(
      shape: [c.batch, c.channels, c.side, c.side],
      floats: (0..<(c.batch * c.channels * c.side * c.side)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
      })
    for threads in [1, 2] {
      let context = ExecutionContext(threads: threads)
      let fused = try model.run(input, keep: ["y"], context: context)["y"]!
      let apart = try model.run(input, keep: ["y", "gated"], context: context)
      let reference = apart["y"]!
      #expect(fused.shape == reference.shape)
      let (f, r) = (fused.floats, reference.floats)
      let differ = f.indices.first { f[$0].bitPattern != r[$0].bitPattern }
      #expect(
        differ == nil,
        "\(threads) threads: element \(differ ?? -1) is \(differ.map { f[$0] } ?? 0), apart \(differ.map { r[$0] } ?? 0)"
      )
      // The reference itself against a plain double-precision sum over the gated values, so that both cannot
      // be wrong alike: y = Relu(b + W gated), within 1e-5 of the sum of the terms' magnitudes (float
      // accumulation in another order).
      let gated = apart["gated"]!.floats
      let plane = c.side * c.side
      #expect(gated.count == c.batch * c.channels * plane)
      let (w, b) = GatedModel.convolution(channels: c.channels, out: c.out)
      var worst = 0.0
      for n in 0..<c.batch {
        for o in 0..<c.out {
          for p in 0..<plane {
            var (sum, magnitude) = (Double(b[o]), abs(Double(b[o])))
            for ch in 0..<c.channels {
              let term = Double(w[o * c.channels + ch]) * Double(gated[(n * c.channels + ch) * plane + p])
              (sum, magnitude) = (sum + term, magnitude + abs(term))
            }
            let got = Double(r[(n * c.out + o) * plane + p])
            let off = abs(got - max(sum, 0)) / (1 + magnitude)
            worst = off.isNaN ? .infinity : max(worst, off)  // max() would skip a NaN
          }
        }
      }
      #expect(worst <= 1e-5, "\(threads) threads: the unfused reference is off by \(worst) of its terms' size")
      #expect(r.contains { $0 > 0 }, "the output is all zeros (Relu of nothing)")
    }
  }
}
