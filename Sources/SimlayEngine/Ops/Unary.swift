import CSimlayKernels
import Foundation

/// Element-wise math: Erf, Tanh, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Floor, Ceil, Round, Sin, Cos,
/// Softplus, and Not. Float tensors throughout; Neg, Abs and Not also on int64 (shape arithmetic and masks,
/// which the engine keeps as int64 0/1).
struct Unary: CompiledOperator {
  enum Function: String, Sendable {
    case erf = "Erf"
    case tanh = "Tanh"
    case exp = "Exp"
    case log = "Log"
    case sqrt = "Sqrt"
    case neg = "Neg"
    case abs = "Abs"
    case reciprocal = "Reciprocal"
    case floor = "Floor"
    case ceil = "Ceil"
    case round = "Round"
    case sin = "Sin"
    case cos = "Cos"
    case softplus = "Softplus"
    case not = "Not"
  }

  let outputTypes: [TensorType]
  let function: Function

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    guard let function = Function(rawValue: ctx.node.opType) else {
      throw ctx.error(.unsupportedOperator, "is not an element-wise function")
    }
    if t.dataType == .int64 && ![.neg, .abs, .not].contains(function) {
      throw ctx.shapeError(input: 0, "is \(t.dataType); \(ctx.node.opType) runs on float32")
    }
    return Unary(outputTypes: [t], function: function)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    if x.dataType == .int64 {
      let v: [Int64]
      switch function {
      case .neg: v = x.int64s.map { 0 &- $0 }
      case .abs: v = x.int64s.map { $0 < 0 ? 0 &- $0 : $0 }
      default: v = x.int64s.map { $0 == 0 ? 1 : 0 }
      }
      return [Tensor(shape: x.shape, int64s: v)]
    }
    let n = x.count
    return [
      Tensor(shape: x.shape) { y in
        let s = x.pointer
        switch function {
        case .erf: Elementwise.chunked(n, context: context) { start, count in simlay_erf(s + start, y + start, count) }
        case .tanh: for i in 0..<n { y[i] = tanhf(s[i]) }
        case .exp: for i in 0..<n { y[i] = expf(s[i]) }
        case .log: for i in 0..<n { y[i] = logf(s[i]) }
        case .sqrt: for i in 0..<n { y[i] = sqrtf(s[i]) }
        case .neg: for i in 0..<n { y[i] = -s[i] }
        case .abs: for i in 0..<n { y[i] = Swift.abs(s[i]) }
        case .reciprocal: for i in 0..<n { y[i] = 1 / s[i] }
        case .floor: for i in 0..<n { y[i] = floorf(s[i]) }
        case .ceil: for i in 0..<n { y[i] = ceilf(s[i]) }
        // ONNX rounds halves to even, as rintf does in the default rounding mode.
        case .round: for i in 0..<n { y[i] = rintf(s[i]) }
        case .sin: for i in 0..<n { y[i] = sinf(s[i]) }
        case .cos: for i in 0..<n { y[i] = cosf(s[i]) }
        // log1p(exp(x)) overflows for large x, where softplus(x) == x in float32.
        case .softplus: for i in 0..<n { y[i] = s[i] > 20 ? s[i] : log1pf(expf(s[i])) }
        case .not: for i in 0..<n { y[i] = s[i] == 0 ? 1 : 0 }
        }
      }
    ]
  }
}
