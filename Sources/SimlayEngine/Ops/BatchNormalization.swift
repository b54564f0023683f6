/// ONNX BatchNormalization in inference mode: y = (x - mean) / sqrt(var + eps) * scale + B, precomputed
/// into one multiply-add per channel.
struct BatchNormalization: CompiledOperator {
  let outputTypes: [TensorType]
  let multiplier: [Float]
  let offset: [Float]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    guard x.count >= 2 else { throw ctx.shapeError(input: 0, "has shape \(x); BatchNormalization needs [N, C, ...]") }
    if ctx.node.int("training_mode", default: 0) != 0 || ctx.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
      throw ctx.error(.unsupportedOperator, "training mode (running statistics outputs) is not supported")
    }
    let c = x[1]
    var params: [[Float]] = []
    for (i, what) in [(1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")] {
      let t = try ctx.requireConstant(i, what)
      guard t.count == c else {
        throw ctx.shapeError(input: i, "has \(t.count) values, expected \(c) (one per channel)")
      }
      params.append(t.floats)
    }
    let eps = ctx.node.float("epsilon", default: 1e-5)
    let mult = (0..<c).map { params[0][$0] / (params[3][$0] + eps).squareRoot() }
    let off = (0..<c).map { params[1][$0] - params[2][$0] * mult[$0] }
    return BatchNormalization(outputTypes: [TensorType(.float32, x)], multiplier: mult, offset: off)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let shape = x.shape
    let c = shape[1]
    let plane = shape[2...].reduce(1, *)
    return [
      Tensor(shape: shape) { y in
        let src = x.pointer
        for n in 0..<shape[0] {
          for ch in 0..<c {
            let base = (n * c + ch) * plane
            let (m, o) = (multiplier[ch], offset[ch])
            for i in 0..<plane { y[base + i] = src[base + i] * m + o }
          }
        }
      }
    ]
  }
}
