/// A node compiled for known input types: it knows its output types and runs many times.
///
/// Compilation happens once per execution plan (one per input shape), so work that depends only on
/// attributes, constant inputs and shapes (pads, output sizes, packed weights) is done in the factory.
protocol CompiledOperator: Sendable {
  /// The types of the node's outputs, in order.
  var outputTypes: [TensorType] { get }
  /// Computes the outputs. `inputs` has one entry per node input; omitted optional inputs are nil.
  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor]
}

/// Operators whose outputs are known at plan time without running (Shape, Constant).
protocol ConstantOperator: CompiledOperator {
  var constantOutputs: [Tensor] { get }
}

/// What a factory knows about a node when compiling it.
struct OperatorContext {
  let node: Node
  /// Types of the inputs (nil for omitted optional inputs).
  let inputTypes: [TensorType?]
  /// Values of inputs known at plan time (initializers, folded constants).
  let constants: [Tensor?]
  /// Operator-set version of the default domain.
  let opset: Int

  var inputCount: Int { inputTypes.count }

  /// Whether input `i` is present.
  func has(_ i: Int) -> Bool { i < inputTypes.count && inputTypes[i] != nil }

  /// The type of a required input.
  func type(_ i: Int) throws -> TensorType {
    guard i < inputTypes.count, let t = inputTypes[i] else {
      throw EngineError(.invalidModel, "\(node.label) is missing its input #\(i)")
    }
    return t
  }

  /// The type of a required float input.
  func floatType(_ i: Int) throws -> TensorType {
    let t = try type(i)
    guard t.dataType == .float32 else {
      throw EngineError(
        .unsupportedOperator, "\(node.label) input '\(node.inputs[i])' is \(t.dataType), expected float32")
    }
    return t
  }

  /// A constant input's value, or nil when absent or only known at run time.
  func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }

  /// A required plan-time constant (weights, shapes).
  func requireConstant(_ i: Int, _ what: String) throws -> Tensor {
    guard let c = constant(i) else {
      throw EngineError(
        .unsupportedOperator,
        "\(node.label): \(what) (input '\(i < node.inputs.count ? node.inputs[i] : "#\(i)")') must be a constant; Simlay does not support it computed at run time"
      )
    }
    return c
  }

  /// An error naming this node.
  func error(_ code: EngineError.Code, _ text: String) -> EngineError {
    EngineError(code, "\(node.label): \(text)")
  }

  /// A shape error naming the tensor at input `i`.
  func shapeError(input i: Int, _ text: String) -> EngineError {
    let name = i < node.inputs.count ? node.inputs[i] : "#\(i)"
    return EngineError(.shapeMismatch, "tensor '\(name)' (input of \(node.label)) \(text)")
  }
}

/// Builds a compiled operator for a node.
typealias OperatorFactory = @Sendable (OperatorContext) throws -> any CompiledOperator

/// The operators the engine implements, keyed by ONNX `op_type`.
package enum OperatorRegistry {
  static let factories: [String: OperatorFactory] = [
    "Conv": Conv.make,
    "BatchNormalization": BatchNormalization.make,
    "Relu": Activation.make, "Clip": Activation.make, "LeakyRelu": Activation.make,
    "Sigmoid": Activation.make, "HardSigmoid": Activation.make, "HardSwish": Activation.make,
    "Add": Binary.make, "Sub": Binary.make, "Mul": Binary.make, "Div": Binary.make,
    "MaxPool": Pool.make, "AveragePool": Pool.make,
    "GlobalAveragePool": GlobalPool.make, "GlobalMaxPool": GlobalPool.make,
    "LRN": LRN.make,
    "Concat": Concat.make,
    "Flatten": Reshaping.make, "Reshape": Reshaping.make, "Squeeze": Reshaping.make,
    "Unsqueeze": Reshaping.make, "Dropout": Reshaping.make, "Identity": Reshaping.make,
    "Transpose": Transpose.make,
    "Gemm": Gemm.make, "MatMul": MatMul.make,
    "Softmax": Softmax.make,
    "Pad": Pad.make,
    "Constant": Constant.make, "Shape": ShapeOp.make, "Gather": Gather.make, "Cast": Cast.make,
    "Slice": Slice.make,
    "Pow": Binary.make, "Max": Binary.make, "Min": Binary.make, "Mod": Binary.make,
    "Erf": Unary.make, "Tanh": Unary.make, "Exp": Unary.make, "Log": Unary.make, "Sqrt": Unary.make,
    "Neg": Unary.make, "Abs": Unary.make, "Reciprocal": Unary.make, "Floor": Unary.make, "Ceil": Unary.make,
    "Round": Unary.make, "Sin": Unary.make, "Cos": Unary.make, "Softplus": Unary.make, "Not": Unary.make,
    "Gelu": Gelu.make,
    "Equal": Comparison.make, "Less": Comparison.make, "LessOrEqual": Comparison.make, "Greater": Comparison.make,
    "GreaterOrEqual": Comparison.make, "And": Comparison.make, "Or": Comparison.make, "Xor": Comparison.make,
    "Where": Where.make, "Expand": Expand.make, "ConstantOfShape": ConstantOfShape.make, "Range": RangeOp.make,
    "ReduceMean": Reduce.make, "ReduceSum": Reduce.make, "ReduceMax": Reduce.make, "ReduceMin": Reduce.make,
    "ReduceProd": Reduce.make, "ReduceL1": Reduce.make, "ReduceL2": Reduce.make, "ReduceSumSquare": Reduce.make,
    "ReduceLogSumExp": Reduce.make,
    "LayerNormalization": LayerNormalization.make, "Split": Split.make, "ScatterND": ScatterND.make,
    Fusion.depthwiseBlockOp: DepthwiseBlock.make, Activation.siluOp: Activation.make,
    Fusion.scaledConvOp: ScaledConv.make,
  ]

  /// The op types the engine runs, sorted.
  package static var supported: [String] { factories.keys.filter { !$0.hasPrefix("_") }.sorted() }
}

/// Runs a closure with the operator outputs known at plan time; used by ConstantOperator conformers.
struct FixedOutputs: ConstantOperator {
  let constantOutputs: [Tensor]
  var outputTypes: [TensorType] { constantOutputs.map(\.type) }
  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] { constantOutputs }
}
