/// ONNX Conv (2-D): grouped, dilated, strided, explicit or auto_pad padding, optional bias, and an optional
/// fused Relu/Clip (see Fusion). Three kernels: depthwise (hand-written), 1x1 direct GEMM, im2col + GEMM.
struct Conv: CompiledOperator {
  enum Kind { case depthwise, pointwise, im2col }

  let outputTypes: [TensorType]
  let weights: Tensor
  let bias: Tensor?
  let window: Window2D
  let group: Int
  let inChannels: Int
  let outChannels: Int
  let lo: Float
  let hi: Float
  let kind: Kind

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    let w = try ctx.requireConstant(1, "the weight")
    guard x.count == 4 else { throw ctx.error(.unsupportedOperator, "only 2-D convolution over [N, C, H, W] is supported (input \(x))") }
    guard w.rank == 4 else { throw ctx.shapeError(input: 1, "has shape \(w.shape), expected [M, C/group, kH, kW]") }
    let group = ctx.node.int("group", default: 1)
    let (c, m) = (x[1], w.shape[0])
    guard group > 0, c % group == 0, m % group == 0, w.shape[1] * group == c else {
      throw ctx.shapeError(input: 1, "has shape \(w.shape), which does not fit input channels \(c) with group \(group)")
    }
    let kernel = ctx.node.ints("kernel_shape") ?? Array(w.shape[2...])
    guard kernel == Array(w.shape[2...]) else {
      throw ctx.shapeError(input: 1, "has kernel \(Array(w.shape[2...])) but kernel_shape says \(kernel)")
    }
    var bias: Tensor?
    if ctx.has(2) {
      let b = try ctx.requireConstant(2, "the bias")
      guard b.count == m else { throw ctx.shapeError(input: 2, "has \(b.count) values, expected \(m)") }
      bias = b.dataType == .float32 ? b : Tensor(shape: [m], floats: b.floats)
    }
    let window = try WindowAttributes.window(ctx, input: x, kernel: kernel)
    let kind: Kind
    if group == c && m == c && group > 1 {
      kind = .depthwise
    } else if group == 1 && kernel == [1, 1] && window.strideH == 1 && window.strideW == 1
                && window.padTop == 0 && window.padLeft == 0 && window.outH == x[2] && window.outW == x[3] {
      kind = .pointwise
    } else {
      kind = .im2col
    }
    return Conv(outputTypes: [TensorType(.float32, [x[0], m, window.outH, window.outW])],
                weights: w.dataType == .float32 ? w : Tensor(shape: w.shape, floats: w.floats), bias: bias,
                window: window, group: group, inChannels: c, outChannels: m,
                lo: ctx.node.float("_act_min", default: -.infinity), hi: ctx.node.float("_act_max", default: .infinity),
                kind: kind)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let batch = x.shape[0]
    let inPlane = window.inH * window.inW, outPlane = window.outH * window.outW
    let out = Tensor(shape: outputTypes[0].shape) { y in
      let w = weights.pointer
      let b = bias.map { UnsafePointer($0.pointer) }
      switch kind {
      case .depthwise:
        let taps = window.kH * window.kW
        context.parallelFor(batch * outChannels, minimumPerThread: 4) { range in
          for i in range {
            let ch = i % outChannels
            Depthwise.plane(x.pointer + i * inPlane, weights: w + ch * taps, bias: b?[ch] ?? 0, window: window,
                            lo: lo, hi: hi, into: y + i * outPlane)
          }
        }
      case .pointwise:
        for n in 0..<batch {
          let dst = y + n * outChannels * outPlane
          GEMM.multiply(m: outChannels, n: outPlane, k: inChannels, a: w, lda: inChannels,
                        b: x.pointer + n * inChannels * inPlane, ldb: outPlane, c: dst, ldc: outPlane)
          Epilogue.apply(dst, channels: outChannels, size: outPlane, bias: b, lo: lo, hi: hi)
        }
      case .im2col:
        let cg = inChannels / group, mg = outChannels / group
        let k = cg * window.kH * window.kW
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: k * outPlane)
        defer { cols.deallocate() }
        for n in 0..<batch {
          for g in 0..<group {
            Im2col.unfold(x.pointer + (n * inChannels + g * cg) * inPlane, channels: cg, window: window, into: cols)
            GEMM.multiply(m: mg, n: outPlane, k: k, a: w + g * mg * k, lda: k, b: cols, ldb: outPlane,
                          c: y + (n * outChannels + g * mg) * outPlane, ldc: outPlane)
          }
          Epilogue.apply(y + n * outChannels * outPlane, channels: outChannels, size: outPlane, bias: b, lo: lo, hi: hi)
        }
      }
    }
    return [out]
  }
}
