import CSimlayKernels
import Foundation

/// Gelu (opset 20): x * Φ(x) with the exact erf form (erf to 5e-7, see erf.c), or the tanh approximation
/// when `approximate="tanh"`.
struct Gelu: CompiledOperator {
  let outputTypes: [TensorType]
  let tanhApproximation: Bool

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let approximate = ctx.node.string("approximate") ?? "none"
    guard approximate == "none" || approximate == "tanh" else {
      throw ctx.error(.invalidModel, "approximate must be \"none\" or \"tanh\", not \"\(approximate)\"")
    }
    return Gelu(outputTypes: [t], tanhApproximation: approximate == "tanh")
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let n = x.count
    return [
      Tensor(shape: x.shape) { y in
        let s = x.pointer
        if tanhApproximation {
          let c = Float((2 / Double.pi).squareRoot())
          for i in 0..<n {
            let v = s[i]
            y[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
          }
        } else {
          simlay_gelu(s, y, n)
        }
      }
    ]
  }
}
