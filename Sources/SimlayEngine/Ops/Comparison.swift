/// Equal, Less, LessOrEqual, Greater, GreaterOrEqual, And, Or, Xor with broadcasting. Booleans are int64
/// 0/1 tensors in the engine (they only feed Where, Not and Cast in the graphs it runs).
struct Comparison: CompiledOperator {
  enum Op: String, Sendable {
    case equal = "Equal"
    case less = "Less"
    case lessOrEqual = "LessOrEqual"
    case greater = "Greater"
    case greaterOrEqual = "GreaterOrEqual"
    case and = "And"
    case or = "Or"
    case xor = "Xor"
  }

  let outputTypes: [TensorType]
  let op: Op
  let indicesA: [Int]
  let indicesB: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (a, b) = (try ctx.type(0), try ctx.type(1))
    guard let op = Op(rawValue: ctx.node.opType) else { throw ctx.error(.unsupportedOperator, "is not a comparison") }
    guard a.dataType == b.dataType else {
      throw ctx.error(.invalidModel, "inputs have different element types (\(a.dataType), \(b.dataType))")
    }
    guard let shape = Broadcast.shape(a.shape, b.shape) else {
      throw ctx.shapeError(input: 1, "has shape \(b.shape), which does not broadcast with \(a.shape)")
    }
    return Comparison(
      outputTypes: [TensorType(.int64, shape)], op: op,
      indicesA: Broadcast.indices(a.shape, in: shape), indicesB: Broadcast.indices(b.shape, in: shape))
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (a, b) = (inputs[0]!, inputs[1]!)
    let out: [Int64]
    if a.dataType == .int64 {
      let (x, y) = (a.int64s, b.int64s)
      out = zip(indicesA, indicesB).map { compare(x[$0.0], y[$0.1]) ? 1 : 0 }
    } else {
      let (x, y) = (a.pointer, b.pointer)
      out = zip(indicesA, indicesB).map { compare(x[$0.0], y[$0.1]) ? 1 : 0 }
    }
    return [Tensor(shape: outputTypes[0].shape, int64s: out)]
  }

  func compare<T: Comparable & Numeric>(_ x: T, _ y: T) -> Bool {
    switch op {
    case .equal: return x == y
    case .less: return x < y
    case .lessOrEqual: return x <= y
    case .greater: return x > y
    case .greaterOrEqual: return x >= y
    case .and: return x != 0 && y != 0
    case .or: return x != 0 || y != 0
    case .xor: return (x != 0) != (y != 0)
    }
  }
}
