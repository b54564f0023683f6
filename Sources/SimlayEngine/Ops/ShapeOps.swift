/// Constant: a value from its attribute.
enum Constant {
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let a = ctx.node.attributes
    let value: Tensor
    switch (a["value"], a["value_float"], a["value_floats"], a["value_int"], a["value_ints"]) {
    case (.tensor(let t)?, _, _, _, _): value = t
    case (_, .float(let f)?, _, _, _): value = Tensor(shape: [], floats: [f])
    case (_, _, .floats(let f)?, _, _): value = Tensor(shape: [f.count], floats: f)
    case (_, _, _, .int(let i)?, _): value = Tensor(shape: [], int64s: [Int64(i)])
    case (_, _, _, _, .ints(let i)?): value = Tensor(shape: [i.count], int64s: i.map(Int64.init))
    default: throw ctx.error(.unsupportedOperator, "only tensor, float(s) and int(s) values are supported")
    }
    return FixedOutputs(constantOutputs: [value])
  }
}

/// Shape: the input's dimensions (optionally a start..<end slice of them), known at plan time.
enum ShapeOp {
  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let shape = try ctx.type(0).shape
    let r = shape.count
    func clampAxis(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + r : v, 0), r) }
    let start = clampAxis(ctx.node.int("start", default: 0))
    let end = clampAxis(ctx.node.int("end", default: r))
    let dims = start < end ? Array(shape[start..<end]) : []
    return FixedOutputs(constantOutputs: [Tensor(shape: [dims.count], int64s: dims.map(Int64.init))])
  }
}

/// Cast between the engine's two element types. Float-like targets (FLOAT, DOUBLE, FLOAT16, BFLOAT16) give
/// float32, integer and BOOL targets int64 (BOOL as 0/1), the way the importer stores such tensors.
struct Cast: CompiledOperator {
  let outputTypes: [TensorType]
  let toBool: Bool

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let t = try ctx.type(0)
    let to = Int32(ctx.node.int("to", default: 0))
    let type: DataType
    switch to {
    case 1, 10, 11, 16: type = .float32
    case 2, 3, 4, 5, 6, 7, 9, 12, 13: type = .int64
    default:
      throw ctx.error(
        .unsupportedOperator,
        "cast to \(ONNXImport.typeNames[to] ?? "type \(to)") is not supported (only numbers and BOOL)")
    }
    return Cast(outputTypes: [TensorType(type, t.shape)], toBool: to == 9)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let x = inputs[0]!
    if toBool {
      return [
        Tensor(
          shape: x.shape,
          int64s: x.dataType == .int64 ? x.int64s.map { $0 != 0 ? 1 : 0 } : x.floats.map { $0 != 0 ? 1 : 0 })
      ]
    }
    if x.dataType == outputTypes[0].dataType { return [x] }
    if outputTypes[0].dataType == .float32 { return [Tensor(shape: x.shape, floats: x.floats)] }
    // Truncation toward zero, as C casts do; out-of-range values (undefined in ONNX) saturate instead of trapping.
    return [
      Tensor(
        shape: x.shape,
        int64s: x.floats.map { $0.isFinite ? ($0 >= 9.2e18 ? .max : $0 <= -9.2e18 ? .min : Int64($0)) : 0 })
    ]
  }
}

/// Gather along an axis with int64 indices (negative counts from the end).
struct Gather: CompiledOperator {
  let outputTypes: [TensorType]
  let axis: Int

  static func make(_ ctx: OperatorContext) throws -> any CompiledOperator {
    let (data, indices) = (try ctx.type(0), try ctx.type(1))
    guard indices.dataType == .int64 else { throw ctx.shapeError(input: 1, "must hold integer indices") }
    var axis = ctx.node.int("axis", default: 0)
    if axis < 0 { axis += data.shape.count }
    guard axis >= 0 && axis < data.shape.count else {
      throw ctx.error(.invalidModel, "axis out of range for shape \(data.shape)")
    }
    let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
    return Gather(outputTypes: [TensorType(data.dataType, shape)], axis: axis)
  }

  func run(_ inputs: [Tensor?], _ context: ExecutionContext) throws -> [Tensor] {
    let (data, indices) = (inputs[0]!, inputs[1]!)
    let outer = data.shape[..<axis].reduce(1, *)
    let dim = data.shape[axis]
    let inner = data.shape[(axis + 1)...].reduce(1, *)
    var sources: [Int] = []
    sources.reserveCapacity(outputTypes[0].count)
    for o in 0..<outer {
      for raw in indices.int64s {
        let i = raw < 0 ? Int(raw) + dim : Int(raw)
        guard i >= 0 && i < dim else {
          throw EngineError(.invalidInput, "Gather index \(raw) is out of range for a dimension of size \(dim)")
        }
        for j in 0..<inner { sources.append((o * dim + i) * inner + j) }
      }
    }
    if data.dataType == .int64 { return [Tensor(shape: outputTypes[0].shape, int64s: sources.map { data.int64s[$0] })] }
    return [Tensor(shape: outputTypes[0].shape) { y in for (k, s) in sources.enumerated() { y[k] = data.pointer[s] } }]
  }
}
