/// Gemm: Y = alpha * op(A) * op(B) + beta * C, with C broadcast to [M, N] (fully connected heads).
struct Gemm: CompiledOperator {
  let outputTypes: [TensorType]
  let transA: Bool, transB: Bool
  let alpha: Float, beta: Float
  let m: Int, n: Int, k: Int
  let cStrides: [Int]?

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (a, b) = (try ctx.floatType(0).shape, try ctx.floatType(1).shape)
    guard a.count == 2, b.count == 2 else {
      throw ctx.shapeError(input: a.count == 2 ? 1 : 0, "must be 2-D (got \(a), \(b))")
    }
    let transA = ctx.node.int("transA", default: 0) != 0
    let transB = ctx.node.int("transB", default: 0) != 0
    let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
    let (kb, n) = transB ? (b[1], b[0]) : (b[0], b[1])
    guard k == kb else {
      throw ctx.shapeError(input: 1, "has shape \(b), whose inner dimension \(kb) does not match \(k) of \(a)")
    }
    var cStrides: [Int]?
    if ctx.has(2) {
      let c = try ctx.floatType(2).shape
      guard Broadcast.shape(c, [m, n]) == [m, n] else {
        throw ctx.shapeError(input: 2, "has shape \(c), which does not broadcast to [\(m), \(n)]")
      }
      cStrides = Broadcast.strides(c, in: [m, n])
    }
    return Gemm(
      outputTypes: [TensorType(.float32, [m, n])], transA: transA, transB: transB,
      alpha: ctx.node.float("alpha", default: 1), beta: ctx.node.float("beta", default: 1),
      m: m, n: n, k: k, cStrides: cStrides)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (a, b) = (inputs[0]!, inputs[1]!)
    let c = inputs.count > 2 ? inputs[2] : nil
    return [
      Tensor(shape: [m, n]) { y in
        var beta: Float = 0
        if let c, let s = cStrides, self.beta != 0 {
          for i in 0..<m { for j in 0..<n { y[i * n + j] = c.pointer[i * s[0] + j * s[1]] } }
          beta = self.beta
        }
        GEMM.multiply(
          transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
          a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], beta: beta, c: y, ldc: n,
          context: context)
      }
    ]
  }
}
