import CSimlayKernels

/// ONNX Conv (2-D): grouped, dilated, strided, explicit or auto_pad padding, optional bias, and an optional
/// fused Relu/Clip and element-wise function (see Fusion). Three kernels: depthwise (hand-written), 1x1 direct GEMM, im2col + GEMM.
struct Conv: CompiledOperator {
  enum Kind { case depthwise, depthwiseChannelsLast, pointwise, im2col }

  /// Up to this many input cells per plane, depthwise runs channels-last (see simlay_depthwise_hwc);
  /// measured on EfficientNet-Lite0: faster at 14x14 and 7x7, slower from 28x28 up.
  static let channelsLastCells = 20 * 20

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
  /// A fused element-wise function applied after the clamp (identity when none).
  let activation: PointwiseFunction
  /// Depthwise weights transposed to [taps][channels], for the channels-last kernel.
  let tapsMajorWeights: Tensor?
  /// The weights packed as GEMM's left operand, for pointwise and ungrouped im2col kernels; nil otherwise
  /// (or when a fused block packs them its own way).
  var packed: PackedWeights?

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let x = try ctx.floatType(0).shape
    let w = try ctx.requireConstant(1, "the weight")
    guard x.count == 4 else {
      throw ctx.error(.unsupportedOperator, "only 2-D convolution over [N, C, H, W] is supported (input \(x))")
    }
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
      kind =
        window.inH * window.inW <= channelsLastCells && kernel[0] * kernel[1] <= 64
        ? .depthwiseChannelsLast : .depthwise
    } else if group == 1 && kernel == [1, 1] && window.strideH == 1 && window.strideW == 1
      && window.padTop == 0 && window.padLeft == 0 && window.outH == x[2] && window.outW == x[3]
    {
      kind = .pointwise
    } else {
      kind = .im2col
    }
    let wf = w.dataType == .float32 ? w : Tensor(shape: w.shape, floats: w.floats)
    var transposed: Tensor?
    if kind == .depthwiseChannelsLast {
      let taps = kernel[0] * kernel[1]
      transposed = Tensor(shape: [taps, m]) { dst in
        for ch in 0..<m { for t in 0..<taps { dst[t * m + ch] = wf.pointer[ch * taps + t] } }
      }
    }
    let depth = c / group * kernel[0] * kernel[1]
    let packed =
      (kind == .pointwise || kind == .im2col) && group == 1
      ? PackedWeights(wf.pointer, channels: m, depth: depth, side: .rows) : nil
    return Conv(
      outputTypes: [TensorType(.float32, [x[0], m, window.outH, window.outW])],
      weights: wf, bias: bias,
      window: window, group: group, inChannels: c, outChannels: m,
      lo: ctx.node.float("_act_min", default: -.infinity), hi: ctx.node.float("_act_max", default: .infinity),
      kind: kind, activation: activation(ctx.node), tapsMajorWeights: transposed, packed: packed)
  }

  /// The function Fusion recorded in `_act_kind`; an unknown kind (a crafted file) runs as the identity in
  /// the C kernels, so it cannot reach undefined code.
  static func activation(_ node: Node) -> PointwiseFunction {
    guard let kind = node.int("_act_kind"), let k = Int32(exactly: kind) else { return .identity }
    return PointwiseFunction(
      kind: k, alpha: node.float("_act_alpha", default: 0), beta: node.float("_act_beta", default: 0))
  }

  /// Applies the fused function in place to `count` floats of a depthwise output (whose kernels only clamp).
  func activate(_ y: UnsafeMutablePointer<Float>, count: Int) {
    if activation.kind != SIMLAY_ACT_IDENTITY { Elementwise.apply(activation, y, y, count: count) }
  }

  /// What the packed GEMM adds, clamps and applies as it writes.
  var epilogue: GEMMEpilogue {
    GEMMEpilogue(bias: bias.map { UnsafePointer($0.pointer) }, lo: lo, hi: hi, function: activation)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    let batch = x.shape[0]
    let inPlane = window.inH * window.inW
    let outPlane = window.outH * window.outW
    let out = Tensor(shape: outputTypes[0].shape) { y in
      let w = weights.pointer
      let b = bias.map { UnsafePointer($0.pointer) }
      switch kind {
      case .depthwise:
        let taps = window.kH * window.kW
        let scratchCount = Depthwise.scratchCount(window)
        context.parallelFor(batch * outChannels, minimumPerThread: 4) { range in
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
          defer { scratch.deallocate() }
          for i in range {
            let ch = i % outChannels
            Depthwise.plane(
              x.pointer + i * inPlane, weights: w + ch * taps, bias: b?[ch] ?? 0, window: window,
              lo: lo, hi: hi, into: y + i * outPlane, scratch: scratch)
            activate(y + i * outPlane, count: outPlane)
          }
        }
      case .depthwiseChannelsLast:
        let packed = tapsMajorWeights!.pointer
        // Chunks of 64 channels whatever the thread count: the kernel's 64- and 16-wide blocks and its
        // scalar tail round differently, so chunk edges that moved with the threads changed the result.
        let per = 64
        let chunks = (outChannels + per - 1) / per
        var cw = window.c
        let scratchCount = simlay_depthwise_hwc_scratch(&cw, Int32(per))
        context.parallelFor(batch * chunks) { range in
          var cw = window.c
          let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
          defer { scratch.deallocate() }
          for i in range {
            let (n, chunk) = (i / chunks, i % chunks)
            let c0 = chunk * per
            let count = min(per, outChannels - c0)
            if count <= 0 { continue }
            simlay_depthwise_hwc(
              x.pointer + (n * inChannels + c0) * inPlane, Int32(count), packed + c0, Int32(outChannels),
              b.map { $0 + c0 }, &cw, lo, hi, y + (n * outChannels + c0) * outPlane, scratch)
            activate(y + (n * outChannels + c0) * outPlane, count: count * outPlane)
          }
        }
      case .pointwise:
        for n in 0..<batch {
          let dst = y + n * outChannels * outPlane
          if let packed {
            PackedGEMM.rows(
              packed, b: x.pointer + n * inChannels * inPlane, ks: inPlane, cs: 1, n: outPlane, c: dst,
              ldc: outPlane, epilogue: epilogue, context: context)
            continue
          }
          GEMM.multiply(
            m: outChannels, n: outPlane, k: inChannels, a: w, lda: inChannels,
            b: x.pointer + n * inChannels * inPlane, ldb: outPlane, c: dst, ldc: outPlane, context: context)
          Epilogue.apply(
            dst, channels: outChannels, size: outPlane, bias: b, lo: lo, hi: hi, function: activation, context: context)
        }
      case .im2col:
        if let packed {
          for n in 0..<batch {
            PackedGEMM.rows(
              packed, im2col: x.pointer + n * inChannels * inPlane, channels: inChannels, window: window,
              c: y + n * outChannels * outPlane, epilogue: epilogue, context: context)
          }
          return
        }
        let cg = inChannels / group
        let mg = outChannels / group
        let k = cg * window.kH * window.kW
        let colsMemory = BufferRecycling.allocate(floats: k * outPlane)
        defer { BufferRecycling.release(colsMemory) }
        let cols = colsMemory.pointer
        for n in 0..<batch {
          for g in 0..<group {
            Im2col.unfold(
              x.pointer + (n * inChannels + g * cg) * inPlane, channels: cg, window: window, into: cols,
              context: context)
            GEMM.multiply(
              m: mg, n: outPlane, k: k, a: w + g * mg * k, lda: k, b: cols, ldb: outPlane,
              c: y + (n * outChannels + g * mg) * outPlane, ldc: outPlane, context: context)
          }
          Epilogue.apply(
            y + n * outChannels * outPlane, channels: outChannels, size: outPlane, bias: b, lo: lo, hi: hi,
            function: activation, context: context)
        }
      }
    }
    return [out]
  }
}
