import Foundation
import SimlayEngine

/// Small models with a gate before a 1x1 convolution, `Conv(Mul(x, s))`, the pattern
/// `Fusion.fuseChannelScales` fuses, at odd sizes.
public enum GatedModel {
  /// Where the Mul's gate comes from.
  public enum Gate: Sendable, CaseIterable {
    /// Squeeze-and-excitation: GlobalAveragePool -> 1x1 Conv -> Sigmoid, one gate per image and channel.
    case squeezeExcite
    /// An initializer [1, C, 1, 1], the Mul's first operand (shared by every image of a batch).
    case constantFirst
    /// An initializer [1, 1, H, W]: per pixel, not per channel, so the fused node must run Mul then Conv.
    case perPixel
  }

  /// The 1x1 convolution's weights [out, channels] and bias [out] in the model `make` builds (the first values
  /// it draws), for a reference computed apart from the engine.
  public static func convolution(channels: Int, out: Int) -> (weights: [Float], bias: [Float]) {
    var stream = Stream()
    return (stream.next(out * channels, positive: false), stream.next(out, positive: false))
  }

  /// Deterministic values in [-1, 1), or [0.25, 1.25) when positive.
  struct Stream {
    var seed: UInt64 = 0x9E37_79B9
    mutating func next(_ count: Int, positive: Bool) -> [Float] {
      (0..<count).map { _ in
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let u = Float(seed >> 40) / Float(1 << 24)
        return positive ? 0.25 + u : 2 * u - 1
      }
    }
  }

  /// x [batch, channels, height, width] -> gated -> 1x1 Conv to `out` channels with bias -> Relu -> "y".
  /// The Mul's output is "gated".
  public static func make(batch: Int, channels: Int, height: Int, width: Int, out: Int, gate: Gate) -> Data {
    var stream = Stream()
    func floats(_ name: String, _ dims: [Int], positive: Bool = false) -> Onnx_TensorProto {
      var t = Onnx_TensorProto()
      (t.name, t.dataType, t.dims) = (name, 1, dims.map(Int64.init))
      t.floatData = stream.next(dims.reduce(1, *), positive: positive)
      return t
    }
    func node(_ op: String, _ inputs: [String], _ output: String) -> Onnx_NodeProto {
      ONNXBuilder.node(op, inputs, [output])
    }
    let value = ONNXBuilder.value
    var g = Onnx_GraphProto()
    g.name = "gated"
    g.initializer = [floats("w", [out, channels, 1, 1]), floats("b", [out])]
    switch gate {
    case .squeezeExcite:
      g.initializer += [floats("sw", [channels, channels, 1, 1]), floats("sb", [channels])]
      g.node = [
        node("GlobalAveragePool", ["x"], "pooled"), node("Conv", ["pooled", "sw", "sb"], "squeezed"),
        node("Sigmoid", ["squeezed"], "s"), node("Mul", ["x", "s"], "gated"),
      ]
    case .constantFirst:
      g.initializer.append(floats("s", [1, channels, 1, 1], positive: true))
      g.node = [node("Mul", ["s", "x"], "gated")]
    case .perPixel:
      g.initializer.append(floats("s", [1, 1, height, width], positive: true))
      g.node = [node("Mul", ["x", "s"], "gated")]
    }
    g.node += [node("Conv", ["gated", "w", "b"], "c"), node("Relu", ["c"], "y")]
    g.input = [value("x", [batch, channels, height, width].map(Int64.init))]
    g.output = [value("y", nil)]
    return try! ONNXBuilder.model(g).serializedData()
  }
}
