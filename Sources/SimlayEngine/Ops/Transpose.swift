/// Transpose by a permutation of the axes (default: reversed).
struct Transpose: CompiledOperator {
  let outputTypes: [TensorType]
  let perm: [Int]
  let inShape: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let perm = ctx.node.ints("perm") ?? Array((0..<t.shape.count).reversed())
    guard perm.sorted() == Array(0..<t.shape.count) else {
      throw ctx.shapeError(input: 0, "of shape \(t.shape) cannot be transposed by perm \(perm)")
    }
    return Transpose(outputTypes: [TensorType(t.dataType, perm.map { t.shape[$0] })], perm: perm, inShape: t.shape)
  }

  /// The input element offset for each output element, in output order.
  func sourceOffsets() -> [Int] {
    let outShape = outputTypes[0].shape
    var inStrides = [Int](repeating: 1, count: inShape.count)
    for i in stride(from: inShape.count - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * inShape[i + 1] }
    let strides = perm.map { inStrides[$0] }
    var offsets: [Int] = []
    offsets.reserveCapacity(outShape.reduce(1, *))
    Broadcast.forEachRow(outShape, strides, strides) { _, start, _, n, s, _ in
      for i in 0..<n { offsets.append(start + i * s) }
    }
    return offsets
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let offsets = sourceOffsets()
    if x.dataType == .int64 { return [Tensor(shape: outputTypes[0].shape, int64s: offsets.map { x.int64s[$0] })] }
    return [
      Tensor(shape: outputTypes[0].shape) { y in
        let src = x.pointer
        for (i, o) in offsets.enumerated() { y[i] = src[o] }
      }
    ]
  }
}
