import Foundation

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare,
/// ReduceLogSumExp: over `axes` (an attribute before opset 18, ReduceSum's before 13; a constant input
/// after), with `keepdims` and `noop_with_empty_axes`. Float and int64. Accumulates in Double, so the
/// result does not depend on the reduction order (global average pooling over large maps included).
struct Reduce: CompiledOperator {
  enum Kind: String, Sendable {
    case mean = "ReduceMean"
    case sum = "ReduceSum"
    case max = "ReduceMax"
    case min = "ReduceMin"
    case prod = "ReduceProd"
    case l1 = "ReduceL1"
    case l2 = "ReduceL2"
    case sumSquare = "ReduceSumSquare"
    case logSumExp = "ReduceLogSumExp"
  }

  let outputTypes: [TensorType]
  let kind: Kind
  /// The input viewed as [outer, reduced, inner] after moving the reduced axes together: per output
  /// element, the base offset; per reduced element, its offset from the base.
  let outputBases: [Int]
  let reducedOffsets: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    guard let kind = Kind(rawValue: ctx.node.opType) else {
      throw ctx.error(.unsupportedOperator, "is not a reduction")
    }
    let x = t.shape
    let axesFromInput = ctx.opset >= 18 || (kind == .sum && ctx.opset >= 13)
    var axes: [Int]?
    if axesFromInput {
      if ctx.has(1) { axes = try ctx.requireConstant(1, "axes").ints }
    } else {
      axes = ctx.node.ints("axes")
    }
    if axes?.isEmpty == true { axes = nil }
    if axes == nil && axesFromInput && ctx.node.int("noop_with_empty_axes", default: 0) != 0 {
      return Reshaping(outputTypes: [t])  // identity
    }
    let normalized = (axes ?? Array(0..<x.count)).map { $0 < 0 ? $0 + x.count : $0 }
    guard normalized.allSatisfy({ $0 >= 0 && $0 < Swift.max(x.count, 1) }) else {
      throw ctx.error(.invalidModel, "axes \(axes ?? []) out of range for shape \(x)")
    }
    let reduced = Set(normalized)
    let keep = ctx.node.int("keepdims", default: 1) != 0
    var strides = [Int](repeating: 1, count: x.count)
    for i in stride(from: x.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * x[i + 1] }
    let keptAxes = (0..<x.count).filter { !reduced.contains($0) }
    let redAxes = (0..<x.count).filter { reduced.contains($0) }
    func offsets(_ axes: [Int]) -> [Int] { Self.walk(axes.map { x[$0] }, axes.map { strides[$0] }) }
    let shape = keep ? x.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element } : keptAxes.map { x[$0] }
    return Reduce(
      outputTypes: [TensorType(t.dataType, shape)], kind: kind, outputBases: offsets(keptAxes),
      reducedOffsets: offsets(redAxes))
  }

  /// Offsets of every element of an index space with the given sizes and strides, row-major.
  static func walk(_ shape: [Int], _ strides: [Int]) -> [Int] {
    var out = [0]
    for (d, s) in zip(shape, strides) {
      var next: [Int] = []
      next.reserveCapacity(out.count * d)
      for o in out { for i in 0..<d { next.append(o + i * s) } }
      out = next
    }
    return out
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let shape = outputTypes[0].shape
    if x.dataType == .int64 {
      let v = x.int64s
      let out: [Int64] = outputBases.map { base in
        let items = reducedOffsets.map { v[base + $0] }
        switch kind {
        case .max: return items.max() ?? .min
        case .min: return items.min() ?? .max
        case .prod: return items.reduce(1, &*)
        case .mean: return items.isEmpty ? 0 : items.reduce(0, &+) / Int64(items.count)
        case .l1: return items.reduce(0) { $0 &+ Swift.abs($1) }
        case .sumSquare: return items.reduce(0) { $0 &+ $1 &* $1 }
        default: return items.reduce(0, &+)
        }
      }
      return [Tensor(shape: shape, int64s: out)]
    }
    let n = Double(reducedOffsets.count)
    return [
      Tensor(shape: shape) { y in
        let p = x.pointer
        for (k, base) in outputBases.enumerated() {
          let src = p + base
          var acc: Double
          switch kind {
          case .max:
            acc = -.infinity
            for o in reducedOffsets { acc = Swift.max(acc, Double(src[o])) }
          case .min:
            acc = .infinity
            for o in reducedOffsets { acc = Swift.min(acc, Double(src[o])) }
          case .prod:
            acc = 1
            for o in reducedOffsets { acc *= Double(src[o]) }
          case .l1:
            acc = 0
            for o in reducedOffsets { acc += Swift.abs(Double(src[o])) }
          case .l2:
            acc = 0
            for o in reducedOffsets { acc += Double(src[o]) * Double(src[o]) }
            acc = acc.squareRoot()
          case .sumSquare:
            acc = 0
            for o in reducedOffsets { acc += Double(src[o]) * Double(src[o]) }
          case .logSumExp:
            var m = -Double.infinity
            for o in reducedOffsets { m = Swift.max(m, Double(src[o])) }
            acc = 0
            for o in reducedOffsets { acc += Foundation.exp(Double(src[o]) - m) }
            acc = m.isFinite ? m + Foundation.log(acc) : m
          case .sum, .mean:
            acc = 0
            for o in reducedOffsets { acc += Double(src[o]) }
            if kind == .mean { acc /= n }
          }
          y[k] = Float(acc)
        }
      }
    ]
  }
}
