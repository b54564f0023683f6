import Foundation
import SwiftProtobuf

/// Turns decoded ONNX protobuf messages into the engine's graph, refusing what it cannot represent with an
/// error naming the tensor or node.
enum ONNXImport {
  static func graph(from model: Onnx_ModelProto) throws -> Graph {
    guard model.hasGraph else { throw EngineError(.invalidModel, "the model has no graph") }
    let g = model.graph
    let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 1

    var initializers: [String: Tensor] = [:]
    for proto in g.initializer {
      initializers[proto.name] = try tensor(from: proto)
    }

    var nodes: [Node] = []
    nodes.reserveCapacity(g.node.count)
    for (index, proto) in g.node.enumerated() {
      let name = proto.name.isEmpty ? "\(proto.opType)#\(index)" : proto.name
      var attributes: [String: Attribute] = [:]
      for a in proto.attribute {
        attributes[a.name] = try attribute(from: a, node: name, opType: proto.opType)
      }
      nodes.append(Node(name: name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                        outputs: proto.output, attributes: attributes))
    }

    let inputs = g.input.filter { initializers[$0.name] == nil }.map(valueInfo)
    return Graph(nodes: try topologicallySorted(nodes, available: Set(initializers.keys).union(inputs.map(\.name))),
                 initializers: initializers, inputs: inputs, outputs: g.output.map(valueInfo), opset: opset)
  }

  /// ONNX requires topological order, but some exporters emit nodes out of order; sorting costs little
  /// and turns a dangling input into an error that names it.
  static func topologicallySorted(_ nodes: [Node], available start: Set<String>) throws -> [Node] {
    var available = start
    available.insert("")
    var pending = nodes
    var sorted: [Node] = []
    sorted.reserveCapacity(nodes.count)
    while !pending.isEmpty {
      var next: [Node] = []
      for node in pending {
        if node.inputs.allSatisfy(available.contains) {
          sorted.append(node)
          node.outputs.forEach { available.insert($0) }
        } else {
          next.append(node)
        }
      }
      if next.count == pending.count {
        let node = next[0]
        let missing = node.inputs.first { !available.contains($0) } ?? "?"
        throw EngineError(.invalidModel, "\(node.label) reads tensor '\(missing)', which no node, input or initializer produces")
      }
      pending = next
    }
    return sorted
  }

  static func valueInfo(_ proto: Onnx_ValueInfoProto) -> ValueInfo {
    guard proto.hasType, case .tensorType(let t)? = proto.type.value else {
      return ValueInfo(name: proto.name, dataType: nil, shape: nil, elementTypeName: nil)
    }
    let shape: [Int?]? = t.hasShape ? t.shape.dim.map { d -> Int? in
      if case .dimValue(let v)? = d.value, v > 0 { return Int(v) }
      return nil
    } : nil
    return ValueInfo(name: proto.name, dataType: dataType(t.elemType), shape: shape,
                     elementTypeName: typeNames[t.elemType] ?? "type \(t.elemType)")
  }

  static func dataType(_ onnx: Int32) -> DataType? {
    switch onnx {
    case 1: return .float32
    case 7: return .int64
    default: return nil
    }
  }

  static let typeNames: [Int32: String] = [
    0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
    8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
    15: "COMPLEX128", 16: "BFLOAT16",
  ]

