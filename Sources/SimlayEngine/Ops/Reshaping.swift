/// Ops that only change a tensor's shape and share its data: Flatten, Reshape, Squeeze, Unsqueeze, and
/// Dropout and Identity (pass-through at inference).
struct Reshaping: CompiledOperator {
  let outputTypes: [TensorType]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let x = t.shape
    let node = ctx.node
    let shape: [Int]
    switch node.opType {
    case "Flatten":
      var axis = node.int("axis", default: 1)
      if axis < 0 { axis += x.count }
      guard axis >= 0 && axis <= x.count else { throw ctx.error(.invalidModel, "axis out of range for shape \(x)") }
      shape = [x[..<axis].reduce(1, *), x[axis...].reduce(1, *)]
    case "Reshape":
      let target = try ctx.requireConstant(1, "the target shape").ints
      let allowZero = node.int("allowzero", default: 0) != 0
      var dims = target.enumerated().map { i, d in d == 0 && !allowZero ? (i < x.count ? x[i] : 0) : d }
      if let unknown = dims.firstIndex(of: -1) {
        // Checked: target dims come from the file and may overflow a plain product.
        let known = EngineLimits.elementCount(dims.enumerated().filter { $0.offset != unknown }.map(\.element)) ?? 0
        guard known > 0, t.count % known == 0 else {
          throw ctx.shapeError(input: 0, "of shape \(x) cannot be reshaped to \(target)")
        }
        dims[unknown] = t.count / known
      }
      guard EngineLimits.elementCount(dims) == t.count else {
        throw ctx.shapeError(input: 0, "of shape \(x) (\(t.count) elements) cannot be reshaped to \(target)")
      }
      shape = dims
    case "Squeeze", "Unsqueeze":
      var axes: [Int]? = node.ints("axes")
      if ctx.opset >= 13 && ctx.has(1) { axes = try ctx.requireConstant(1, "axes").ints }
      let outRank = node.opType == "Squeeze" ? x.count : x.count + (axes?.count ?? 0)
      let normalized = Set((axes ?? []).map { $0 < 0 ? $0 + outRank : $0 })
      guard normalized.allSatisfy({ $0 >= 0 && $0 < outRank }), normalized.count == (axes ?? []).count else {
        throw ctx.error(.invalidModel, "axes \(axes ?? []) out of range or repeated for shape \(x)")
      }
      if node.opType == "Squeeze" {
        if axes == nil {
          shape = x.filter { $0 != 1 }
        } else {
          guard normalized.allSatisfy({ x[$0] == 1 }) else {
            throw ctx.shapeError(input: 0, "of shape \(x) cannot be squeezed on axes \(axes!) (not size 1)")
          }
          shape = x.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        }
      } else {
        var rest = x.makeIterator()
        shape = (0..<outRank).map { normalized.contains($0) ? 1 : rest.next()! }
      }
    default:  // Dropout, Identity
      if node.opType == "Dropout" && node.outputs.count > 1 && !node.outputs[1].isEmpty {
        throw ctx.error(.unsupportedOperator, "the mask output of Dropout is not supported")
      }
      if node.opType == "Dropout" && ctx.has(2) && ctx.constant(2)?.ints.first ?? 1 != 0 {
        throw ctx.error(.unsupportedOperator, "training mode (random dropout) is not supported; Simlay runs inference")
      }
      shape = x
    }
    return Reshaping(outputTypes: [TensorType(t.dataType, shape)])
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    [inputs[0]!.reshaped(outputTypes[0].shape)]
  }
}
