import Foundation
import SimlayEngine
import Testing

/// ONNX's own backend node tests (Debian's libonnx-testdata, or $SIMLAY_ONNX_NODE_TESTS): every case whose
/// graph uses only operators the engine supports must match the expected outputs at the tolerances ONNX's
/// runner uses (rtol 1e-3, atol 1e-7). Cases the engine refuses (a type or attribute value it does not
/// implement) are listed with the reason, and their number is bounded so a regression cannot hide there.
@Suite("ONNX backend node tests")
struct ONNXConformanceTests {
  static let dataDirectory: String? = {
    let candidates = [
      ProcessInfo.processInfo.environment["SIMLAY_ONNX_NODE_TESTS"], "/usr/share/libonnx-testdata/data/node",
    ]
    return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
  }()

  static let supportedOps: Set<String> = [
    "Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Add", "Sub",
    "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LRN", "Concat", "Flatten",
    "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Gemm", "MatMul", "Softmax", "Dropout", "Identity", "Pad",
    "Constant", "Shape", "Gather", "Cast", "Slice",
    "Pow", "Max", "Min", "Mod", "Erf", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Floor", "Ceil",
    "Round", "Sin", "Cos", "Softplus", "Not", "Gelu", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
    "And", "Or", "Xor", "Where", "Expand", "ConstantOfShape", "Range", "ReduceMean", "ReduceSum", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "LayerNormalization",
    "Split", "ScatterND",
  ]

  enum Outcome {
    case passed
    case skipped(String)
    case failed(String)
  }

  /// Op types a case's model uses, read from the protobuf without the engine (so unsupported ones are
  /// seen even when loading would fail).
  static func opTypes(of model: Data) -> Set<String> {
    // NodeProto.op_type is field 4 inside GraphProto.node (field 1) inside ModelProto.graph (field 7).
    var ops = Set<String>()
    for graph in ProtoScan.fields(model, number: 7) {
      for node in ProtoScan.fields(graph, number: 1) {
        for op in ProtoScan.fields(node, number: 4) { ops.insert(String(decoding: op, as: UTF8.self)) }
      }
    }
    return ops
  }

  static func run(case dir: String) -> Outcome {
    guard let data = FileManager.default.contents(atPath: dir + "/model.onnx") else { return .skipped("no model.onnx") }
    let sets = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
      $0.hasPrefix("test_data_set")
    }.sorted()
    let model: Model
    do {
      // Inputs after the first are weights, shapes and axes here; the engine takes those as constants.
      let probe = try Model(serialized: data, origin: (dir as NSString).lastPathComponent)
      var fixed: [String: Tensor] = [:]
      if sets.count == 1 {
        for (i, info) in probe.inputs.enumerated() where i > 0 {
          fixed[info.name] = try ONNXTensorFile.read("\(dir)/\(sets[0])/input_\(i).pb")
        }
      }
      model =
        fixed.isEmpty
        ? probe : try Model(serialized: data, origin: (dir as NSString).lastPathComponent, fixedInputs: fixed)
    } catch let e as EngineError where e.code == .unsupportedOperator || e.code == .invalidModel {
      return .skipped(e.message)
    } catch {
      return .failed("load: \(error)")
    }
    for v in model.inputs + model.outputs where !(v.elementTypeName == "FLOAT" || v.elementTypeName == "INT64") {
      return .skipped(
        "value '\(v.name)' has element type \(v.elementTypeName ?? "?"); the engine computes in float32 and int64")
    }
    for set in sets {
      let base = "\(dir)/\(set)"
      do {
        var inputs: [String: Tensor] = [:]
        for (i, info) in model.inputs.enumerated() {
          inputs[info.name] = try ONNXTensorFile.read("\(base)/input_\(i).pb")
        }
        if model.inputs.isEmpty { inputs = [:] }
        let results = try model.run(inputs: inputs, keep: model.outputNames)
        for (i, name) in model.outputNames.enumerated() {
          let expected = try ONNXTensorFile.read("\(base)/output_\(i).pb")
          guard let got = results[name] else { return .failed("\(set): output '\(name)' missing") }
          guard got.shape == expected.shape else {
            return .failed("\(set): output '\(name)' shape \(got.shape), expected \(expected.shape)")
          }
          let (g, e) = (got.floats, expected.floats)
          for j in 0..<e.count
          where !(abs(g[j] - e[j]) <= 1e-7 + 1e-3 * abs(e[j]) || (g[j].isNaN && e[j].isNaN) || g[j] == e[j]) {
            return .failed("\(set): output '\(name)'[\(j)] = \(g[j]), expected \(e[j])")
          }
        }
      } catch let e as EngineError where e.code == .unsupportedOperator {
        return .skipped(e.message)
      } catch {
        return .failed("\(set): \(error)")
      }
    }
    return .passed
  }

  @Test("every case of a supported op passes")
  func conformance() throws {
    let dir = try #require(
      Self.dataDirectory,
      "ONNX node test data not found: apt-get install libonnx-testdata, or set SIMLAY_ONNX_NODE_TESTS")
    let cases = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("test_") }.sorted()
    var passed: [String] = []
    var skipped: [(String, String)] = []
    var failed: [(String, String)] = []
    for name in cases {
      let path = "\(dir)/\(name)"
      guard let data = FileManager.default.contents(atPath: path + "/model.onnx") else { continue }
      let ops = Self.opTypes(of: data)
      // Only cases whose every operator is one the engine claims: the rest test ops Simlay does not run.
      guard !ops.isEmpty, ops.isSubset(of: Self.supportedOps) else { continue }
      switch Self.run(case: path) {
      case .passed: passed.append(name)
      case .skipped(let why): skipped.append((name, why))
      case .failed(let why): failed.append((name, why))
      }
    }
    print(
      "ONNX node tests: \(passed.count) passed, \(skipped.count) skipped, \(failed.count) failed (of cases using only supported ops)"
    )
    for (name, why) in skipped { print("  skipped \(name): \(why)") }
    for (name, why) in failed { print("  FAILED \(name): \(why)") }
    #expect(failed.isEmpty, "\(failed.count) cases failed: \(failed.map(\.0).joined(separator: ", "))")
    // 320 pass with the operators of issue 10 (162 before them); the bound keeps a regression from hiding as skips.
    #expect(passed.count >= 300, "only \(passed.count) cases passed")
  }
}

/// Minimal protobuf wire-format reader: the length-delimited fields with a given number.
enum ProtoScan {
  static func fields(_ data: Data, number: Int) -> [Data] {
    let bytes = [UInt8](data)
    var out: [Data] = []
    var i = 0
    func varint() -> UInt64? {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while i < bytes.count {
        let b = bytes[i]
        i += 1
        v |= UInt64(b & 0x7f) << shift
        if b & 0x80 == 0 { return v }
        shift += 7
        if shift > 63 { return nil }
      }
      return nil
    }
    while i < bytes.count {
      guard let key = varint() else { break }
      let (field, wire) = (Int(key >> 3), Int(key & 7))
      switch wire {
      case 0: guard varint() != nil else { return out }
      case 1: i += 8
      case 5: i += 4
      case 2:
        guard let len = varint(), i + Int(len) <= bytes.count else { return out }
        if field == number { out.append(Data(bytes[i..<(i + Int(len))])) }
        i += Int(len)
      default: return out
      }
    }
    return out
  }
}
