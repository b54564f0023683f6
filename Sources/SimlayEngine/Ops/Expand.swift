/// Expand: broadcast the input to a shape given as a plan-time constant (NumPy rules, so the target may
/// have 1s where the input is larger).
struct Expand: CompiledOperator {
  let outputTypes: [TensorType]
  let indices: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let target = try ctx.requireConstant(1, "the target shape").ints
    guard target.allSatisfy({ $0 >= 0 }), let shape = Broadcast.shape(t.shape, target) else {
      throw ctx.shapeError(input: 0, "of shape \(t.shape) cannot be expanded to \(target)")
    }
    try Limits.checkElementCount(shape, ctx)
    return Expand(outputTypes: [TensorType(t.dataType, shape)], indices: Broadcast.indices(t.shape, in: shape))
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let shape = outputTypes[0].shape
    if x.dataType == .int64 { return [Tensor(shape: shape, int64s: indices.map { x.int64s[$0] })] }
    return [
      Tensor(shape: shape) { y in
        let p = x.pointer
        for (k, i) in indices.enumerated() { y[k] = p[i] }
      }
    ]
  }
}

/// Bounds for tensors whose size an op computes from values in the file (Expand, ConstantOfShape, Range,
/// Tile), so that a crafted model is refused instead of exhausting memory.
enum Limits {
  /// At most 2^28 elements (1 GiB of float32) in one tensor: far above any activation of the models Simlay
  /// serves (VGG's largest at 224x224 has 3.2M), far below what would exhaust a machine.
  static let maxElements = 1 << 28

  static func checkElementCount(_ shape: [Int], _ ctx: OperatorContext) throws {
    var n = 1
    for d in shape {
      let (p, overflow) = n.multipliedReportingOverflow(by: Swift.max(d, 0))
      guard !overflow, p <= maxElements else {
        throw ctx.error(.invalidModel, "output shape \(shape) has more than \(maxElements) elements")
      }
      n = p
    }
  }
}
