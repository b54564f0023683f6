/// Reads the sliding-window attributes Conv and the pooling ops share (kernel_shape, strides, dilations,
/// pads, auto_pad, ceil_mode) and computes the output size, for 2-D inputs [N, C, H, W].
enum WindowAttributes {
  static func window(_ ctx: OperatorContext, input: [Int], kernel: [Int], ceilMode: Bool = false) throws -> Window2D {
    let node = ctx.node
    guard input.count == 4, kernel.count == 2 else {
      throw ctx.error(
        .unsupportedOperator, "only 2-D windows over [N, C, H, W] are supported (input \(input), kernel \(kernel))")
    }
    let strides = node.ints("strides") ?? [1, 1]
    let dilations = node.ints("dilations") ?? [1, 1]
    guard strides.count == 2, dilations.count == 2, strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 })
    else {
      throw ctx.error(.invalidModel, "strides \(strides) / dilations \(dilations) must be two positive numbers")
    }
    let (h, w) = (input[2], input[3])
    let extent = [dilations[0] * (kernel[0] - 1) + 1, dilations[1] * (kernel[1] - 1) + 1]
    var pads = node.ints("pads") ?? [0, 0, 0, 0]
    guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
      throw ctx.error(.invalidModel, "pads \(pads) must be 4 non-negative values")
    }
    guard kernel.allSatisfy({ $0 > 0 }) else { throw ctx.error(.invalidModel, "kernel \(kernel) must be positive") }
    let autoPad = node.string("auto_pad") ?? "NOTSET"
    var out = [0, 0]
    switch autoPad {
    case "SAME_UPPER", "SAME_LOWER":
      for (i, size) in [h, w].enumerated() {
        out[i] = (size + strides[i] - 1) / strides[i]
        let total = Swift.max((out[i] - 1) * strides[i] + extent[i] - size, 0)
        let small = total / 2
        let large = total - small
        pads[i] = autoPad == "SAME_UPPER" ? small : large
        pads[i + 2] = autoPad == "SAME_UPPER" ? large : small
      }
    case "VALID":
      pads = [0, 0, 0, 0]
      for (i, size) in [h, w].enumerated() { out[i] = (size - extent[i]) / strides[i] + 1 }
    case "NOTSET", "":
      for (i, size) in [h, w].enumerated() {
        let span = size + pads[i] + pads[i + 2] - extent[i]
        if ceilMode {
          out[i] = (span + strides[i] - 1) / strides[i] + 1
          // The last window must start inside the image or the leading padding (PyTorch and ONNX agree).
          if (out[i] - 1) * strides[i] >= size + pads[i] { out[i] -= 1 }
        } else {
          out[i] = span >= 0 ? span / strides[i] + 1 : 0
        }
      }
    default:
      throw ctx.error(.invalidModel, "unknown auto_pad '\(autoPad)'")
    }
    guard out[0] > 0, out[1] > 0 else {
      throw ctx.shapeError(input: 0, "of shape \(input) is smaller than the \(kernel) window (output would be \(out))")
    }
    return Window2D(
      inH: h, inW: w, kH: kernel[0], kW: kernel[1], strideH: strides[0], strideW: strides[1],
      dilationH: dilations[0], dilationW: dilations[1], padTop: pads[0], padLeft: pads[1],
      outH: out[0], outW: out[1])
  }

  /// The bottom and right pads implied by a window (needed by average pooling's divisor).
  static func padEnd(_ w: Window2D, _ ctx: OperatorContext) -> (bottom: Int, right: Int) {
    let pads = ctx.node.ints("pads") ?? [0, 0, 0, 0]
    let autoPad = ctx.node.string("auto_pad") ?? "NOTSET"
    if autoPad == "NOTSET" || autoPad.isEmpty { return (pads.count == 4 ? pads[2] : 0, pads.count == 4 ? pads[3] : 0) }
    let eH = w.dilationH * (w.kH - 1) + 1
    let eW = w.dilationW * (w.kW - 1) + 1
    return (
      Swift.max((w.outH - 1) * w.strideH + eH - w.inH - w.padTop, 0),
      Swift.max((w.outW - 1) * w.strideW + eW - w.inW - w.padLeft, 0)
    )
  }
}
