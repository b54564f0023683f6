import Foundation
import SimlayEngine

/// Inverted bottlenecks, the chain `Fusion.fuseDepthwiseBlocks` fuses: x -> 1x1 Conv (expand) -> Clip ->
/// depthwise Conv -> Clip -> 1x1 Conv (project) -> "y", with the intermediates named "e" and "d", at odd sizes.
public enum BottleneckModel {
  /// x [batch, channels, height, width]; `mid` expanded channels; a `kernel` x `kernel` depthwise window of
  /// `stride`, padded by kernel / 2; `out` projected channels.
  public static func make(
    batch: Int, channels: Int, height: Int, width: Int, mid: Int, kernel: Int, stride: Int, out: Int
  ) -> Data {
    var stream = GatedModel.Stream()
    func floats(_ name: String, _ dims: [Int]) -> Onnx_TensorProto {
      var t = Onnx_TensorProto()
      (t.name, t.dataType, t.dims) = (name, 1, dims.map(Int64.init))
      t.floatData = stream.next(dims.reduce(1, *), positive: false)
      return t
    }
    func scalar(_ name: String, _ v: Float) -> Onnx_TensorProto {
      var t = Onnx_TensorProto()
      (t.name, t.dataType, t.floatData) = (name, 1, [v])
      return t
    }
    var g = Onnx_GraphProto()
    g.name = "bottleneck"
    g.initializer = [
      floats("we", [mid, channels, 1, 1]), floats("be", [mid]), floats("wd", [mid, 1, kernel, kernel]),
      floats("bd", [mid]), floats("wp", [out, mid, 1, 1]), floats("bp", [out]), scalar("lo", 0), scalar("hi", 6),
    ]
    var depthwise = ONNXBuilder.node("Conv", ["ec", "wd", "bd"], ["d"])
    let pad = Int64(kernel / 2)
    depthwise.attribute = [
      ONNXBuilder.int("group", Int64(mid)), ONNXBuilder.ints("strides", [Int64(stride), Int64(stride)]),
      ONNXBuilder.ints("pads", [pad, pad, pad, pad]),
    ]
    g.node = [
      ONNXBuilder.node("Conv", ["x", "we", "be"], ["e"]), ONNXBuilder.node("Clip", ["e", "lo", "hi"], ["ec"]),
      depthwise, ONNXBuilder.node("Clip", ["d", "lo", "hi"], ["dc"]),
      ONNXBuilder.node("Conv", ["dc", "wp", "bp"], ["y"]),
    ]
    g.input = [ONNXBuilder.value("x", [batch, channels, height, width].map(Int64.init))]
    g.output = [ONNXBuilder.value("y", nil)]
    return try! ONNXBuilder.model(g).serializedData()
  }
}
