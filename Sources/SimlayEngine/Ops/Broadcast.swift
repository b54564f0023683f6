/// NumPy-style broadcasting, shared by the binary element-wise ops and Gemm's C input.
enum Broadcast {
  /// The broadcast shape of `a` and `b`, or nil when they are incompatible.
  static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    var out: [Int] = []
    for (x, y) in zip(pa, pb) {
      if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
    }
    return out
  }

  /// Element strides of a tensor of `shape` read as `outShape` (0 along broadcast dimensions).
  static func strides(_ shape: [Int], in outShape: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: outShape.count - shape.count) + shape
    var strides = [Int](repeating: 0, count: outShape.count)
    var s = 1
    for i in stride(from: outShape.count - 1, through: 0, by: -1) {
      strides[i] = padded[i] == 1 ? 0 : s
      s *= padded[i]
    }
    return strides
  }

  /// Calls `body(outOffset, aOffset, bOffset, innerCount, aInnerStride, bInnerStride)` for each run of the
  /// innermost dimension, so callers write tight inner loops.
  static func forEachRow(
    _ outShape: [Int], _ sa: [Int], _ sb: [Int],
    _ body: (Int, Int, Int, Int, Int, Int) -> Void
  ) {
    guard let inner = outShape.last else {
      body(0, 0, 0, 1, 0, 0)
      return
    }
    let outer = outShape.dropLast().reduce(1, *)
    let rank = outShape.count
    var index = [Int](repeating: 0, count: rank)
    var (oa, ob) = (0, 0)
    for row in 0..<outer {
      body(row * inner, oa, ob, inner, sa[rank - 1], sb[rank - 1])
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        oa += sa[d]
        ob += sb[d]
        if index[d] < outShape[d] { break }
        oa -= sa[d] * outShape[d]
        ob -= sb[d] * outShape[d]
        index[d] = 0
        d -= 1
      }
    }
  }
}

extension Broadcast {
  /// For each element of `outShape` in row-major order, the index of the element of a tensor of `shape`
  /// (broadcast to `outShape`) it reads. For the reference-loop ops (Where, Expand) on small tensors.
  static func indices(_ shape: [Int], in outShape: [Int]) -> [Int] {
    let total = outShape.reduce(1, *)
    guard total > 0 else { return [] }
    let st = strides(shape, in: outShape)
    var out: [Int] = []
    out.reserveCapacity(total)
    forEachRow(outShape.isEmpty ? [1] : outShape, outShape.isEmpty ? [0] : st, outShape.isEmpty ? [0] : st) {
      _, o, _, n, s, _ in
      for i in 0..<n { out.append(o + i * s) }
    }
    return out
  }

  /// The broadcast shape of several shapes, or nil when they are incompatible.
  static func shape(_ shapes: [[Int]]) -> [Int]? {
    var out: [Int] = []
    for s in shapes {
      guard let b = shape(out, s) else { return nil }
      out = b
    }
    return out
  }
}
