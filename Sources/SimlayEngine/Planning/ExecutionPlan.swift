import Foundation

/// A graph compiled for one input shape: every value's type is known, constants are folded, and each
/// remaining node is a compiled operator reading and writing numbered slots.
final class ExecutionPlan: Sendable {
  struct Step: Sendable {
    let op: any CompiledOperator
    let node: Node
    let inputs: [Int?]
    let outputs: [Int]
  }

  let steps: [Step]
  /// Value names by slot, and the reverse.
  let names: [String]
  let slots: [String: Int]
  let types: [TensorType]
  /// Slots whose values are known at plan time.
  let constants: [Int: Tensor]
  /// Slot of each graph input.
  let inputSlots: [String: Int]
  /// For each slot, the last step that reads it (-1: never read), so values can be freed early.
  let lastUse: [Int]
  /// Slots of names that are initializers (weights), which are not "layers".
  let weightSlots: Set<Int>

  /// Compiles `graph` for the given input types. Throws naming the node for unsupported ops and the
  /// tensor for shape mismatches.
  init(graph: Graph, inputTypes: [String: TensorType]) throws {
    var names: [String] = []
    var slots: [String: Int] = [:]
    var types: [TensorType] = []
    var constants: [Int: Tensor] = [:]
    func slot(_ name: String, _ type: TensorType) -> Int {
      if let s = slots[name] { return s }
      names.append(name)
      types.append(type)
      slots[name] = names.count - 1
      return names.count - 1
    }
    var inputSlots: [String: Int] = [:]
    for (name, type) in inputTypes { inputSlots[name] = slot(name, type) }
    var weightSlots = Set<Int>()
    for (name, tensor) in graph.initializers where inputSlots[name] == nil {
      let s = slot(name, tensor.type)
      constants[s] = tensor
      weightSlots.insert(s)
    }

    var steps: [Step] = []
    let context = ExecutionContext(threads: 1)
    for node in graph.nodes {
      guard node.domain.isEmpty || node.domain == "ai.onnx" else {
        throw EngineError(
          .unsupportedOperator, "\(node.label) is in operator domain '\(node.domain)', which Simlay does not support")
      }
      guard let factory = OperatorRegistry.factories[node.opType] else {
        throw EngineError(.unsupportedOperator, "unsupported operator '\(node.opType)' in node '\(node.name)'")
      }
      let inputSlotList: [Int?] = try node.inputs.map { name in
        if name.isEmpty { return nil }
        guard let s = slots[name] else {
          throw EngineError(.invalidModel, "\(node.label) reads tensor '\(name)', which is not produced before it")
        }
        return s
      }
      let ctx = OperatorContext(
        node: node, inputTypes: inputSlotList.map { $0.map { types[$0] } },
        constants: inputSlotList.map { $0.flatMap { constants[$0] } }, opset: graph.opset)
      let op = try factory(ctx)
      // Every value is bounded before anything allocates it (folding below runs the op) or derives shapes
      // from it, so an untrusted file cannot make a later step overflow or exhaust memory.
      for (name, type) in zip(node.outputs, op.outputTypes) where !name.isEmpty {
        try EngineLimits.checkSize(
          type.shape, elementBytes: type.dataType == .int64 ? 8 : 4, "output '\(name)' of \(node.label)")
      }
      guard op.outputTypes.count >= node.outputs.filter({ !$0.isEmpty }).count else {
        throw ctx.error(
          .invalidModel, "declares \(node.outputs.count) outputs, the operator produces \(op.outputTypes.count)")
      }
      let outSlots = zip(node.outputs, op.outputTypes).filter { !$0.0.isEmpty }.map { slot($0.0, $0.1) }
      let outIndex = zip(node.outputs, op.outputTypes).enumerated().filter { !$0.element.0.isEmpty }.map(\.offset)

      // Fold: constant-output operators, and any node whose inputs are all known now.
      let allConstant = inputSlotList.allSatisfy { $0 == nil || constants[$0!] != nil }
      if let fixed = op as? any ConstantOperator {
        for (s, i) in zip(outSlots, outIndex) { constants[s] = fixed.constantOutputs[i] }
      } else if allConstant && !inputSlotList.isEmpty {
        let values = try op.run(inputSlotList.map { $0.flatMap { constants[$0] } }, context)
        for (s, i) in zip(outSlots, outIndex) { constants[s] = values[i] }
      } else {
        steps.append(Step(op: op, node: node, inputs: inputSlotList, outputs: outSlots))
      }
    }

    var lastUse = [Int](repeating: -1, count: names.count)
    for (i, step) in steps.enumerated() {
      for case let s? in step.inputs { lastUse[s] = i }
    }
    self.steps = steps
    self.names = names
    self.slots = slots
    self.types = types
    self.constants = constants
    self.inputSlots = inputSlots
    self.lastUse = lastUse
    self.weightSlots = weightSlots
  }

