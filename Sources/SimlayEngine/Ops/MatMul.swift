/// MatMul with NumPy semantics: 1-D operands promoted, leading (batch) dimensions broadcast.
struct MatMul: CompiledOperator {
  let outputTypes: [TensorType]
  let m: Int, n: Int, k: Int
  /// Per batch entry, the offsets of the A and B matrices.
  let batchOffsets: [(Int, Int)]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (sa, sb) = (try ctx.floatType(0).shape, try ctx.floatType(1).shape)
    guard !sa.isEmpty, !sb.isEmpty else { throw ctx.shapeError(input: 0, "MatMul operands must have rank >= 1") }
    let a = sa.count == 1 ? [1] + sa : sa
    let b = sb.count == 1 ? sb + [1] : sb
    let (m, k, kb, n) = (a[a.count - 2], a[a.count - 1], b[b.count - 2], b[b.count - 1])
    guard k == kb else { throw ctx.shapeError(input: 1, "has shape \(sb), whose inner dimension does not match \(sa)") }
    let (ba, bb) = (Array(a.dropLast(2)), Array(b.dropLast(2)))
    guard let batch = Broadcast.shape(ba, bb) else {
      throw ctx.shapeError(input: 1, "has batch dimensions \(bb), which do not broadcast with \(ba)")
    }
    let (stA, stB) = (Broadcast.strides(ba, in: batch), Broadcast.strides(bb, in: batch))
    var offsets: [(Int, Int)] = []
    Broadcast.forEachRow(batch.isEmpty ? [1] : batch, batch.isEmpty ? [0] : stA, batch.isEmpty ? [0] : stB) {
      _, oa, ob, cnt, sa1, sb1 in
      for i in 0..<cnt { offsets.append(((oa + i * sa1) * m * k, (ob + i * sb1) * k * n)) }
    }
    var shape = batch + [m, n]
    if sa.count == 1 { shape.remove(at: shape.count - 2) }
    if sb.count == 1 { shape.removeLast() }
    // B without batch dimensions (a Linear layer's weight) against a batched A: A's batch entries are
    // consecutive row blocks, so they are one taller product. PyTorch's attention projections arrive
    // as [197, 1, 768] x [768, 2304]: 197 products of one row each took 1.25 s of ViT-B/16's 1.6 s at
    // one thread, one product of 197 rows takes a tenth of that.
    if bb.isEmpty, ba == batch, !offsets.isEmpty {
      return MatMul(
        outputTypes: [TensorType(.float32, shape)], m: m * offsets.count, n: n, k: k, batchOffsets: [(0, 0)])
    }
    return MatMul(outputTypes: [TensorType(.float32, shape)], m: m, n: n, k: k, batchOffsets: offsets)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (a, b) = (inputs[0]!, inputs[1]!)
    return [
      Tensor(shape: outputTypes[0].shape) { y in
        for (i, (oa, ob)) in batchOffsets.enumerated() {
          GEMM.multiply(
            m: m, n: n, k: k, a: a.pointer + oa, lda: k, b: b.pointer + ob, ldb: n, c: y + i * m * n, ldc: n,
            context: context)
        }
      }
    ]
  }
}
