/// A per-channel gate and the 1x1 convolution that reads it, run as one step: `Conv(Mul(x, s))` with s of
/// shape [N or 1, C, 1, 1], the squeeze-and-excitation pattern of EfficientNet and MobileNetV3, created by
/// `Fusion.fuseChannelScales`.
///
/// Why: the Mul wrote a whole gated copy of x for the convolution to read once (EfficientNet-B0, 1 thread,
/// batch 1: 1.03 ms of Mul in a 17.5 ms pass, 2.3M values); here the convolution's packer multiplies each
/// value by its channel's gate as it packs, the same float product, so the same bits.
struct ScaledConv: CompiledOperator {
  let mul: Binary
  let conv: Conv
  /// Which of the Mul's two inputs is the full tensor (the other is the gate), when the fused path applies;
  /// nil runs the Mul and the convolution one after the other.
  let fullInput: Int?

  var outputTypes: [TensorType] { conv.outputTypes }

  /// Input layout: [m0, m1, w, b] (the Mul's two inputs in their order, then the Conv's weights and bias,
  /// "" for none); the Conv's attributes as they were, the Mul's name under "mul:name".
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    var mulName = ctx.node.name + ".mul"
    if case .string(let n)? = ctx.node.attributes["mul:name"] { mulName = n }
    let mulNode = Node(
      name: mulName, opType: "Mul", domain: "", inputs: Array(ctx.node.inputs[0..<2]), outputs: [mulName],
      attributes: [:])
    guard
      let mul = try Binary.make(
        OperatorContext(
          node: mulNode, inputTypes: Array(ctx.inputTypes[0..<2]), constants: Array(ctx.constants[0..<2]),
          opset: ctx.opset)) as? Binary
    else { throw ctx.error(.invalidModel, "the fused gate is not a Mul") }
    var attributes = ctx.node.attributes
    attributes["mul:name"] = nil
    let convNode = Node(
      name: ctx.node.name, opType: "Conv", domain: "", inputs: [mulName] + ctx.node.inputs[2...],
      outputs: ctx.node.outputs, attributes: attributes)
    guard
      let conv = try Conv.make(
        OperatorContext(
          node: convNode, inputTypes: [mul.outputTypes[0]] + ctx.inputTypes[2...],
          constants: [nil] + ctx.constants[2...], opset: ctx.opset)) as? Conv
    else { throw ctx.error(.invalidModel, "the fused part is not a convolution") }
    let shape = mul.outputTypes[0].shape
    let full = (0..<2).first { i in
      guard let t = ctx.inputTypes[i], let g = ctx.inputTypes[1 - i], t.shape == shape, shape.count == 4 else {
        return false
      }
      return g.shape.count == 4 && (g.shape[0] == 1 || g.shape[0] == shape[0]) && g.shape[1] == shape[1]
        && g.shape[2] == 1 && g.shape[3] == 1
    }
    let fits = mul.outputTypes[0].dataType == .float32 && conv.kind == .pointwise && conv.packed != nil
    return ScaledConv(mul: mul, conv: conv, fullInput: fits ? full : nil)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    guard let fullInput else {
      let gated = try mul.run([inputs[0], inputs[1]], context)
      return try conv.run([gated[0]] + inputs[2...], context)
    }
    let (x, gate) = (inputs[fullInput]!, inputs[1 - fullInput]!)
    let (batch, channels) = (x.shape[0], x.shape[1])
    let plane = conv.window.inH * conv.window.inW
    let outPlane = conv.window.outH * conv.window.outW
    let out = Tensor(shape: outputTypes[0].shape) { y in
      for n in 0..<batch {
        PackedGEMM.rows(
          conv.packed!, b: x.pointer + n * channels * plane, ks: plane, cs: 1, n: outPlane,
          c: y + n * conv.outChannels * outPlane, ldc: outPlane,
          scale: gate.pointer + (gate.shape[0] == 1 ? 0 : n * channels), epilogue: conv.epilogue, context: context)
      }
    }
    return [out]
  }
}
