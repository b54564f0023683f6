import CSimlayKernels

/// MaxPool and AveragePool over 2-D windows (ceil_mode, dilations, explicit or auto_pad padding,
/// count_include_pad both ways). MaxPool runs simlay_max_pool_plane; AveragePool reduces rows tap by tap.
struct Pool: CompiledOperator {
  let outputTypes: [TensorType]
  let window: Window2D
  let isMax: Bool
  /// For average pooling: 1 / (number of elements each output averages), precomputed per output cell.
  let reciprocal: [Float]

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    guard let kernel = ctx.node.ints("kernel_shape") else { throw ctx.error(.invalidModel, "kernel_shape is missing") }
    let isMax = ctx.node.opType == "MaxPool"
    if isMax && ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty {
      throw ctx.error(.unsupportedOperator, "the Indices output of MaxPool is not supported")
    }
    if isMax && ctx.node.int("storage_order", default: 0) != 0 {
      throw ctx.error(.unsupportedOperator, "storage_order=1 is not supported")
    }
    let w = try WindowAttributes.window(
      ctx, input: x, kernel: kernel, ceilMode: ctx.node.int("ceil_mode", default: 0) != 0)
    var reciprocal: [Float] = []
    if !isMax {
      let includePad = ctx.node.int("count_include_pad", default: 0) != 0
      let end = WindowAttributes.padEnd(w, ctx)
      for oy in 0..<w.outH {
        for ox in 0..<w.outW {
          let y0 = oy * w.strideH - w.padTop
          let x0 = ox * w.strideW - w.padLeft
          var count = 0
          if includePad {
            // Padded cells count, but not the part of a ceil-mode window that hangs past the padding.
            let ys = (0..<w.kH).map { y0 + $0 * w.dilationH }.filter { $0 < w.inH + end.bottom }.count
            let xs = (0..<w.kW).map { x0 + $0 * w.dilationW }.filter { $0 < w.inW + end.right }.count
            count = ys * xs
          } else {
            let ys = (0..<w.kH).map { y0 + $0 * w.dilationH }.filter { $0 >= 0 && $0 < w.inH }.count
            let xs = (0..<w.kW).map { x0 + $0 * w.dilationW }.filter { $0 >= 0 && $0 < w.inW }.count
            count = ys * xs
          }
          reciprocal.append(count > 0 ? 1 / Float(count) : 0)
        }
      }
    }
    return Pool(
      outputTypes: [TensorType(.float32, [x[0], x[1], w.outH, w.outW])], window: w, isMax: isMax,
      reciprocal: reciprocal)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let planes = x.shape[0] * x.shape[1]
    let w = window
    let inPlane = w.inH * w.inW
    let outPlane = w.outH * w.outW
    if isMax {
      return [
        Tensor(shape: outputTypes[0].shape) { y in
          context.parallelFor(planes, minimumPerThread: 8) { range in
            var cw = w.c
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(w.inW, 1))
            defer { scratch.deallocate() }
            for p in range { simlay_max_pool_plane(x.pointer + p * inPlane, &cw, y + p * outPlane, scratch) }
          }
        }
      ]
    }
    let columns = (0..<w.kW).map { w.validColumns(kx: $0) }
    return [
      Tensor(shape: outputTypes[0].shape) { y in
        context.parallelFor(planes, minimumPerThread: 8) { range in
          for p in range {
            let src = x.pointer + p * inPlane
            for oy in 0..<w.outH {
              let row = y + p * outPlane + oy * w.outW
              row.update(repeating: 0, count: w.outW)
              for ky in 0..<w.kH {
                let iy = oy * w.strideH - w.padTop + ky * w.dilationH
                if iy < 0 || iy >= w.inH { continue }
                for kx in 0..<w.kW {
                  let s = src + iy * w.inW + kx * w.dilationW - w.padLeft
                  let valid = columns[kx]
                  for ox in valid { row[ox] += s[ox * w.strideW] }
                }
              }
              reciprocal.withUnsafeBufferPointer { r in
                for ox in 0..<w.outW { row[ox] *= r[oy * w.outW + ox] }
              }
            }
          }
        }
      }
    ]
  }
}
