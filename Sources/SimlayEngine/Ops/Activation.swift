import CSimlayKernels
import Foundation

/// Element-wise activations: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, and SiLU (the engine's
/// own `_SimlaySiLU`, which Fusion makes from `Mul(x, Sigmoid(x))`). Vectorised (activation.c) and split
/// over the pool in chunks.
struct Activation: CompiledOperator {
  /// The op type of a fused `Mul(x, Sigmoid(x))`; the leading underscore keeps it out of model files.
  static let siluOp = "_SimlaySiLU"

  let outputTypes: [TensorType]
  /// The function; nil for a Clip whose bounds are only known at run time.
  let function: PointwiseFunction?

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let node = ctx.node
    let function: PointwiseFunction?
    switch node.opType {
    case "Relu":
      function = .clip(0, .infinity)
    case "Clip":
      if ctx.opset < 11 {
        function = .clip(node.float("min", default: -.infinity), node.float("max", default: .infinity))
      } else if (!ctx.has(1) || ctx.constant(1) != nil) && (!ctx.has(2) || ctx.constant(2) != nil) {
        function = .clip(ctx.constant(1)?.floats.first ?? -.infinity, ctx.constant(2)?.floats.first ?? .infinity)
      } else {
        function = nil
      }
    case "LeakyRelu":
      function = .leaky(node.float("alpha", default: 0.01))
    case "Sigmoid":
      function = .sigmoid
    case "HardSigmoid":
      function = .hardSigmoid(node.float("alpha", default: 0.2), node.float("beta", default: 0.5))
    case siluOp:
      function = .silu
    default:
      function = .hardSwish
    }
    return Activation(outputTypes: [t], function: function)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    if let function { return [Elementwise.map(function, x, context: context)] }
    let lo = inputs.count > 1 ? inputs[1]?.floats.first ?? -.infinity : -.infinity
    let hi = inputs.count > 2 ? inputs[2]?.floats.first ?? .infinity : .infinity
    return [Elementwise.map(.clip(lo, hi), x, context: context)]
  }
}