  /// The steps that `keep` depends on, and for each slot the last of them that reads it (-1: none).
  /// Why: a query at a middle layer needs only the steps up to it; the whole plan ran every time, so a first
  /// Similarity at EfficientNet-Lite0's blocks.10 paid for blocks 11-15 and the head as well.
  func schedule(keep keepSlots: Set<Int>) -> (needed: [Bool], lastUse: [Int]) {
    var wanted = [Bool](repeating: false, count: names.count)
    for s in keepSlots { wanted[s] = true }
    var needed = [Bool](repeating: false, count: steps.count)
    for i in steps.indices.reversed() where steps[i].outputs.contains(where: { wanted[$0] }) {
      needed[i] = true
      for case let s? in steps[i].inputs { wanted[s] = true }
    }
    if needed.allSatisfy({ $0 }) { return (needed, self.lastUse) }
    var lastUse = [Int](repeating: -1, count: names.count)
    for (i, step) in steps.enumerated() where needed[i] {
      for case let s? in step.inputs { lastUse[s] = i }
    }
    return (needed, lastUse)
  }

  /// Runs the steps that the values named in `keep` (any slot, including constants) depend on, and returns
  /// those values only; every other intermediate is freed as soon as its last reader has run. Throws
  /// `CancellationError`, with nothing returned, when `context.shouldStop` says so before a step.
  func run(inputs: [String: Tensor], keep: Set<String>, context: ExecutionContext) throws -> [String: Tensor] {
    var values = [Tensor?](repeating: nil, count: names.count)
    for (name, tensor) in inputs {
      guard let s = inputSlots[name] else { throw EngineError(.invalidInput, "the model has no input '\(name)'") }
      guard tensor.type == types[s] else {
        throw EngineError(.invalidInput, "input '\(name)' is \(tensor.type), the plan expects \(types[s])")
      }
      values[s] = tensor
    }
    let keepSlots = Set(keep.compactMap { slots[$0] })
    let (needed, lastUse) = schedule(keep: keepSlots)
    context.configureBLAS()
    let clock = ContinuousClock()
    var timings: [String: Duration] = [:]
    for (i, step) in steps.enumerated() where needed[i] {
      if let stop = context.shouldStop, stop() { throw CancellationError() }
      let args: [Tensor?] = step.inputs.map { s in s.flatMap { values[$0] ?? constants[$0] } }
      let started = context.profile ? clock.now : nil
      let outputs = try step.op.run(args, context)
      if let started {
        timings[Self.profileKey(step, shapes: context.profileShapes), default: .zero] += clock.now - started
      }
      for (s, t) in zip(step.outputs, outputs) where lastUse[s] >= 0 || keepSlots.contains(s) { values[s] = t }
      for case let s? in step.inputs where lastUse[s] == i && !keepSlots.contains(s) { values[s] = nil }
    }
    if context.profile { Self.report(timings) }
    var result: [String: Tensor] = [:]
    for s in keepSlots {
      if let v = values[s] ?? constants[s] { result[names[s]] = v }
    }
    return result
  }
}

extension ExecutionPlan {
  /// The profiler's key for a step: the operator kind (and the convolution's kernel path), plus with
  /// `shapes` its output shape and window.
  static func profileKey(_ step: Step, shapes: Bool) -> String {
    var key = step.node.opType
    if let conv = step.op as? Conv {
      key += ".\(conv.kind)" + (shapes ? "\(conv.outputTypes[0].shape)k\(conv.window.kH)s\(conv.window.strideH)" : "")
    }
    if let block = step.op as? DepthwiseBlock, shapes {
      key +=
        "\(block.expand.outputTypes[0].shape)k\(block.depthwise.window.kH)s\(block.depthwise.window.strideH)->\(block.outputTypes[0].shape[1])"
    }
    if let mm = step.op as? MatMul, shapes { key += "[\(mm.batchOffsets.count)x \(mm.m)x\(mm.k) * \(mm.k)x\(mm.n)]" }
    return key
  }

  /// Prints one run's timings to stderr, slowest first.
  static func report(_ timings: [String: Duration]) {
    let lines = timings.sorted { $0.value > $1.value }.map {
      "\($0.key): \(String(format: "%.2f", Double($0.value.components.attoseconds) / 1e15 + Double($0.value.components.seconds) * 1e3)) ms"
    }
    FileHandle.standardError.write(Data(("profile: " + lines.joined(separator: ", ") + "\n").utf8))
  }
}