  /// Decodes a TensorProto. Float-like types become float32, integer types int64 (the engine's two types);
  /// strings, complex numbers and external data are refused.
  static func tensor(from proto: Onnx_TensorProto) throws -> Tensor {
    let name = proto.name.isEmpty ? "(unnamed)" : proto.name
    if proto.dataLocation == .external || !proto.externalData.isEmpty {
      throw EngineError(.invalidModel, "tensor '\(name)' stores its data in an external file, which Simlay does not read; re-save the model with all tensors inside it (onnx.save_model(..., save_as_external_data=False))")
    }
    let shape = proto.dims.map { Int($0) }
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw EngineError(.invalidModel, "tensor '\(name)' has a negative dimension in \(shape)")
    }
    let count = shape.reduce(1, *)
    let raw = proto.hasRawData ? proto.rawData : nil
    func check(_ n: Int) throws {
      guard n == count else {
        throw EngineError(.invalidModel, "tensor '\(name)' has \(n) elements but its shape \(shape) needs \(count)")
      }
    }
    func fromRaw<T>(_ type: T.Type) throws -> [T] {
      let raw = raw!
      try check(raw.count / MemoryLayout<T>.size)
      return raw.withUnsafeBytes { bytes in (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
    }
    switch proto.dataType {
    case 1:  // FLOAT
      if let raw {
        try check(raw.count / 4)
        return Tensor(shape: shape) { dst in
          raw.withUnsafeBytes { UnsafeMutableRawPointer(dst).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
        }
      }
      try check(proto.floatData.count)
      return Tensor(shape: shape, floats: proto.floatData)
    case 11:  // DOUBLE
      let values = raw != nil ? try fromRaw(Double.self) : proto.doubleData
      try check(values.count)
      return Tensor(shape: shape, floats: values.map { Float($0) })
    case 10, 16:  // FLOAT16, BFLOAT16: stored as uint16 bit patterns
      let bits: [UInt16] = raw != nil ? try fromRaw(UInt16.self) : proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
      try check(bits.count)
      return Tensor(shape: shape, floats: bits.map { proto.dataType == 10 ? Float(Float16(bitPattern: $0)) : Float(bitPattern: UInt32($0) << 16) })
    case 7:  // INT64
      let values = raw != nil ? try fromRaw(Int64.self) : proto.int64Data
      try check(values.count)
      return Tensor(shape: shape, int64s: values)
    case 6, 5, 4, 3, 2, 9:  // INT32, INT16, UINT16, INT8, UINT8, BOOL
      let values: [Int64]
      if raw != nil {
        switch proto.dataType {
        case 6: values = try fromRaw(Int32.self).map(Int64.init)
        case 5: values = try fromRaw(Int16.self).map(Int64.init)
        case 4: values = try fromRaw(UInt16.self).map(Int64.init)
        case 3: values = try fromRaw(Int8.self).map(Int64.init)
        default: values = try fromRaw(UInt8.self).map(Int64.init)
        }
      } else {
        values = proto.int32Data.map(Int64.init)
      }
      try check(values.count)
      return Tensor(shape: shape, int64s: values)
    case 12, 13:  // UINT32, UINT64
      let values: [Int64] = raw != nil
        ? (proto.dataType == 12 ? try fromRaw(UInt32.self).map(Int64.init) : try fromRaw(UInt64.self).map { Int64(truncatingIfNeeded: $0) })
        : proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }
      try check(values.count)
      return Tensor(shape: shape, int64s: values)
    default:
      let type = typeNames[proto.dataType] ?? "type \(proto.dataType)"
      throw EngineError(.invalidModel, "tensor '\(name)' has element type \(type), which Simlay does not support")
    }
  }

  static func attribute(from a: Onnx_AttributeProto, node: String, opType: String) throws -> Attribute {
    if !a.refAttrName.isEmpty { return .unsupported("a reference to function attribute '\(a.refAttrName)'") }
    switch a.type {
    case .int: return .int(Int(a.i))
    case .float: return .float(a.f)
    case .string: return .string(String(decoding: a.s, as: UTF8.self))
    case .ints: return .ints(a.ints.map { Int($0) })
    case .floats: return .floats(a.floats)
    case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
    case .tensor: return .tensor(try tensor(from: a.t))
    case .undefined:
      // Files from old exporters omit `type`; infer it from which field is set.
      if a.hasT { return .tensor(try tensor(from: a.t)) }
      if !a.ints.isEmpty { return .ints(a.ints.map { Int($0) }) }
      if !a.floats.isEmpty { return .floats(a.floats) }
      if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
      if a.hasF { return .float(a.f) }
      return .int(Int(a.i))
    default:
      return .unsupported("attribute type \(a.type)")
    }
  }
}
