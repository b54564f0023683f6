import Foundation
import SimlayEngine
import SwiftProtobuf

/// A seeded mutation fuzzer for the ONNX loader: a small valid model using the operators whose attributes
/// and constant inputs size loops and buffers, and mutations of it (byte-level and structural) that an
/// untrusted file could contain. Every mutant must load or be refused with an `EngineError`; one that
/// loads must run or be refused too. A trap (overflow, out-of-range index, failed allocation) fails the
/// test run, which is the point.
public enum LoaderFuzz {
  /// SplitMix64: small, seeded, the same sequence on every platform.
  public struct Generator: RandomNumberGenerator {
    var state: UInt64
    /// A generator started at `seed`.
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  /// What one mutant did.
  public enum Outcome: Equatable, Sendable {
    /// Refused at load time.
    case refused
    /// Loaded, then refused when run.
    case refusedAtRun
    /// Loaded and ran.
    case ran
  }

  /// Values that break careless arithmetic: zero, negatives, powers of two near Int32/Int64 limits.
  static let interesting: [Int64] = [0, 1, 2, 3, -1, -2, 7, 1 << 31, 1 << 32, 1 << 40, 1 << 62, .max, .min, -(1 << 40)]

  /// The seed model's bytes: x [1, 3, 8, 8] -> Conv -> Relu -> MaxPool -> Pad -> Slice -> Concat ->
  /// BatchNormalization -> Transpose -> Reshape -> Gemm -> Softmax; GlobalAveragePool -> Unsqueeze and
  /// Squeeze; LRN -> AveragePool -> Flatten -> MatMul -> Clip; Shape -> Gather.
  public static func seedModel() -> Data {
    try! seedProto().serializedData()
  }

