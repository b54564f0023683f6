import CSimlayKernels

/// A 1x1 expansion, a depthwise convolution and a 1x1 projection run as one step (the inverted-bottleneck
/// core of MobileNetV2 / EfficientNet blocks), created by `Fusion.fuseDepthwiseBlocks`.
///
/// Why: the depthwise kernel is fastest channels-last (it vectorises across channels), but the graph is
/// NCHW, and transposing its input and output costs more than the convolution on small planes. Here the
/// expansion's packed GEMM writes channels-last directly into the depthwise kernel's padded input, and the
/// projection's packs the depthwise output back (8x8 transposes), so no separate transpose runs. The intermediate tensors never exist as NCHW, so
/// the fusion is skipped when a caller keeps them.
struct DepthwiseBlock: CompiledOperator {
  /// The three convolutions as compiled on their own (geometry, weights, fused activations).
  let expand: Conv
  let depthwise: Conv
  let project: Conv
  /// Depthwise weights as [taps][channels]; nil when the parts do not fit the channels-last path (then
  /// they simply run one after the other).
  let tapsMajor: Tensor?
  /// The expansion's weights packed as the right operand: its GEMM writes cells (rows) by channels.
  let expandPacked: PackedWeights?
  /// Where each input cell's expansion goes in the depthwise kernel's zero-padded channels-last copy
  /// (-1 for a cell the depthwise never reads): the expansion writes there directly, with its bias, clamp
  /// and function, so no separate padding pass runs.
  let paddedOffsets: [Int]

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
    var expand = try part("a:", [0, 1, 2], try ctx.floatType(0))
    let depthwise = try part("b:", [0, 3, 4], expand.outputTypes[0])
    let project = try part("c:", [0, 5, 6], depthwise.outputTypes[0])
    guard expand.kind == .pointwise, depthwise.group == depthwise.inChannels, depthwise.group > 1,
      depthwise.window.kH * depthwise.window.kW <= 64, project.kind == .pointwise, project.packed != nil
    else {
      return DepthwiseBlock(
        expand: expand, depthwise: depthwise, project: project, tapsMajor: nil, expandPacked: nil,
        paddedOffsets: [])
    }
    let (m, taps) = (depthwise.outChannels, depthwise.window.kH * depthwise.window.kW)
    let w = depthwise.weights
    let tapsMajor = Tensor(shape: [taps, m]) { dst in
      for ch in 0..<m { for t in 0..<taps { dst[t * m + ch] = w.pointer[ch * taps + t] } }
    }
    let expandPacked = PackedWeights(
      expand.weights.pointer, channels: expand.outChannels, depth: expand.inChannels, side: .columns)
    expand.packed = nil
    return DepthwiseBlock(
      expand: expand, depthwise: depthwise, project: project, tapsMajor: tapsMajor, expandPacked: expandPacked,
      paddedOffsets: offsets(depthwise.window, channels: m))
  }

  /// Offsets of each input cell in the padded copy (see paddedOffsets).
  private static func offsets(_ w: Window2D, channels: Int) -> [Int] {
    var c = w.c
    let (rows, columns) = (Int(simlay_hwc_padded_rows(&c)), simlay_hwc_padded_width(&c))
    var offsets = [Int](repeating: -1, count: w.inH * w.inW)
    for iy in 0..<w.inH {
      for ix in 0..<w.inW {
        let (py, px) = (iy + w.padTop, ix + w.padLeft)
        if py < rows && px < columns { offsets[iy * w.inW + ix] = (py * columns + px) * channels }
      }
    }
    return offsets
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    guard let tapsMajor else {
      let e = try expand.run([inputs[0], inputs[1], inputs[2]], context)
      let d = try depthwise.run([e[0], inputs[3], inputs[4]], context)
      return try project.run([d[0], inputs[5], inputs[6]], context)
    }
    let x = inputs[0]!
    let batch = x.shape[0]
    let w = depthwise.window
    let (inStride, outStride) = (expand.inChannels * w.inH * w.inW, project.outChannels * w.outH * w.outW)
    let out = Tensor(shape: outputTypes[0].shape) { y in
      if batch >= 2 * context.threads || (batch > 1 && batch % context.threads == 0) {
        // Whole images per thread: one parallel loop per block instead of several per image, and each
        // image's intermediates stay in its thread's cache. EfficientNet-Lite0 at batch 8, 2 threads: the
        // blocks had taken 125 ms split within each image (1t: 129 ms); whole images brought the pass from
        // 1.72-1.83x ONNX Runtime's time to 1.36x (scripts/bench_forward.py, same runs).
        var sequential = context
        sequential.threads = 1
        context.parallelFor(batch) { range in
          let buffers = Buffers(self)
          defer { buffers.free() }
          for n in range {
            image(x.pointer + n * inStride, into: y + n * outStride, buffers, tapsMajor.pointer, context: sequential)
          }
        }
      } else {
        let buffers = Buffers(self)
        defer { buffers.free() }
        for n in 0..<batch {
          image(x.pointer + n * inStride, into: y + n * outStride, buffers, tapsMajor.pointer, context: context)
        }
      }
    }
    return [out]
  }
}
