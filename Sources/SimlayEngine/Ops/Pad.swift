/// Pad in constant mode (pads may be negative: cropping). Pads come from the attribute before opset 11
/// and from a constant input after; opset 18's `axes` input is honoured.
struct Pad: CompiledOperator {
  let outputTypes: [TensorType]
  let begins: [Int]
  let value: Float

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let rank = t.shape.count
    let mode = ctx.node.string("mode") ?? "constant"
    guard mode == "constant" else {
      throw ctx.error(.unsupportedOperator, "mode '\(mode)' is not supported (only constant)")
    }
    var pads: [Int]
    var value: Float
    if ctx.opset < 11 {
      pads = ctx.node.ints("pads") ?? ctx.node.ints("paddings") ?? []
      value = ctx.node.float("value", default: 0)
    } else {
      pads = try ctx.requireConstant(1, "pads").ints
      value = ctx.has(2) ? (try ctx.requireConstant(2, "constant_value").floats.first ?? 0) : 0
    }
    var axes = Array(0..<rank)
    if ctx.has(3) {
      axes = try ctx.requireConstant(3, "axes").ints.map { $0 < 0 ? $0 + rank : $0 }
    }
    // Untrusted files: pads beyond the window limit and axes outside the rank are refused, not trapped on.
    if let bad = pads.first(where: { $0.magnitude > EngineLimits.maxWindowValue }) {
      throw ctx.error(
        .invalidModel,
        "has pad \(bad), beyond the limit of \(EngineLimits.maxWindowValue) (EngineLimits.maxWindowValue)")
    }
    guard axes.allSatisfy({ (0..<rank).contains($0) }) else {
      throw ctx.shapeError(input: 0, "of rank \(rank) does not have axes \(axes)")
    }
    guard pads.count == 2 * axes.count else {
      throw ctx.shapeError(input: 0, "of rank \(rank) does not fit pads \(pads)")
    }
    var begin = [Int](repeating: 0, count: rank)
    var end = begin
    for (i, a) in axes.enumerated() {
      begin[a] = pads[i]
      end[a] = pads[i + axes.count]
    }
    let shape = (0..<rank).map { t.shape[$0] + begin[$0] + end[$0] }
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw ctx.shapeError(input: 0, "of shape \(t.shape) is cropped below zero by pads \(pads)")
    }
    return Pad(outputTypes: [TensorType(.float32, shape)], begins: begin, value: value)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let shape = outputTypes[0].shape
    let rank = shape.count
    var inStrides = [Int](repeating: 1, count: rank)
    for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * x.shape[i + 1] }
    return [
      Tensor(shape: shape) { y in
        let total = shape.reduce(1, *)
        y.initialize(repeating: value, count: total)
        guard total > 0, rank > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<total {
          var src = 0
          var inside = true
          for d in 0..<rank {
            let i = index[d] - begins[d]
            if i < 0 || i >= x.shape[d] {
              inside = false
              break
            }
            src += i * inStrides[d]
          }
          if inside { y[o] = x.pointer[src] }
          var d = rank - 1
          while d >= 0 {
            index[d] += 1
            if index[d] < shape[d] { break }
            index[d] = 0
            d -= 1
          }
        }
      }
    ]
  }
}
