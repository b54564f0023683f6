/// ScatterND(data, indices, updates): a copy of `data` with the slices addressed by the last axis of
/// `indices` replaced (or combined, `reduction` add/mul/max/min) by `updates`. Swin's legacy export builds its
/// shifted-window masks with it; there every input is a plan-time constant, so this reference loop runs once.
struct ScatterND: CompiledOperator {
  enum Reduction: String, Sendable { case none, add, mul, max, min }

  let outputTypes: [TensorType]
  let reduction: Reduction
  /// Elements per addressed slice, and the element strides of data's leading (indexed) axes.
  let sliceSize: Int
  let strides: [Int]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (data, indices, updates) = (try ctx.type(0), try ctx.type(1), try ctx.type(2))
    guard indices.dataType == .int64, let k = indices.shape.last, k <= data.shape.count else {
      throw ctx.shapeError(
        input: 1, "must be integer indices whose last dimension is at most the rank of \(data.shape)")
    }
    let expected = Array(indices.shape.dropLast()) + Array(data.shape[k...])
    guard updates.shape == expected, updates.dataType == data.dataType else {
      throw ctx.shapeError(input: 2, "has type \(updates), expected \(data.dataType)\(expected)")
    }
    guard let reduction = Reduction(rawValue: ctx.node.string("reduction") ?? "none") else {
      throw ctx.error(.unsupportedOperator, "reduction '\(ctx.node.string("reduction") ?? "")' is not supported")
    }
    var strides = [Int](repeating: 1, count: data.shape.count)
    for i in stride(from: data.shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * data.shape[i + 1] }
    return ScatterND(
      outputTypes: [data], reduction: reduction, sliceSize: data.shape[k...].reduce(1, *),
      strides: Array(strides[..<k]))
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (data, indices, updates) = (inputs[0]!, inputs[1]!, inputs[2]!)
    let k = strides.count
    let dims = data.shape
    var offsets: [Int] = []
    let idx = indices.int64s
    for row in 0..<(k == 0 ? updates.count / Swift.max(sliceSize, 1) : idx.count / k) {
      var o = 0
      for j in 0..<k {
        var v = Int(idx[row * k + j])
        if v < 0 { v += dims[j] }
        guard v >= 0 && v < dims[j] else {
          throw EngineError(
            .invalidInput, "ScatterND index \(idx[row * k + j]) is out of range for a dimension of size \(dims[j])")
        }
        o += v * strides[j]
      }
      offsets.append(o)
    }
    if data.dataType == .int64 {
      var out = data.int64s
      let u = updates.int64s
      for (r, o) in offsets.enumerated() {
        for e in 0..<sliceSize { out[o + e] = combine(out[o + e], u[r * sliceSize + e]) }
      }
      return [Tensor(shape: dims, int64s: out)]
    }
    return [
      Tensor(shape: dims) { y in
        y.update(from: data.pointer, count: data.count)
        let u = updates.pointer
        for (r, o) in offsets.enumerated() {
          for e in 0..<sliceSize { y[o + e] = combine(y[o + e], u[r * sliceSize + e]) }
        }
      }
    ]
  }

  func combine<T: Comparable & Numeric>(_ old: T, _ new: T) -> T {
    switch reduction {
    case .none: return new
    case .add: return old + new
    case .mul: return old * new
    case .max: return Swift.max(old, new)
    case .min: return Swift.min(old, new)
    }
  }
}
