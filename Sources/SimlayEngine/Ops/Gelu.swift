import CSimlayKernels
import Foundation

/// Gelu (opset 20): x * Φ(x) with the exact erf form (erf to 5e-7, see approx.h), or the tanh approximation
/// when `approximate="tanh"` (as x * sigmoid(2u), exp to 1.2e-7 relative), vectorised and parallel.
struct Gelu: CompiledOperator {
  let outputTypes: [TensorType]
  let function: PointwiseFunction

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let approximate = ctx.node.string("approximate") ?? "none"
    guard approximate == "none" || approximate == "tanh" else {
      throw ctx.error(.invalidModel, "approximate must be \"none\" or \"tanh\", not \"\(approximate)\"")
    }
    return Gelu(outputTypes: [t], function: approximate == "tanh" ? .geluTanh : .gelu)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    [Elementwise.map(function, inputs[0]!, context: context)]
  }
}
