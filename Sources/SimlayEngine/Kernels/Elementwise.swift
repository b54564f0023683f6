import CSimlayKernels
import Foundation

/// One element-wise function of the activation kernels (activation.c): a `SIMLAY_ACT_*` kind and its two
/// parameters. Also what a convolution's epilogue applies after its bias and clamp (see Fusion).
package struct PointwiseFunction: Sendable, Equatable {
  package let kind: Int32
  package let alpha: Float
  package let beta: Float

  package init(kind: Int32, alpha: Float = 0, beta: Float = 0) {
    self.kind = kind
    self.alpha = alpha
    self.beta = beta
  }

  package static let identity = PointwiseFunction(kind: SIMLAY_ACT_IDENTITY)
  package static let sigmoid = PointwiseFunction(kind: SIMLAY_ACT_SIGMOID)
  package static let silu = PointwiseFunction(kind: SIMLAY_ACT_SILU)
  package static let hardSwish = PointwiseFunction(kind: SIMLAY_ACT_HARDSWISH)
  package static let gelu = PointwiseFunction(kind: SIMLAY_ACT_GELU)
  package static let geluTanh = PointwiseFunction(kind: SIMLAY_ACT_GELU_TANH)
  package static func clip(_ lo: Float, _ hi: Float) -> PointwiseFunction {
    PointwiseFunction(kind: SIMLAY_ACT_CLIP, alpha: lo, beta: hi)
  }
  package static func leaky(_ alpha: Float) -> PointwiseFunction {
    PointwiseFunction(kind: SIMLAY_ACT_LEAKY, alpha: alpha)
  }
  package static func hardSigmoid(_ alpha: Float, _ beta: Float) -> PointwiseFunction {
    PointwiseFunction(kind: SIMLAY_ACT_HARDSIGMOID, alpha: alpha, beta: beta)
  }

  /// The plain reference: libm's exp, erf and tanh in float, one element at a time.
  package func reference(_ v: Float) -> Float {
    switch kind {
    case SIMLAY_ACT_CLIP: return v < alpha ? alpha : (v > beta ? beta : v)
    case SIMLAY_ACT_LEAKY: return v >= 0 ? v : alpha * v
    case SIMLAY_ACT_SIGMOID: return 1 / (1 + expf(-v))
    case SIMLAY_ACT_SILU: return v / (1 + expf(-v))
    case SIMLAY_ACT_HARDSIGMOID: return Swift.max(0, Swift.min(1, alpha * v + beta))
    case SIMLAY_ACT_HARDSWISH: return v * Swift.max(0, Swift.min(1, v / 6 + 0.5))
    case SIMLAY_ACT_GELU: return 0.5 * v * (1 + erff(v / Float(2).squareRoot()))
    case SIMLAY_ACT_GELU_TANH:
      return 0.5 * v * (1 + tanhf(Float((2 / Double.pi).squareRoot()) * (v + 0.044715 * v * v * v)))
    default: return v
    }
  }
}

/// Runs the vectorised element-wise kernels over the engine's pool.
package enum Elementwise {
  /// Elements per parallel chunk. Below two chunks a loop stays on the calling thread: at ~0.5 ns per
  /// element a chunk of 16K is ~8 us, about ten times a pool hand-off.
  static let grain = 1 << 14

  /// y = f(x) over `count` floats; `y` may be `x` (in place).
  package static func apply(
    _ f: PointwiseFunction, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
    context: ExecutionContext? = nil
  ) {
    chunked(count, context: context) { start, n in simlay_activation(x + start, y + start, n, f.kind, f.alpha, f.beta) }
  }

  /// Calls `body(start, length)` over pieces covering 0..<count, in parallel when that pays.
  static func chunked(_ count: Int, context: ExecutionContext?, _ body: (Int, Int) -> Void) {
    guard let context, context.threads > 1, count >= 2 * grain else {
      body(0, count)
      return
    }
    context.parallelFor((count + grain - 1) / grain) { range in
      let start = range.lowerBound * grain
      body(start, Swift.min(count, range.upperBound * grain) - start)
    }
  }

  /// A tensor of f(x), computed in parallel.
  static func map(_ f: PointwiseFunction, _ x: Tensor, context: ExecutionContext) -> Tensor {
    Tensor(shape: x.shape) { y in apply(f, x.pointer, y, count: x.count, context: context) }
  }
}
