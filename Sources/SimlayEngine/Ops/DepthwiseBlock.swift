import CSimlayKernels

/// A 1x1 expansion, a depthwise convolution and a 1x1 projection run as one step (the inverted-bottleneck
/// core of MobileNetV2 / EfficientNet blocks), created by `Fusion.fuseDepthwiseBlocks`.
///
/// Why: the depthwise kernel is fastest channels-last (it vectorises across channels), but the graph is
/// NCHW, and transposing its input and output costs more than the convolution on small planes. Here the
/// expansion GEMM writes channels-last directly (OpenBLAS transposes while packing, for free) and the
/// projection GEMM reads it back, so no transpose runs. The intermediate tensors never exist as NCHW, so
/// the fusion is skipped when a caller keeps them.
struct DepthwiseBlock: CompiledOperator {
  /// The three convolutions as compiled on their own (geometry, weights, fused activations).
  let expand: Conv
  let depthwise: Conv
  let project: Conv
  /// Depthwise weights as [taps][channels]; nil when the parts do not fit the channels-last path (then
  /// they simply run one after the other).
  let tapsMajor: Tensor?

  var outputTypes: [TensorType] { project.outputTypes }

  /// Input layout of the fused node: [x, wA, bA, wB, bB, wC, bC] ("" for a missing bias); attributes of the
  /// three original nodes under the prefixes "a:", "b:", "c:" (their names under "a:name" and so on).
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    func part(_ prefix: String, _ inputs: [Int], _ inputType: TensorType) throws -> Conv {
      var attributes: [String: Attribute] = [:]
      for (key, value) in ctx.node.attributes where key.hasPrefix(prefix) {
        attributes[String(key.dropFirst(prefix.count))] = value
      }
      var name = ctx.node.name
      if case .string(let n)? = attributes.removeValue(forKey: "name") { name = n }
      let node = Node(
        name: name, opType: "Conv", domain: "", inputs: inputs.map { ctx.node.inputs[$0] },
        outputs: [name], attributes: attributes)
      let sub = OperatorContext(
        node: node, inputTypes: [inputType] + inputs.dropFirst().map { ctx.inputTypes[$0] },
        constants: [nil] + inputs.dropFirst().map { ctx.constants[$0] }, opset: ctx.opset)
      guard let conv = try Conv.make(sub) as? Conv else {
        throw ctx.error(.invalidModel, "a fused part is not a convolution")
      }
      return conv
    }
    let expand = try part("a:", [0, 1, 2], try ctx.floatType(0))
    let depthwise = try part("b:", [0, 3, 4], expand.outputTypes[0])
    let project = try part("c:", [0, 5, 6], depthwise.outputTypes[0])
    guard expand.kind == .pointwise, depthwise.group == depthwise.inChannels, depthwise.group > 1,
      depthwise.window.kH * depthwise.window.kW <= 64, project.kind == .pointwise,
      // The expansion's function runs over the zero-padded copy, borders included (see run).
      expand.activation.keepsZero
    else {
      return DepthwiseBlock(expand: expand, depthwise: depthwise, project: project, tapsMajor: nil)
    }
    let (m, taps) = (depthwise.outChannels, depthwise.window.kH * depthwise.window.kW)
    let w = depthwise.weights
    let tapsMajor = Tensor(shape: [taps, m]) { dst in
      for ch in 0..<m { for t in 0..<taps { dst[t * m + ch] = w.pointer[ch * taps + t] } }
    }
    return DepthwiseBlock(expand: expand, depthwise: depthwise, project: project, tapsMajor: tapsMajor)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    guard let tapsMajor else {
      let e = try expand.run([inputs[0], inputs[1], inputs[2]], context)
      let d = try depthwise.run([e[0], inputs[3], inputs[4]], context)
      return try project.run([d[0], inputs[5], inputs[6]], context)
    }
    let x = inputs[0]!
    let batch = x.shape[0]
    let (cin, mid, cout) = (expand.inChannels, depthwise.outChannels, project.outChannels)
    var dw = depthwise.window.c
    let (inCells, outCells) = (
      depthwise.window.inH * depthwise.window.inW, depthwise.window.outH * depthwise.window.outW
    )
    // One buffer holds the expansion's output, later the depthwise output (never larger); one the padded copy.
    let work = UnsafeMutablePointer<Float>.allocate(capacity: inCells * mid)
    defer { work.deallocate() }
    let paddedCount = simlay_hwc_padded_count(&dw, Int32(mid))
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount)
    defer { padded.deallocate() }
    let out = Tensor(shape: outputTypes[0].shape) { y in
      for n in 0..<batch {
        // E[cells, mid] = X^T W_a^T: channels-last straight out of the GEMM.
        GEMM.multiply(
          transA: true, transB: true, m: inCells, n: mid, k: cin, a: x.pointer + n * cin * inCells, lda: inCells,
          b: expand.weights.pointer, ldb: cin, c: work, ldc: mid, context: context)
        let (expandBias, elo, ehi) = (expand.bias.map { UnsafePointer($0.pointer) }, expand.lo, expand.hi)
        context.parallelFor(Int(simlay_hwc_padded_rows(&dw)), minimumPerThread: 4) { range in
          var cw = dw
          simlay_hwc_pad_bias_clamp(
            work, Int32(mid), &cw, expandBias, elo, ehi, Int32(range.lowerBound), Int32(range.upperBound), padded)
          let rowFloats = paddedCount / Int(simlay_hwc_padded_rows(&cw))
          expand.activate(padded + range.lowerBound * rowFloats, count: range.count * rowFloats)
        }
        let rows = depthwise.window.outH
        let (taps, bias) = (tapsMajor.pointer, depthwise.bias.map { UnsafePointer($0.pointer) })
        let (lo, hi) = (depthwise.lo, depthwise.hi)
        context.parallelFor(rows, minimumPerThread: 2) { range in
          var cw = dw
          simlay_depthwise_hwc_rows(
            padded, Int32(mid), taps, Int32(mid), bias, &cw, lo, hi,
            Int32(range.lowerBound), Int32(range.upperBound), work)
          let rowFloats = depthwise.window.outW * mid
          depthwise.activate(work + range.lowerBound * rowFloats, count: range.count * rowFloats)
        }
        // Y[cout, cells] = W_c D^T, back to NCHW.
        let dst = y + n * cout * outCells
        GEMM.multiply(
          transB: true, m: cout, n: outCells, k: mid, a: project.weights.pointer, lda: mid, b: work, ldb: mid,
          c: dst, ldc: outCells, context: context)
        Epilogue.apply(
          dst, channels: cout, size: outCells, bias: project.bias.map { UnsafePointer($0.pointer) },
          lo: project.lo, hi: project.hi, function: project.activation, context: context)
      }
    }
    return [out]
  }
}
