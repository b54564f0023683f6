/// ConstantOfShape: a tensor of a plan-time constant shape filled with the `value` attribute's single
/// element (float 0 when absent).
enum ConstantOfShape {
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let shape = try ctx.requireConstant(0, "the shape").ints
    guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.error(.invalidModel, "negative dimension in shape \(shape)") }
    try Limits.checkElementCount(shape, ctx)
    var fill = Tensor(shape: [1], floats: [0])
    if case .tensor(let t)? = ctx.node.attributes["value"] {
      guard t.count == 1 else { throw ctx.error(.invalidModel, "value must have one element, it has \(t.count)") }
      fill = t
    }
    let n = shape.reduce(1, *)
    if fill.dataType == .int64 {
      return FixedOutputs(constantOutputs: [Tensor(shape: shape, int64s: [Int64](repeating: fill.int64s[0], count: n))])
    }
    let v = fill.floats[0]
    return FixedOutputs(constantOutputs: [Tensor(shape: shape) { $0.initialize(repeating: v, count: n) }])
  }
}
