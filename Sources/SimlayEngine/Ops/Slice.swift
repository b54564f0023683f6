/// Slice with starts/ends/axes/steps (attributes before opset 10, constant inputs after); clamps like NumPy.
struct Slice: CompiledOperator {
  let outputTypes: [TensorType]
  /// Per input axis: first index and step; the output shape gives the counts.
  let starts: [Int]
  let steps: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let x = t.shape
    var starts: [Int]
    var ends: [Int]
    var axes: [Int]?
    var steps: [Int]?
    if ctx.opset < 10 {
      starts = ctx.node.ints("starts") ?? []
      ends = ctx.node.ints("ends") ?? []
      axes = ctx.node.ints("axes")
    } else {
      starts = try ctx.requireConstant(1, "starts").ints
      ends = try ctx.requireConstant(2, "ends").ints
      if ctx.has(3) { axes = try ctx.requireConstant(3, "axes").ints }
      if ctx.has(4) { steps = try ctx.requireConstant(4, "steps").ints }
    }
    let axisList = (axes ?? Array(0..<starts.count)).map { $0 < 0 ? $0 + x.count : $0 }
    let stepList = steps ?? [Int](repeating: 1, count: starts.count)
    guard starts.count == ends.count, axisList.count == starts.count, stepList.count == starts.count,
      axisList.allSatisfy({ $0 >= 0 && $0 < x.count }), !stepList.contains(0)
    else {
      throw ctx.error(
        .invalidModel,
        "inconsistent starts \(starts) / ends \(ends) / axes \(axes ?? []) / steps \(steps ?? []) for shape \(x)")
    }
    var first = [Int](repeating: 0, count: x.count)
    var step = [Int](repeating: 1, count: x.count)
    var shape = x
    for (i, a) in axisList.enumerated() {
      let d = x[a]
      let s = stepList[i]
      var b = starts[i] < 0 ? starts[i] + d : starts[i]
      var e = ends[i] < 0 ? ends[i] + d : ends[i]
      if s > 0 {
        b = Swift.min(Swift.max(b, 0), d)
        e = Swift.min(Swift.max(e, 0), d)
        shape[a] = Swift.max(0, (e - b + s - 1) / s)
      } else {
        b = Swift.min(Swift.max(b, -1), d - 1)
        e = Swift.min(Swift.max(e, -1), d - 1)
        shape[a] = Swift.max(0, (b - e + (-s) - 1) / (-s))
      }
      first[a] = b
      step[a] = s
    }
    return Slice(outputTypes: [TensorType(t.dataType, shape)], starts: first, steps: step)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let shape = outputTypes[0].shape
    var inStrides = [Int](repeating: 1, count: x.rank)
    for i in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * x.shape[i + 1] }
    let base = zip(starts, inStrides).map(*).reduce(0, +)
    let strides = zip(steps, inStrides).map(*)
    var sources: [Int] = []
    sources.reserveCapacity(shape.reduce(1, *))
    if shape.reduce(1, *) > 0 {
      Broadcast.forEachRow(shape.isEmpty ? [1] : shape, shape.isEmpty ? [0] : strides, shape.isEmpty ? [0] : strides) {
        _, o, _, n, s, _ in
        for i in 0..<n { sources.append(base + o + i * s) }
      }
    }
    if x.dataType == .int64 { return [Tensor(shape: shape, int64s: sources.map { x.int64s[$0] })] }
    return [Tensor(shape: shape) { y in for (k, s) in sources.enumerated() { y[k] = x.pointer[s] } }]
  }
}
