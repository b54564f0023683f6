import Foundation

/// Range(start, limit, delta): plan-time constants (the output's length depends on them), float or int64.
enum RangeOp {
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (s, l, d) = (
      try ctx.requireConstant(0, "start"), try ctx.requireConstant(1, "limit"), try ctx.requireConstant(2, "delta")
    )
    guard s.count == 1, l.count == 1, d.count == 1 else {
      throw ctx.error(.invalidModel, "start, limit and delta must be scalars")
    }
    if s.dataType == .int64 {
      let (a, b, c) = (s.int64s[0], l.int64s[0], d.int64s[0])
      guard c != 0 else { throw ctx.error(.invalidModel, "delta is 0") }
      let span = Double(b) - Double(a)
      let n = Swift.max(0, Int((span / Double(c)).rounded(.up)))
      try Limits.checkElementCount([n], ctx)
      return FixedOutputs(constantOutputs: [Tensor(shape: [n], int64s: (0..<n).map { a &+ Int64($0) &* c })])
    }
    let (a, b, c) = (s.floats[0], l.floats[0], d.floats[0])
    guard c != 0, a.isFinite, b.isFinite, c.isFinite else {
      throw ctx.error(.invalidModel, "start, limit and delta must be finite, delta non-zero")
    }
    let n = Swift.max(0, Int(ceil(Double(b - a) / Double(c))))
    try Limits.checkElementCount([n], ctx)
    return FixedOutputs(constantOutputs: [Tensor(shape: [n], floats: (0..<n).map { a + Float($0) * c })])
  }
}
