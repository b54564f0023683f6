/// Split along an axis into pieces given by `split` (an attribute before opset 13, a constant input after),
/// or into equal pieces (`num_outputs` from opset 18, else the node's output count; the last may be smaller).
struct Split: CompiledOperator {
  let outputTypes: [TensorType]
  let axis: Int
  let sizes: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let x = t.shape
    var axis = ctx.node.int("axis", default: 0)
    if axis < 0 { axis += x.count }
    guard axis >= 0 && axis < x.count else { throw ctx.error(.invalidModel, "axis out of range for shape \(x)") }
    let d = x[axis]
    var sizes: [Int]
    if ctx.opset >= 13 && ctx.has(1) {
      sizes = try ctx.requireConstant(1, "split").ints
    } else if ctx.opset < 13, let s = ctx.node.ints("split") {
      sizes = s
    } else {
      let parts = ctx.node.int("num_outputs") ?? ctx.node.outputs.count
      guard parts > 0 else { throw ctx.error(.invalidModel, "has no outputs to split into") }
      let chunk = (d + parts - 1) / parts
      sizes = (0..<parts).map { Swift.max(0, Swift.min(chunk, d - $0 * chunk)) }
    }
    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == d, sizes.count >= ctx.node.outputs.count else {
      throw ctx.error(
        .invalidModel, "split sizes \(sizes) do not add up to dimension \(axis) of \(x), or are fewer than the outputs")
    }
    let types = sizes.map { s -> TensorType in
      var shape = x
      shape[axis] = s
      return TensorType(t.dataType, shape)
    }
    return Split(outputTypes: types, axis: axis, sizes: sizes)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let outer = x.shape[..<axis].reduce(1, *)
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    let full = x.shape[axis] * inner
    var offset = 0
    return zip(sizes, outputTypes).map { size, type in
      defer { offset += size * inner }
      let n = size * inner
      if x.dataType == .int64 {
        var v: [Int64] = []
        for o in 0..<outer { v += x.int64s[(o * full + offset)..<(o * full + offset + n)] }
        return Tensor(shape: type.shape, int64s: v)
      }
      return Tensor(shape: type.shape) { y in
        for o in 0..<outer { (y + o * n).update(from: x.pointer + o * full + offset, count: n) }
      }
    }
  }
}
