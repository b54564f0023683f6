import Foundation

/// Element-wise activations: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish.
struct Activation: CompiledOperator {
  enum Function: Sendable {
    case clip(Float, Float)
    case clipDynamic
    case leaky(Float)
    case sigmoid
    case hardSigmoid(Float, Float)
    case hardSwish
  }

  let outputTypes: [TensorType]
  let function: Function

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let node = ctx.node
    let function: Function
    switch node.opType {
    case "Relu":
      function = .clip(0, .infinity)
    case "Clip":
      if ctx.opset < 11 {
        function = .clip(node.float("min", default: -.infinity), node.float("max", default: .infinity))
      } else if (!ctx.has(1) || ctx.constant(1) != nil) && (!ctx.has(2) || ctx.constant(2) != nil) {
        function = .clip(ctx.constant(1)?.floats.first ?? -.infinity, ctx.constant(2)?.floats.first ?? .infinity)
      } else {
        function = .clipDynamic
      }
    case "LeakyRelu":
      function = .leaky(node.float("alpha", default: 0.01))
    case "Sigmoid":
      function = .sigmoid
    case "HardSigmoid":
      function = .hardSigmoid(node.float("alpha", default: 0.2), node.float("beta", default: 0.5))
    default:
      function = .hardSwish
    }
    return Activation(outputTypes: [t], function: function)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let n = x.count
    return [
      Tensor(shape: x.shape) { y in
        let src = x.pointer
        switch function {
        case .clip(let lo, let hi):
          for i in 0..<n { y[i] = Swift.min(Swift.max(src[i], lo), hi) }
        case .clipDynamic:
          let lo = inputs.count > 1 ? inputs[1]?.floats.first ?? -.infinity : -.infinity
          let hi = inputs.count > 2 ? inputs[2]?.floats.first ?? .infinity : .infinity
          for i in 0..<n { y[i] = Swift.min(Swift.max(src[i], lo), hi) }
        case .leaky(let a):
          for i in 0..<n { y[i] = src[i] >= 0 ? src[i] : a * src[i] }
        case .sigmoid:
          for i in 0..<n { y[i] = 1 / (1 + expf(-src[i])) }
        case .hardSigmoid(let a, let b):
          for i in 0..<n { y[i] = Swift.max(0, Swift.min(1, a * src[i] + b)) }
        case .hardSwish:
          for i in 0..<n { y[i] = src[i] * Swift.max(0, Swift.min(1, src[i] / 6 + 0.5)) }
        }
      }
    ]
  }
}
