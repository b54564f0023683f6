/// Concat along one axis (inception branches; shape pieces in PyTorch exports).
struct Concat: CompiledOperator {
  let outputTypes: [TensorType]
  let axis: Int

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let types = ctx.inputTypes.compactMap { $0 }
    guard let first = types.first else { throw ctx.error(.invalidModel, "has no inputs") }
    let rank = first.shape.count
    var axis = ctx.node.int("axis", default: 1)
    if axis < 0 { axis += rank }
    guard axis >= 0 && axis < rank else { throw ctx.error(.invalidModel, "axis out of range for rank \(rank)") }
    var shape = first.shape
    shape[axis] = 0
    for (i, t) in ctx.inputTypes.enumerated() {
      guard let t else { continue }
      var other = t.shape
      guard other.count == rank, t.dataType == first.dataType else {
        throw ctx.shapeError(input: i, "has type \(t), which cannot be concatenated with \(first)")
      }
      shape[axis] += other[axis]
      other[axis] = 0
      var expected = first.shape
      expected[axis] = 0
      guard other == expected else {
        throw ctx.shapeError(input: i, "has shape \(t.shape), which differs from \(first.shape) outside axis \(axis)")
      }
    }
    return Concat(outputTypes: [TensorType(first.dataType, shape)], axis: axis)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let parts = inputs.compactMap { $0 }
    let shape = outputTypes[0].shape
    let outer = shape[..<axis].reduce(1, *)
    let innerOut = shape[axis...].reduce(1, *)
    if outputTypes[0].dataType == .int64 {
      var out: [Int64] = []
      out.reserveCapacity(shape.reduce(1, *))
      for o in 0..<outer {
        for p in parts {
          let inner = p.shape[axis...].reduce(1, *)
          out += p.int64s[(o * inner)..<((o + 1) * inner)]
        }
      }
      return [Tensor(shape: shape, int64s: out)]
    }
    return [
      Tensor(shape: shape) { y in
        var offset = 0
        for p in parts {
          let inner = p.shape[axis...].reduce(1, *)
          for o in 0..<outer { (y + o * innerOut + offset).update(from: p.pointer + o * inner, count: inner) }
          offset += inner
        }
      }
    ]
  }
}
