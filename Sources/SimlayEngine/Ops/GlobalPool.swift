/// GlobalAveragePool and GlobalMaxPool: reduce every spatial dimension to 1.
struct GlobalPool: CompiledOperator {
  let outputTypes: [TensorType]
  let isMax: Bool

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    guard x.count >= 3 else { throw ctx.shapeError(input: 0, "has shape \(x); expected [N, C, spatial...]") }
    return GlobalPool(
      outputTypes: [TensorType(.float32, [x[0], x[1]] + Array(repeating: 1, count: x.count - 2))],
      isMax: ctx.node.opType == "GlobalMaxPool")
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let planes = x.shape[0] * x.shape[1]
    let size = x.shape[2...].reduce(1, *)
    return [
      Tensor(shape: outputTypes[0].shape) { y in
        for p in 0..<planes {
          let src = x.pointer + p * size
          if isMax {
            var m = -Float.infinity
            for i in 0..<size { m = Swift.max(m, src[i]) }
            y[p] = m
          } else {
            // Double accumulation: large planes summed in float drift by more than the test tolerance.
            var s: Double = 0
            for i in 0..<size { s += Double(src[i]) }
            y[p] = Float(s / Double(size))
          }
        }
      }
    ]
  }
}
