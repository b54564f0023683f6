import SimlayEngine

/// The pieces of an ONNX graph that test models are written from.
package enum ONNXBuilder {
  /// A node named after its first output.
  package static func node(
    _ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto] = []
  ) -> Onnx_NodeProto {
    var n = Onnx_NodeProto()
    (n.opType, n.name, n.input, n.output, n.attribute) = (op, outputs[0], inputs, outputs, attributes)
    return n
  }

  /// An integer attribute.
  package static func int(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    (a.name, a.type, a.i) = (name, .int, value)
    return a
  }

  /// An integer-list attribute.
  package static func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    (a.name, a.type, a.ints) = (name, .ints, values)
    return a
  }

  /// A float tensor value, of these dimensions or of unknown shape (nil).
  package static func value(_ name: String, _ dims: [Int64]?) -> Onnx_ValueInfoProto {
    var v = Onnx_ValueInfoProto()
    v.name = name
    var t = Onnx_TypeProto.Tensor()
    t.elemType = 1
    if let dims {
      t.shape.dim = dims.map { d in
        var x = Onnx_TensorShapeProto.Dimension()
        x.dimValue = d
        return x
      }
    }
    v.type.tensorType = t
    return v
  }

  /// A model of this graph: IR version 8, the default domain at `opset`.
  package static func model(_ graph: Onnx_GraphProto, opset: Int64 = 13) -> Onnx_ModelProto {
    var m = Onnx_ModelProto()
    m.irVersion = 8
    var o = Onnx_OperatorSetIdProto()
    o.version = opset
    m.opsetImport = [o]
    m.graph = graph
    return m
  }
}
