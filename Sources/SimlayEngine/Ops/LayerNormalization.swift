import Foundation

/// LayerNormalization (opset 17): normalise over the axes from `axis` on, then scale and shift. The
/// optional Mean and InvStdDev outputs are produced too (shape: the input's with the normalised axes 1).
struct LayerNormalization: CompiledOperator {
  let outputTypes: [TensorType]
  let rows: Int, length: Int
  let epsilon: Float
  /// Element strides of Scale and B over the normalised [length] block (0 where broadcast).
  let scaleIndices: [Int], biasIndices: [Int]?

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let x = t.shape
    var axis = ctx.node.int("axis", default: -1)
    if axis < 0 { axis += x.count }
    guard axis >= 0 && axis < x.count else { throw ctx.error(.invalidModel, "axis out of range for shape \(x)") }
    let tail = Array(x[axis...])
    let scale = try ctx.floatType(1)
    guard Broadcast.shape(tail, scale.shape) == tail else {
      throw ctx.shapeError(
        input: 1, "has shape \(scale.shape), which does not broadcast to the normalised dimensions \(tail)")
    }
    var biasIndices: [Int]?
    if ctx.has(2) {
      let bias = try ctx.floatType(2)
      guard Broadcast.shape(tail, bias.shape) == tail else {
        throw ctx.shapeError(
          input: 2, "has shape \(bias.shape), which does not broadcast to the normalised dimensions \(tail)")
      }
      biasIndices = Broadcast.indices(bias.shape, in: tail)
    }
    let statShape = Array(x[..<axis]) + [Int](repeating: 1, count: tail.count)
    return LayerNormalization(
      outputTypes: [t, TensorType(.float32, statShape), TensorType(.float32, statShape)],
      rows: x[..<axis].reduce(1, *), length: tail.reduce(1, *), epsilon: ctx.node.float("epsilon", default: 1e-5),
      scaleIndices: Broadcast.indices(scale.shape, in: tail), biasIndices: biasIndices)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let scale = inputs[1]!
    let bias = inputs.count > 2 ? inputs[2] : nil
    var means = [Float](repeating: 0, count: rows)
    var inv = [Float](repeating: 0, count: rows)
    let y = Tensor(shape: x.shape) { y in
      let (src, g) = (x.pointer, scale.pointer)
      let b = bias?.pointer
      for r in 0..<rows {
        let row = src + r * length
        let out = y + r * length
        // Two passes in Double: the variance of activations with a large mean is cancellation-prone.
        var sum = 0.0
        for j in 0..<length { sum += Double(row[j]) }
        let mean = sum / Double(length)
        var sq = 0.0
        for j in 0..<length {
          let d = Double(row[j]) - mean
          sq += d * d
        }
        let invStd = 1 / (sq / Double(length) + Double(epsilon)).squareRoot()
        means[r] = Float(mean)
        inv[r] = Float(invStd)
        let (m, s) = (Float(mean), Float(invStd))
        if let b, let bi = biasIndices {
          for j in 0..<length { out[j] = (row[j] - m) * s * g[scaleIndices[j]] + b[bi[j]] }
        } else {
          for j in 0..<length { out[j] = (row[j] - m) * s * g[scaleIndices[j]] }
        }
      }
    }
    return [y, Tensor(shape: outputTypes[1].shape, floats: means), Tensor(shape: outputTypes[2].shape, floats: inv)]
  }
}
