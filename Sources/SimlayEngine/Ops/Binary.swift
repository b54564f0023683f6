/// Add, Sub, Mul, Div with NumPy broadcasting, on float32 (activations) and int64 (shape arithmetic).
struct Binary: CompiledOperator {
  enum Op: Sendable { case add, sub, mul, div }

  let outputTypes: [TensorType]
  let op: Op
  let stridesA: [Int]
  let stridesB: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (a, b) = (try ctx.type(0), try ctx.type(1))
    guard a.dataType == b.dataType else {
      throw ctx.error(.invalidModel, "inputs have different element types (\(a.dataType), \(b.dataType))")
    }
    guard let shape = Broadcast.shape(a.shape, b.shape) else {
      throw ctx.shapeError(input: 1, "has shape \(b.shape), which does not broadcast with \(a.shape) (tensor '\(ctx.node.inputs[0])')")
    }
    let op: Op = ["Add": .add, "Sub": .sub, "Mul": .mul][ctx.node.opType] ?? .div
    return Binary(outputTypes: [TensorType(a.dataType, shape)], op: op,
                  stridesA: Broadcast.strides(a.shape, in: shape), stridesB: Broadcast.strides(b.shape, in: shape))
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (a, b) = (inputs[0]!, inputs[1]!)
    let shape = outputTypes[0].shape
    if outputTypes[0].dataType == .int64 {
      var out = [Int64](repeating: 0, count: shape.reduce(1, *))
      Broadcast.forEachRow(shape, stridesA, stridesB) { o, ia, ib, n, sa, sb in
        for i in 0..<n {
          let (x, y) = (a.int64s[ia + i * sa], b.int64s[ib + i * sb])
          switch op {
          case .add: out[o + i] = x &+ y
          case .sub: out[o + i] = x &- y
          case .mul: out[o + i] = x &* y
          case .div: out[o + i] = y == 0 ? 0 : x / y
          }
        }
      }
      return [Tensor(shape: shape, int64s: out)]
    }
    return [Tensor(shape: shape) { y in
      let (pa, pb) = (UnsafePointer(a.pointer), UnsafePointer(b.pointer))
      Broadcast.forEachRow(shape, stridesA, stridesB) { o, ia, ib, n, sa, sb in
        let (x, z, d) = (pa + ia, pb + ib, y + o)
        switch (op, sa, sb) {
        case (.add, 1, 1): for i in 0..<n { d[i] = x[i] + z[i] }
        case (.add, 1, 0): let v = z[0]; for i in 0..<n { d[i] = x[i] + v }
        case (.mul, 1, 1): for i in 0..<n { d[i] = x[i] * z[i] }
        case (.mul, 1, 0): let v = z[0]; for i in 0..<n { d[i] = x[i] * v }
        case (.add, _, _): for i in 0..<n { d[i] = x[i * sa] + z[i * sb] }
        case (.sub, _, _): for i in 0..<n { d[i] = x[i * sa] - z[i * sb] }
        case (.mul, _, _): for i in 0..<n { d[i] = x[i * sa] * z[i * sb] }
        case (.div, _, _): for i in 0..<n { d[i] = x[i * sa] / z[i * sb] }
        }
      }
    }]
  }
}
