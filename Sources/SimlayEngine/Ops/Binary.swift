import Foundation

/// Add, Sub, Mul, Div, Pow, Max, Min and Mod with NumPy broadcasting, on float32 (activations) and int64
/// (shape arithmetic). Pow also takes an exponent of the other element type (float base, int exponent).
struct Binary: CompiledOperator {
  enum Op: Sendable { case add, sub, mul, div, pow, max, min, mod, fmod }

  let outputTypes: [TensorType]
  let op: Op
  let stridesA: [Int]
  let stridesB: [Int]
  /// Set when the operation is an Add or Mul of a whole tensor and one value per plane (see `planeLayout`).
  let plane: PlaneLayout?

  /// Which operand is whole, where the per-plane operand's values are, and the plane size.
  struct PlaneLayout {
    let fullIsA: Bool
    let batchStride: Int
    let channelStride: Int
    let size: Int
  }

  static let ops: [String: Op] = [
    "Add": .add, "Sub": .sub, "Mul": .mul, "Div": .div, "Pow": .pow, "Max": .max, "Min": .min,
  ]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    guard ctx.inputCount == 2 else {
      throw ctx.error(.unsupportedOperator, "has \(ctx.inputCount) inputs; Simlay supports \(ctx.node.opType) of two")
    }
    let (a, b) = (try ctx.type(0), try ctx.type(1))
    guard a.dataType == b.dataType || ctx.node.opType == "Pow" else {
      throw ctx.error(.invalidModel, "inputs have different element types (\(a.dataType), \(b.dataType))")
    }
    guard let shape = Broadcast.shape(a.shape, b.shape) else {
      throw ctx.shapeError(
        input: 1, "has shape \(b.shape), which does not broadcast with \(a.shape) (tensor '\(ctx.node.inputs[0])')")
    }
    let op: Op =
      ctx.node.opType == "Mod" ? (ctx.node.int("fmod", default: 0) != 0 ? .fmod : .mod) : ops[ctx.node.opType] ?? .div
    let (stridesA, stridesB) = (Broadcast.strides(a.shape, in: shape), Broadcast.strides(b.shape, in: shape))
    return Binary(
      outputTypes: [TensorType(a.dataType, shape)], op: op, stridesA: stridesA, stridesB: stridesB,
      plane: op == .add || op == .mul ? planeLayout(shape, stridesA, stridesB) : nil)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    var (a, b) = (inputs[0]!, inputs[1]!)
    let shape = outputTypes[0].shape
    if b.dataType != a.dataType {  // Pow with an exponent of the other type
      b =
        b.dataType == .int64
        ? Tensor(shape: b.shape, floats: b.floats) : Tensor(shape: b.shape, int64s: b.floats.map { Int64($0) })
    }
    if outputTypes[0].dataType == .int64 {
      var out = [Int64](repeating: 0, count: shape.reduce(1, *))
      Broadcast.forEachRow(shape, stridesA, stridesB) { o, ia, ib, n, sa, sb in
        for i in 0..<n { out[o + i] = Self.apply(op, a.int64s[ia + i * sa], b.int64s[ib + i * sb]) }
      }
      return [Tensor(shape: shape, int64s: out)]
    }
    if let plane, outputTypes[0].dataType == .float32 {
      return [plane.fullIsA ? planewise(a, b, plane, context) : planewise(b, a, plane, context)]
    }
    if a.shape == shape, b.shape == shape, [.add, .sub, .mul, .div].contains(op) {
      return [sameShape(a, b, context)]
    }
    return [
      Tensor(shape: shape) { y in
        let (pa, pb) = (UnsafePointer(a.pointer), UnsafePointer(b.pointer))
        Broadcast.forEachRow(shape, stridesA, stridesB) { o, ia, ib, n, sa, sb in
          let (x, z, d) = (pa + ia, pb + ib, y + o)
          switch (op, sa, sb) {
          case (.add, 1, 1): for i in 0..<n { d[i] = x[i] + z[i] }
          case (.add, 1, 0):
            let v = z[0]
            for i in 0..<n { d[i] = x[i] + v }
          case (.mul, 1, 1): for i in 0..<n { d[i] = x[i] * z[i] }
          case (.mul, 1, 0):
            let v = z[0]
            for i in 0..<n { d[i] = x[i] * v }
          case (.add, _, _): for i in 0..<n { d[i] = x[i * sa] + z[i * sb] }
          case (.sub, _, _): for i in 0..<n { d[i] = x[i * sa] - z[i * sb] }
          case (.mul, _, _): for i in 0..<n { d[i] = x[i * sa] * z[i * sb] }
          case (.div, _, _): for i in 0..<n { d[i] = x[i * sa] / z[i * sb] }
          case (.pow, _, 0) where z[0] == 2: for i in 0..<n { d[i] = x[i * sa] * x[i * sa] }
          case (.pow, _, _): for i in 0..<n { d[i] = powf(x[i * sa], z[i * sb]) }
          // NaN propagates, as in ONNX Runtime.
          case (.max, _, _):
            for i in 0..<n {
              let (p, q) = (x[i * sa], z[i * sb])
              d[i] = p.isNaN || q.isNaN ? .nan : Swift.max(p, q)
            }
          case (.min, _, _):
            for i in 0..<n {
              let (p, q) = (x[i * sa], z[i * sb])
              d[i] = p.isNaN || q.isNaN ? .nan : Swift.min(p, q)
            }
          case (.fmod, _, _): for i in 0..<n { d[i] = fmodf(x[i * sa], z[i * sb]) }
          case (.mod, _, _):
            // Python-style: the result takes the divisor's sign.
            for i in 0..<n {
              let (p, q) = (x[i * sa], z[i * sb])
              let r = fmodf(p, q)
              d[i] = r != 0 && (r < 0) != (q < 0) ? r + q : r
            }
          }
        }
      }
    ]
  }

  /// For an Add or Mul of a whole [N, C, spatial...] tensor and one value per plane ([N or 1, C or 1, 1...],
  /// a squeeze-and-excitation scale, a per-channel bias) with planes of at least 16 values. Fixed by the
  /// shapes, so found once at compile time.
  static func planeLayout(_ shape: [Int], _ stridesA: [Int], _ stridesB: [Int]) -> PlaneLayout? {
    guard shape.count >= 3 else { return nil }
    var contiguous = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { contiguous[d] = contiguous[d + 1] * shape[d + 1] }
    guard contiguous[1] >= 16 else { return nil }
    for (fullIsA, full, other) in [(true, stridesA, stridesB), (false, stridesB, stridesA)]
    where full == contiguous && other[2...].allSatisfy({ $0 == 0 }) {
      return PlaneLayout(fullIsA: fullIsA, batchStride: other[0], channelStride: other[1], size: contiguous[1])
    }
    return nil
  }

  /// The plane case (see planeLayout), split over the threads by plane: the generic path walks rows of the
  /// innermost dimension one closure call each (10752 calls for a 96x112x112 scale in EfficientNet-B0).
  func planewise(_ full: Tensor, _ values: Tensor, _ layout: PlaneLayout, _ context: ExecutionContext) -> Tensor {
    let shape = outputTypes[0].shape
    let size = layout.size
    let (channels, planes) = (shape[1], shape[0] * shape[1])
    return Tensor(shape: shape) { y in
      context.parallelFor(planes, minimumPerThread: max(1, (1 << 15) / size)) { range in
        for p in range {
          let (x, d) = (UnsafePointer(full.pointer) + p * size, y + p * size)
          let v = values.pointer[(p / channels) * layout.batchStride + (p % channels) * layout.channelStride]
          if op == .mul {
            for i in 0..<size { d[i] = x[i] * v }
          } else {
            for i in 0..<size { d[i] = x[i] + v }
          }
        }
      }
    }
  }

  /// Two whole tensors of one shape (a residual Add), split over the threads by blocks of 16K values: the
  /// generic path ran on one thread (EfficientNet-Lite0 batch 8: 1.06 ms of Add at 1 and at 2 threads).
  func sameShape(_ a: Tensor, _ b: Tensor, _ context: ExecutionContext) -> Tensor {
    let (count, block) = (a.count, 1 << 14)
    return Tensor(shape: outputTypes[0].shape) { y in
      let (pa, pb) = (UnsafePointer(a.pointer), UnsafePointer(b.pointer))
      context.parallelFor((count + block - 1) / block, minimumPerThread: 2) { range in
        let (lo, hi) = (range.lowerBound * block, min(count, range.upperBound * block))
        let (x, z, d, n) = (pa + lo, pb + lo, y + lo, hi - lo)
        switch op {
        case .add: for i in 0..<n { d[i] = x[i] + z[i] }
        case .sub: for i in 0..<n { d[i] = x[i] - z[i] }
        case .mul: for i in 0..<n { d[i] = x[i] * z[i] }
        default: for i in 0..<n { d[i] = x[i] / z[i] }
        }
      }
    }
  }

  /// One int64 element; wrapping arithmetic, and 0 for a division by zero (shape arithmetic never divides by
  /// zero in a valid model, and a crafted one must not crash the process).
  static func apply(_ op: Op, _ x: Int64, _ y: Int64) -> Int64 {
    switch op {
    case .add: return x &+ y
    case .sub: return x &- y
    case .mul: return x &* y
    case .div: return y == 0 || (x == .min && y == -1) ? 0 : x / y
    case .pow:
      guard y >= 0 else { return x == 1 ? 1 : 0 }
      var (r, base, e) = (Int64(1), x, y)
      while e > 0 {
        if e & 1 == 1 { r = r &* base }
        base = base &* base
        e >>= 1
      }
      return r
    case .max: return Swift.max(x, y)
    case .min: return Swift.min(x, y)
    case .fmod: return y == 0 || (x == .min && y == -1) ? 0 : x % y
    case .mod:
      guard y != 0, !(x == .min && y == -1) else { return 0 }
      let r = x % y
      return r != 0 && (r < 0) != (y < 0) ? r + y : r
    }
  }
}
