import Foundation

/// Local response normalisation across channels (AlexNet, GoogLeNet):
/// y = x / (bias + alpha / size * sum of x^2 over the `size` neighbouring channels) ^ beta.
struct LRN: CompiledOperator {
  let outputTypes: [TensorType]
  let size: Int
  let alpha: Float, beta: Float, bias: Float

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    guard t.shape.count >= 3 else { throw ctx.shapeError(input: 0, "has shape \(t.shape); expected [N, C, ...]") }
    guard let size = ctx.node.int("size"), size > 0 else { throw ctx.error(.invalidModel, "size is missing") }
    return LRN(
      outputTypes: [t], size: size, alpha: ctx.node.float("alpha", default: 1e-4),
      beta: ctx.node.float("beta", default: 0.75), bias: ctx.node.float("bias", default: 1))
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let (n, c) = (x.shape[0], x.shape[1])
    let plane = x.shape[2...].reduce(1, *)
    let before = (size - 1) / 2
    let after = size - 1 - before
    return [
      Tensor(shape: x.shape) { y in
        let sum = UnsafeMutablePointer<Float>.allocate(capacity: plane)
        defer { sum.deallocate() }
        for b in 0..<n {
          let base = x.pointer + b * c * plane
          for ch in 0..<c {
            sum.update(repeating: 0, count: plane)
            for k in Swift.max(0, ch - before)...Swift.min(c - 1, ch + after) {
              let p = base + k * plane
              for i in 0..<plane { sum[i] += p[i] * p[i] }
            }
            let src = base + ch * plane
            let dst = y + (b * c + ch) * plane
            let scale = alpha / Float(size)
            for i in 0..<plane { dst[i] = src[i] / powf(bias + scale * sum[i], beta) }
          }
        }
      }
    ]
  }
}
