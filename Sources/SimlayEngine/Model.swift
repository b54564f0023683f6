import Foundation
import SwiftProtobuf
import Synchronization

/// A loaded ONNX model, ready to run on any input shape its graph allows.
///
/// Loading validates every node (unknown operators are refused, naming the op and the node) and, when the
/// input size is known, infers every intermediate shape. Execution plans are compiled per input shape
/// and cached; a `Model` is safe to share between threads.
public final class Model: Sendable {
  /// The graph input an image feeds (the first non-initializer input).
  public let input: ValueInfo
  /// Every graph input that is not an initializer, in the file's order.
  public let inputs: [ValueInfo]
  /// Names of the graph outputs.
  public let outputNames: [String]
  /// The graph outputs as declared.
  public let outputs: [ValueInfo]
  /// The file's `metadata_props`.
  public let metadata: [String: String]
  /// Operator-set version of the default domain.
  public let opset: Int

  let graph: Graph
  let fused: (graph: Graph, eliminated: Set<String>)
  /// Tensors that depthwise-block fusion hides when nobody keeps them (see Fusion.fuseDepthwiseBlocks).
  let blockIntermediates: Set<String>
  private let plans = Mutex<[PlanKey: ExecutionPlan]>([:])

  private struct PlanKey: Hashable {
    var shapes: [[Int]]
    var fused: Bool
    /// Depthwise-block fusion (ExecutionContext.blockFusion).
    var blocks: Bool
    /// Kept tensors that must stay outside fused blocks (sorted).
    var unfusedBlocks: [String]
  }

  /// Bytes of the file's weights (its initializer tensors) that this model holds: what a second copy of
  /// the model would cost again, and what the daemon counts against its model budget.
  public var weightBytes: Int { graph.initializers.values.reduce(0) { $0 + $1.byteCount } }