  static func seedProto() -> Onnx_ModelProto {
    func floats(_ name: String, _ dims: [Int64]) -> Onnx_TensorProto {
      var t = Onnx_TensorProto()
      t.name = name
      t.dataType = 1
      t.dims = dims
      let n = Int(dims.reduce(1, *))
      t.floatData = (0..<n).map { Float(($0 * 7919) % 17) / 17 - 0.4 }
      return t
    }
    func ints(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
      var t = Onnx_TensorProto()
      t.name = name
      t.dataType = 7
      t.dims = [Int64(values.count)]
      t.int64Data = values
      return t
    }
    func attr(_ name: String, _ v: [Int64]) -> Onnx_AttributeProto {
      var a = Onnx_AttributeProto()
      a.name = name
      if v.count == 1 {
        a.type = .int
        a.i = v[0]
      } else {
        a.type = .ints
        a.ints = v
      }
      return a
    }
    func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto] = [])
      -> Onnx_NodeProto
    { ONNXBuilder.node(op, inputs, outputs, attributes) }
    let value = ONNXBuilder.value
    var g = Onnx_GraphProto()
    g.name = "seed"
    g.initializer = [
      floats("w", [4, 3, 3, 3]), floats("b", [4]), ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]),
      ints("starts", [1, 1]), ints("ends", [5, .max]), ints("axes", [2, 3]),
      floats("scale", [8]), floats("bias", [8]), floats("mean", [8]), floats("var", [8]),
      ints("shape", [1, -1]), floats("gw", [160, 5]), floats("gb", [5]), ints("uaxes", [0]),
      ints("gidx", [2]), floats("mw", [256, 4]), ints("saxes", [2, 3]), floats("cmin", []),
    ]
    g.node = [
      node(
        "Conv", ["x", "w", "b"], ["c1"],
        [attr("pads", [1, 1, 1, 1]), attr("strides", [1, 1]), attr("kernel_shape", [3, 3])]),
      node("Relu", ["c1"], ["r1"]),
      node("MaxPool", ["r1"], ["p1"], [attr("kernel_shape", [2, 2]), attr("strides", [2, 2])]),
      node("Pad", ["p1", "pads"], ["pd"]),
      node("Slice", ["pd", "starts", "ends", "axes"], ["sl"]),
      node("Concat", ["sl", "sl"], ["cc"], [attr("axis", [1])]),
      node("BatchNormalization", ["cc", "scale", "bias", "mean", "var"], ["bn"]),
      node("Transpose", ["bn"], ["tr"], [attr("perm", [0, 1, 3, 2])]),
      node("Reshape", ["tr", "shape"], ["fl"]),
      node("Gemm", ["fl", "gw", "gb"], ["gm"]),
      node("Softmax", ["gm"], ["y"], [attr("axis", [1])]),
      node("GlobalAveragePool", ["cc"], ["gp"]),
      node("Unsqueeze", ["gp", "uaxes"], ["un"]),
      node("Shape", ["c1"], ["shp"]),
      node("Gather", ["shp", "gidx"], ["dim2"], [attr("axis", [0])]),
      node("LRN", ["r1"], ["lrn"], [attr("size", [3])]),
      node(
        "AveragePool", ["lrn"], ["ap"],
        [attr("kernel_shape", [3, 3]), attr("pads", [1, 1, 1, 1]), attr("count_include_pad", [1])]),
      node("Flatten", ["ap"], ["f2"], [attr("axis", [1])]),
      node("MatMul", ["f2", "mw"], ["mm"]),
      node("Clip", ["mm", "cmin"], ["cl"]),
      node("Squeeze", ["gp", "saxes"], ["sq"]),
    ]
    g.input = [value("x", [1, 3, 8, 8])]
    g.output = [value("y", nil), value("un", nil), value("cl", nil), value("sq", nil), value("dim2", nil)]
    return ONNXBuilder.model(g)
  }

  /// One mutant of the seed: 1-3 structural edits, or a byte-level edit of the serialized file.
  public static func mutant(_ rng: inout Generator) -> Data {
    var proto = seedProto()
    if Int.random(in: 0..<10, using: &rng) < 3 {
      var bytes = [UInt8](try! proto.serializedData())
      mutateBytes(&bytes, &rng)
      return Data(bytes)
    }
    for _ in 0..<Int.random(in: 1...3, using: &rng) { mutateStructure(&proto, &rng) }
    return (try? proto.serializedData()) ?? Data()
  }

  static func mutateBytes(_ bytes: inout [UInt8], _ rng: inout Generator) {
    let i = Int.random(in: 0..<bytes.count, using: &rng)
    switch Int.random(in: 0..<5, using: &rng) {
    case 0: bytes[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
    case 1: bytes[i] = [0x00, 0xFF, 0x80, 0x7F][Int.random(in: 0..<4, using: &rng)]
    case 2: bytes.removeSubrange(i...)
    case 3:
      bytes.insert(
        contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
    default: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 16)], at: i)
    }
  }

  static func mutateStructure(_ m: inout Onnx_ModelProto, _ rng: inout Generator) {
    func pick<T>(_ a: [T]) -> Int { Int.random(in: 0..<a.count, using: &rng) }
    let v = interesting[pick(interesting)]
    var g = m.graph
    let names = g.node.flatMap(\.output) + g.initializer.map(\.name) + ["x", "", "nowhere"]
    switch Int.random(in: 0..<9, using: &rng) {
    case 0:  // an initializer's dimension
      let t = pick(g.initializer)
      if !g.initializer[t].dims.isEmpty { g.initializer[t].dims[pick(g.initializer[t].dims)] = v }
    case 1:  // an int64 initializer's value (pads, Slice bounds, Reshape target, axes)
      let t = pick(g.initializer)
      if !g.initializer[t].int64Data.isEmpty { g.initializer[t].int64Data[pick(g.initializer[t].int64Data)] = v }
    case 2:  // an attribute value
      let n = pick(g.node)
      guard !g.node[n].attribute.isEmpty else { break }
      let a = pick(g.node[n].attribute)
      if g.node[n].attribute[a].ints.isEmpty {
        g.node[n].attribute[a].i = v
      } else {
        g.node[n].attribute[a].ints[pick(g.node[n].attribute[a].ints)] = v
      }
    case 3:  // rewire an input (cycles, dangling names, wrong shapes)
      let n = pick(g.node)
      g.node[n].input[pick(g.node[n].input)] = names[pick(names)]
    case 4:  // another operator on the same wiring
      g.node[pick(g.node)].opType = OperatorRegistry.supported[pick(OperatorRegistry.supported)]
    case 5:  // the input's declared dimensions
      if !g.input[0].type.tensorType.shape.dim.isEmpty {
        g.input[0].type.tensorType.shape.dim[pick(g.input[0].type.tensorType.shape.dim)].dimValue = v
      }
    case 6:  // an element type, or data that does not fit the shape
      let t = pick(g.initializer)
      if Bool.random(using: &rng) {
        g.initializer[t].dataType = Int32.random(in: 0...17, using: &rng)
      } else {
        g.initializer[t].floatData.removeLast(min(g.initializer[t].floatData.count, 1))
        g.initializer[t].rawData = Data(repeating: 1, count: Int.random(in: 0...9, using: &rng))
      }
    case 7:  // drop, or duplicate, a node
      let n = pick(g.node)
      if Bool.random(using: &rng) { g.node.remove(at: n) } else { g.node.insert(g.node[n], at: pick(g.node)) }
    default:  // a new attribute on a node that may not expect it
      var a = Onnx_AttributeProto()
      a.name =
        ["pads", "strides", "kernel_shape", "dilations", "axis", "group", "perm", "auto_pad"][
          Int.random(in: 0..<8, using: &rng)]
      if a.name == "auto_pad" {
        a.type = .string
        a.s = Data(["SAME_UPPER", "VALID", "X"][Int.random(in: 0..<3, using: &rng)].utf8)
      } else {
        a.type = .ints
        a.ints = (0..<Int.random(in: 0...4, using: &rng)).map { _ in interesting[pick(interesting)] }
      }
      g.node[pick(g.node)].attribute.append(a)
    }
    m.graph = g
  }

  /// The seed with initializer `name`'s dims replaced (its data left as it was).
  public static func seedModelWithInitializerDims(_ name: String, _ dims: [Int64]) -> Data {
    var m = seedProto()
    for i in m.graph.initializer.indices where m.graph.initializer[i].name == name {
      m.graph.initializer[i].dims = dims
    }
    return try! m.serializedData()
  }

  /// x -> Relu -> t0 -> Identity x n -> t<n>, the Identity nodes listed in reverse order.
  public static func identityChain(_ n: Int) -> Data {
    var m = seedProto()
    func node(_ op: String, _ input: String, _ output: String) -> Onnx_NodeProto {
      var p = Onnx_NodeProto()
      (p.opType, p.name, p.input, p.output) = (op, output, [input], [output])
      return p
    }
    m.graph.initializer = []
    m.graph.input[0].type.tensorType.shape.dim[2].dimValue = 4
    m.graph.input[0].type.tensorType.shape.dim[3].dimValue = 4
    m.graph.node = [node("Relu", "x", "t0")] + (0..<n).reversed().map { node("Identity", "t\($0)", "t\($0 + 1)") }
    m.graph.output = [m.graph.input[0]]
    m.graph.output[0].name = "t\(n)"
    return try! m.serializedData()
  }

  /// The seed with Relu reading Softmax's output: Conv -> Relu -> ... -> Softmax -> Relu, a cycle.
  public static func cyclicModel() -> Data {
    var m = seedProto()
    m.graph.node[1].input = ["y"]
    return try! m.serializedData()
  }

  /// Loads `data` and, when it loads, runs it once on its default input, keeping every output.
  public static func exercise(_ data: Data) -> Outcome {
    let model: Model
    do { model = try Model(serialized: data, origin: "mutant") } catch { return .refused }
    do {
      guard let shape = model.defaultInputShape(batch: 1), model.inputs.count == 1 else { return .refusedAtRun }
      let input = Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float($0 % 13) / 13 })
      _ = try model.run(input, keep: model.outputNames)
      return .ran
    } catch {
      return .refusedAtRun
    }
  }
}
