import Foundation

/// Softmax. From opset 13 it normalises along one axis; before, the input is read as 2-D
/// [prod(shape[..<axis]), prod(shape[axis...])] and each row is normalised.
struct Softmax: CompiledOperator {
  let outputTypes: [TensorType]
  let outer: Int, length: Int, inner: Int

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.floatType(0)
    let x = t.shape
    var axis = ctx.node.int("axis", default: ctx.opset >= 13 ? -1 : 1)
    if axis < 0 { axis += x.count }
    guard axis >= 0 && axis < max(x.count, 1) else {
      throw ctx.error(.invalidModel, "axis out of range for shape \(x)")
    }
    if ctx.opset >= 13 {
      return Softmax(
        outputTypes: [t], outer: x[..<axis].reduce(1, *), length: x.isEmpty ? 1 : x[axis],
        inner: x.isEmpty ? 1 : x[(axis + 1)...].reduce(1, *))
    }
    return Softmax(outputTypes: [t], outer: x[..<axis].reduce(1, *), length: x[axis...].reduce(1, *), inner: 1)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    return [
      Tensor(shape: x.shape) { y in
        let src = x.pointer
        for o in 0..<outer {
          for i in 0..<inner {
            let base = o * length * inner + i
            var m = -Float.infinity
            for j in 0..<length { m = Swift.max(m, src[base + j * inner]) }
            var sum: Float = 0
            for j in 0..<length {
              let e = expf(src[base + j * inner] - m)
              y[base + j * inner] = e
              sum += e
            }
            for j in 0..<length { y[base + j * inner] /= sum }
          }
        }
      }
    ]
  }
}
