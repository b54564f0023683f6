/// Where(condition, X, Y) with three-way broadcasting; the condition is an int64 0/1 (bool) tensor.
/// A reference loop over precomputed indices: in the graphs Simlay runs it builds attention masks and
/// shape values, which are folded at plan time.
struct Where: CompiledOperator {
  let outputTypes: [TensorType]
  let indices: [[Int]]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (c, x, y) = (try ctx.type(0), try ctx.type(1), try ctx.type(2))
    guard x.dataType == y.dataType else {
      throw ctx.error(.invalidModel, "X and Y have different element types (\(x.dataType), \(y.dataType))")
    }
    guard let shape = Broadcast.shape([c.shape, x.shape, y.shape]) else {
      throw ctx.shapeError(input: 0, "has shape \(c.shape), which does not broadcast with \(x.shape) and \(y.shape)")
    }
    return Where(
      outputTypes: [TensorType(x.dataType, shape)],
      indices: [c.shape, x.shape, y.shape].map { Broadcast.indices($0, in: shape) })
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (c, x, y) = (inputs[0]!, inputs[1]!, inputs[2]!)
    let (ic, ix, iy) = (indices[0], indices[1], indices[2])
    let shape = outputTypes[0].shape
    let cond: [Bool] = c.dataType == .int64 ? ic.map { c.int64s[$0] != 0 } : ic.map { c.pointer[$0] != 0 }
    if x.dataType == .int64 {
      return [Tensor(shape: shape, int64s: cond.indices.map { cond[$0] ? x.int64s[ix[$0]] : y.int64s[iy[$0]] })]
    }
    return [
      Tensor(shape: shape) { out in
        let (px, py) = (x.pointer, y.pointer)
        for k in cond.indices { out[k] = cond[k] ? px[ix[k]] : py[iy[k]] }
      }
    ]
  }
}
