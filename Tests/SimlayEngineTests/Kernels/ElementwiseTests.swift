import CSimlayKernels
import Foundation
import SimlayEngine
import Testing

/// The vectorised activations (activation.c) against their plain references (libm in float, one element
/// at a time, PointwiseFunction.reference), on odd lengths that exercise the vector loops' tails, in and
/// out of place, as a convolution epilogue, and split over 1-3 threads.
@Suite("Element-wise activation kernels")
struct ElementwiseTests {
  static let functions: [PointwiseFunction] = [
    .sigmoid, .silu, .hardSwish, .hardSigmoid(0.2, 0.5), .hardSigmoid(1.0 / 6, 0.5), .gelu, .geluTanh,
    .leaky(0.1), .clip(0, 6), .clip(-1, .infinity), .identity,
  ]

  /// Tolerance on |fast - reference| / max(1, |reference|): exp to 1.2e-7 relative plus the reference's own
  /// rounding (libm's expf, tanhf: 1 ulp each) gives 4e-7 for the exp-based functions; erf's 5e-7 times
  /// |x| / 2 gives 2e-6 for Gelu; the piecewise-linear ones agree to the last bit up to x / 6 vs x * (1/6).
  static func tolerance(_ f: PointwiseFunction) -> Float {
    switch f.kind {
    case SIMLAY_ACT_GELU: return 2e-6
    case SIMLAY_ACT_SIGMOID, SIMLAY_ACT_SILU, SIMLAY_ACT_GELU_TANH: return 4e-7
    default: return 2e-7
    }
  }

  /// Values over [-12, 12] (where every function changes), plus the ends of float's range.
  static func inputs(_ n: Int) -> [Float] {
    var x = (0..<n).map { i in -12 + 24 * Float(i) / Float(max(n - 1, 1)) }
    if n > 4 {
      x[0] = -100
      x[n - 1] = 100
      x[1] = -1e30
      x[n - 2] = 3e38
    }
    return x
  }

  /// Worst relative error; a NaN (a slot left unwritten: outputs start as NaN) counts as infinite, since
  /// max() of floats would skip it.
  static func worstError(_ f: PointwiseFunction, _ x: [Float], _ y: [Float]) -> Float {
    zip(x, y).map { v, got in
      let want = f.reference(v)
      let e = abs(got - want) / max(1, abs(want))
      return e.isNaN ? .infinity : e
    }.max() ?? 0
  }

  @Test(arguments: [1, 13, 124, 1001, 100_003])
  func againstReference(_ n: Int) {
    let x = Self.inputs(n)
    for f in Self.functions {
      var y = [Float](repeating: .nan, count: n)
      Elementwise.apply(f, x, &y, count: n)
      let worst = Self.worstError(f, x, y)
      #expect(worst <= Self.tolerance(f), "kind \(f.kind): max error \(worst) at n = \(n)")
      var inPlace = x
      inPlace.withUnsafeMutableBufferPointer { Elementwise.apply(f, $0.baseAddress!, $0.baseAddress!, count: n) }
      #expect(inPlace == y, "kind \(f.kind): in place differs from out of place")
    }
  }

  /// Split over the pool, the result is bit-identical to one thread (each element is computed alone).
  @Test(arguments: [2, 3])
  func threads(_ threads: Int) {
    let n = 300_007
    let x = Self.inputs(n)
    for f in [PointwiseFunction.silu, .gelu, .hardSwish] {
      var one = [Float](repeating: .nan, count: n)
      var many = one
      Elementwise.apply(f, x, &one, count: n, context: ExecutionContext(threads: 1))
      Elementwise.apply(f, x, &many, count: n, context: ExecutionContext(threads: threads))
      #expect(one == many)
    }
  }

  /// The epilogue form: y = f(clamp(y + bias[c], lo, hi)) per channel plane.
  @Test(arguments: [(13, 124), (3, 1), (17, 49)])
  func epilogue(_ channels: Int, _ size: Int) {
    let x = Self.inputs(channels * size).map { $0 / 2 }
    let bias = (0..<channels).map { Float($0) / 4 - 1 }
    for f in Self.functions {
      for (lo, hi) in [(-Float.infinity, Float.infinity), (0, 6)] {
        var y = x
        simlay_bias_activation(&y, Int32(channels), size, bias, lo, hi, f.kind, f.alpha, f.beta)
        let ref = x.indices.map { i in f.reference(min(max(x[i] + bias[i / size], lo), hi)) }
        let worst = zip(y, ref).map { abs($0 - $1) / max(1, abs($1)) }.map { $0.isNaN ? .infinity : $0 }.max() ?? 0
        #expect(worst <= Self.tolerance(f), "kind \(f.kind) clamp \(lo)...\(hi): max error \(worst)")
      }
    }
  }

  /// The exp approximation itself against double exp over its whole clamped range.
  @Test func expApproximation() {
    let n = 2_000_000
    var worst = 0.0
    for i in 0..<n {
      let x = Float(-87 + 175 * Double(i) / Double(n - 1))
      let want = Foundation.exp(Double(x))
      worst = max(worst, abs(Double(simlay_exp(x)) - want) / want)
    }
    #expect(worst < 1.2e-7, "max relative error of exp: \(worst)")
  }
}