  /// Loads a model file.
  public convenience init(contentsOf path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
      throw EngineError(.io, "model file '\(path)' does not exist")
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= EngineLimits.maxModelFileBytes else {
      throw EngineError(
        .invalidModel, "model file '\(path)' has \(size) bytes, beyond ONNX's limit of 2 GiB for one file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw EngineError(.io, "cannot read model file '\(path)'")
    }
    try self.init(serialized: data, origin: path)
  }

  /// Loads a model from the bytes of an .onnx file; `origin` (a path) prefixes error messages.
  /// `fixedInputs` turns graph inputs into constants (as ONNX's test cases need, which pass weights and
  /// shapes as inputs).
  public init(serialized data: Data, origin: String = "model", fixedInputs: [String: Tensor] = [:]) throws {
    let proto: Onnx_ModelProto
    do {
      proto = try Onnx_ModelProto(serializedBytes: data)
    } catch {
      throw EngineError(.invalidModel, "\(origin): not a valid ONNX model (protobuf decoding failed: \(error))")
    }
    var graph: Graph
    do {
      graph = try ONNXImport.graph(from: proto)
    } catch let e as EngineError {
      throw EngineError(e.code, "\(origin): \(e.message)")
    }
    for (name, value) in fixedInputs {
      graph.initializers[name] = value
      graph.inputs.removeAll { $0.name == name }
    }
    guard let input = graph.inputs.first else { throw EngineError(.invalidModel, "\(origin): the graph has no input") }
    for node in graph.nodes where OperatorRegistry.factories[node.opType] == nil || node.opType.hasPrefix("_") {
      throw EngineError(
        .unsupportedOperator,
        "unsupported operator '\(node.opType)' in node '\(node.name)' (supported: \(OperatorRegistry.supported.joined(separator: ", ")))"
      )
    }
    self.graph = graph
    self.fused = Fusion.fuseActivations(graph)
    let blocks = Fusion.fuseDepthwiseBlocks(fused.graph, keep: [])
    self.blockIntermediates = blocks.eliminated.union(Fusion.fuseChannelScales(blocks.graph, keep: []).eliminated)
    self.input = input
    self.inputs = graph.inputs
    self.outputNames = graph.outputs.map(\.name)
    self.outputs = graph.outputs
    self.metadata = Dictionary(proto.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    self.opset = graph.opset
    // Validate at the batch the file declares (1 when symbolic): a graph may depend on it (LayerNormalization
    // over axis 0), and the file's own size must load.
    if graph.inputs.count == 1, let shape = defaultInputShape(batch: input.shape?.first.flatMap { $0 } ?? 1) {
      do {
        _ = try plan(for: [shape], fused: true)
      } catch let e as EngineError {
        throw EngineError(e.code, "\(origin): \(e.message)")
      }
    }
  }

  /// The input shape [N, C, H, W] for a batch, from the declared input dims, or from the converter's
  /// `simlay.input_size` metadata where the dims are symbolic. Nil when neither says.
  public func defaultInputShape(batch: Int) -> [Int]? {
    guard let dims = input.shape, dims.count == 4 else { return nil }
    var shape = dims.map { $0 ?? 0 }
    shape[0] = batch
    if shape[1] == 0 { shape[1] = 3 }
    if shape[2] == 0 || shape[3] == 0, let size = metadata["simlay.input_size"] {
      let hw = size.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
      if hw.count == 2 {
        shape[2] = hw[0]
        shape[3] = hw[1]
      }
    }
    return shape.allSatisfy { $0 > 0 } ? shape : nil
  }

  /// Checks `shape` against the declared input dims (symbolic dims accept any size; the batch is free).
  func validateInputShape(_ shape: [Int], of input: ValueInfo) throws {
    guard let dims = input.shape else { return }
    guard dims.count == shape.count else {
      throw EngineError(
        .invalidInput,
        "input '\(input.name)' has rank \(dims.count) (\(dims.map { $0.map(String.init) ?? "?" })), got shape \(shape)")
    }
    for (i, (d, s)) in zip(dims, shape).enumerated() where i > 0 || inputs.count > 1 {
      if let d, d != s {
        throw EngineError(.invalidInput, "input '\(input.name)' needs dimension \(i) = \(d), got shape \(shape)")
      }
    }
  }

  /// Bounds an input shape: images at most `EngineLimits.maxInputSide` on a side, any input within the
  /// per-tensor budget.
  static func checkInputSize(_ shape: [Int], of input: ValueInfo) throws {
    if shape.count == 4, shape[2] > EngineLimits.maxInputSide || shape[3] > EngineLimits.maxInputSide {
      throw EngineError(
        .invalidInput,
        "input '\(input.name)' of \(shape[2])x\(shape[3]) exceeds the limit of \(EngineLimits.maxInputSide) pixels per side (EngineLimits.maxInputSide)"
      )
    }
    do {
      try EngineLimits.checkSize(shape, "input '\(input.name)'")
    } catch let e as EngineError {
      throw EngineError(.invalidInput, e.message)
    }
  }

  func plan(
    for shapes: [[Int]], types: [DataType]? = nil, fused useFused: Bool, blockFusion: Bool = true,
    keep: Set<String> = []
  ) throws -> ExecutionPlan {
    let unfused = keep.intersection(blockIntermediates).sorted()
    let blocks = useFused && blockFusion
    let key = PlanKey(shapes: shapes, fused: useFused, blocks: blocks, unfusedBlocks: blocks ? unfused : [])
    if let p = plans.withLock({ $0[key] }) { return p }
    guard shapes.count == inputs.count else {
      throw EngineError(
        .invalidInput,
        "the model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))), got \(shapes.count)")
    }
    var inputTypes: [String: TensorType] = [:]
    for (i, (info, shape)) in zip(inputs, shapes).enumerated() {
      try validateInputShape(shape, of: info)
      try Self.checkInputSize(shape, of: info)
      inputTypes[info.name] = TensorType(types?[i] ?? info.dataType ?? .float32, shape)
    }
    var planned = useFused ? fused.graph : graph
    if blocks {
      planned = Fusion.fuseDepthwiseBlocks(planned, keep: Set(unfused)).graph
      planned = Fusion.fuseChannelScales(planned, keep: Set(unfused)).graph
    }
    let plan = try ExecutionPlan(graph: planned, inputTypes: inputTypes)
    plans.withLock { $0[key] = plan }
    return plan
  }

  /// Runs the model on an NCHW float input and returns the tensors named in `keep` (graph outputs are
  /// returned only when named). Unknown names are an error that lists close matches.
  public func run(_ input: Tensor, keep: [String], context: ExecutionContext = ExecutionContext()) throws -> [String:
    Tensor]
  {
    guard input.dataType == .float32 else { throw EngineError(.invalidInput, "the input must be float32") }
    return try run(inputs: [self.input.name: input], keep: keep, context: context)
  }

  /// Runs a model with several inputs (by name; every graph input must be given).
  public func run(inputs given: [String: Tensor], keep: [String], context: ExecutionContext = ExecutionContext()) throws
    -> [String: Tensor]
  {
    let ordered = try inputs.map { info in
      guard let t = given[info.name] else { throw EngineError(.invalidInput, "input '\(info.name)' is missing") }
      return t
    }
    let keepSet = Set(keep)
    let useFused = keepSet.isDisjoint(with: fused.eliminated)
    let plan = try plan(
      for: ordered.map(\.shape), types: ordered.map(\.dataType), fused: useFused,
      blockFusion: context.blockFusion, keep: keepSet)
    for name in keep where plan.slots[name] == nil {
      throw EngineError(.unknownTensor, "unknown layer '\(name)'\(Self.suggestions(for: name, in: plan.names))")
    }
    return try plan.run(inputs: given, keep: keepSet, context: context)
  }

  /// The activations of the graph (the input and every float tensor computed from it) with their
  /// shapes, in execution order, for an input of `shape`. Weights, constants and whatever is computed
  /// from them alone (Identity on an initializer, shape arithmetic, Constant scalars) are folded at
  /// plan time and are not layers.
  public func layers(inputShape shape: [Int]) throws -> [LayerInfo] {
    let plan = try plan(for: [shape], fused: false)
    let inputHW = shape.count == 4 ? (shape[2], shape[3]) : (0, 0)
    return plan.names.indices.filter { plan.constants[$0] == nil && plan.types[$0].dataType == .float32 }
      .map { LayerInfo(name: plan.names[$0], shape: plan.types[$0].shape, inputSize: inputHW) }
  }

  /// " (close names: a, b, c)" for the names closest to `name`.
  public static func suggestions(for name: String, in names: [String]) -> String {
    let close = names.map { ($0, editDistance($0, name)) }.sorted { $0.1 < $1.1 }.prefix(5).map(\.0)
    return close.isEmpty ? "" : " (close names: \(close.joined(separator: ", ")))"
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var prev = row[0]
      row[0] = i
      for j in stride(from: 1, through: b.count, by: 1) {
        let cur = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return row[b.count]
  }
}

/// Reading ONNX TensorProto files (the `input_0.pb` files of ONNX's test data).
public enum ONNXTensorFile {
  /// Decodes a serialized TensorProto.
  public static func read(_ path: String) throws -> Tensor {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= EngineLimits.maxModelFileBytes else {
      throw EngineError(
        .invalidModel, "model file '\(path)' has \(size) bytes, beyond ONNX's limit of 2 GiB for one file")
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw EngineError(.io, "cannot read '\(path)'") }
    do {
      return try ONNXImport.tensor(from: Onnx_TensorProto(serializedBytes: data))
    } catch let e as EngineError {
      throw e
    } catch {
      throw EngineError(.invalidModel, "\(path): not a TensorProto (\(error))")
    }
  }

  /// The ONNX element type name of a serialized TensorProto (FLOAT, INT64, UINT8...).
  public static func elementTypeName(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path),
      let proto = try? Onnx_TensorProto(serializedBytes: data)
    else { return nil }
    return ONNXImport.typeNames[proto.dataType] ?? "type \(proto.dataType)"
  }
}
