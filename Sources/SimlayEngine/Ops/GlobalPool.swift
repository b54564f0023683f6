import CSimlayKernels

/// GlobalAveragePool and GlobalMaxPool: reduce every spatial dimension to 1.
struct GlobalPool: CompiledOperator {
  let outputTypes: [TensorType]
  let isMax: Bool

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    guard x.count >= 3 else { throw ctx.shapeError(input: 0, "has shape \(x); expected [N, C, spatial...]") }
    return GlobalPool(
      outputTypes: [TensorType(.float32, [x[0], x[1]] + Array(repeating: 1, count: x.count - 2))],
      isMax: ctx.node.opType == "GlobalMaxPool")
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let planes = x.shape[0] * x.shape[1]
    let size = x.shape[2...].reduce(1, *)
    return [
      Tensor(shape: outputTypes[0].shape) { y in
        // Planes split over the threads once there is enough to share (EfficientNet-B0's squeeze and
        // excitation blocks average 32 to 1152 planes of 7x7 to 112x112 cells).
        context.parallelFor(planes, minimumPerThread: max(1, (1 << 14) / max(size, 1))) { range in
          if isMax {
            for p in range {
              let src = x.pointer + p * size
              var m = -Float.infinity
              for i in 0..<size { m = Swift.max(m, src[i]) }
              y[p] = m
            }
          } else {
            simlay_plane_means(x.pointer + range.lowerBound * size, Int32(range.count), size, y + range.lowerBound)
          }
        }
      }
    ]
  }
}
