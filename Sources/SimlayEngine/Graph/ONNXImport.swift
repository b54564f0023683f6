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
        let value = try attribute(from: a, node: name, opType: proto.opType)
        try checkBounds(value, a.name, node: "\(proto.opType) node '\(name)'")
        attributes[a.name] = value
      }
      nodes.append(
        Node(
          name: name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
          outputs: proto.output, attributes: attributes))
    }

    let inputs = g.input.filter { initializers[$0.name] == nil }.map(valueInfo)
    return Graph(
      nodes: try topologicallySorted(nodes, available: Set(initializers.keys).union(inputs.map(\.name))),
      initializers: initializers, inputs: inputs, outputs: g.output.map(valueInfo), opset: opset)
  }

  /// ONNX requires topological order, but some exporters emit nodes out of order. A file already in order
  /// keeps it (one pass); otherwise Kahn's algorithm sorts it in time linear in the graph's size. Either
  /// way a dangling input, a tensor written twice and a cycle are errors naming the node and tensor.
  static func topologicallySorted(_ nodes: [Node], available start: Set<String>) throws -> [Node] {
    var producer: [String: Int] = [:]
    producer.reserveCapacity(nodes.count)
    for (i, node) in nodes.enumerated() {
      for out in node.outputs where !out.isEmpty {
        if start.contains(out) {
          throw EngineError(
            .invalidModel, "\(node.label) writes tensor '\(out)', which is already a graph input or initializer")
        }
        if let p = producer.updateValue(i, forKey: out) {
          throw EngineError(
            .invalidModel, "tensor '\(out)' is written by two nodes, \(nodes[p].label) and \(node.label)")
        }
      }
    }
    func known(_ name: String) -> Bool { name.isEmpty || start.contains(name) }
    for node in nodes {
      if let missing = node.inputs.first(where: { !known($0) && producer[$0] == nil }) {
        throw EngineError(
          .invalidModel, "\(node.label) reads tensor '\(missing)', which no node, input or initializer produces")
      }
    }

    // Fast path: the file's order is already topological.
    var done = [Bool](repeating: false, count: nodes.count)
    var inOrder = true
    for (i, node) in nodes.enumerated() {
      if node.inputs.allSatisfy({ known($0) || done[producer[$0]!] }) {
        done[i] = true
      } else {
        inOrder = false
        break
      }
    }
    if inOrder { return nodes }

    // Kahn: each node waits for its inputs' producers; each edge is visited once.
    var waiting = [Int](repeating: 0, count: nodes.count)
    var readers: [[Int]] = Array(repeating: [], count: nodes.count)
    for (i, node) in nodes.enumerated() {
      for input in node.inputs where !known(input) {
        waiting[i] += 1
        readers[producer[input]!].append(i)
      }
    }
    var queue = nodes.indices.filter { waiting[$0] == 0 }
    var head = 0
    while head < queue.count {
      let i = queue[head]
      head += 1
      for r in readers[i] {
        waiting[r] -= 1
        if waiting[r] == 0 { queue.append(r) }
      }
    }
    guard queue.count == nodes.count else {
      throw cycleError(nodes, producer: producer, waiting: waiting, known: known)
    }
    return queue.map { nodes[$0] }
  }

  /// An error naming a node on a cycle: walking from any unsorted node to the producer of an unsorted
  /// input must revisit a node, and that node lies on the cycle.
  static func cycleError(_ nodes: [Node], producer: [String: Int], waiting: [Int], known: (String) -> Bool)
    -> EngineError
  {
    var i = waiting.firstIndex { $0 > 0 }!
    var seen = Set<Int>()
    while seen.insert(i).inserted {
      var next: Int?
      for input in nodes[i].inputs where !known(input) {
        if let p = producer[input], waiting[p] > 0 {
          next = p
          break
        }
      }
      guard let next else { break }
      i = next
    }
    return EngineError(.invalidModel, "the graph has a cycle through \(nodes[i].label): it depends on its own output")
  }

  static func valueInfo(_ proto: Onnx_ValueInfoProto) -> ValueInfo {
    guard proto.hasType, case .tensorType(let t)? = proto.type.value else {
      return ValueInfo(name: proto.name, dataType: nil, shape: nil, elementTypeName: nil)
    }
    let shape: [Int?]? =
      t.hasShape
      ? t.shape.dim.map { d -> Int? in
        if case .dimValue(let v)? = d.value, v > 0 { return Int(v) }
        return nil
      } : nil
    return ValueInfo(
      name: proto.name, dataType: dataType(t.elemType), shape: shape,
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
      throw EngineError(
        .invalidModel,
        "tensor '\(name)' stores its data in an external file, which Simlay does not read; re-save the model with all tensors inside it (onnx.save_model(..., save_as_external_data=False))"
      )
    }
    let shape = proto.dims.map { Int($0) }
    // Floats are stored as float32 and integers as int64, whatever the file's element type.
    let stored = [7, 6, 5, 4, 3, 2, 9, 12, 13].contains(proto.dataType) ? 8 : 4
    try EngineLimits.checkSize(shape, elementBytes: stored, "tensor '\(name)'")
    let count = EngineLimits.elementCount(shape)!
    let raw = proto.hasRawData ? proto.rawData : nil
    func check(_ n: Int) throws {
      guard n == count else {
        throw EngineError(.invalidModel, "tensor '\(name)' has \(n) elements but its shape \(shape) needs \(count)")
      }
    }
    func fromRaw<T>(_ type: T.Type) throws -> [T] {
      let raw = raw!
      guard raw.count == count * MemoryLayout<T>.size else {
        throw EngineError(
          .invalidModel,
          "tensor '\(name)' has \(raw.count) bytes of raw data but its shape \(shape) needs \(count * MemoryLayout<T>.size)"
        )
      }
      return raw.withUnsafeBytes { bytes in
        (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
      }
    }
    switch proto.dataType {
    case 1:  // FLOAT
      if let raw {
        guard raw.count == count * 4 else {
          throw EngineError(
            .invalidModel,
            "tensor '\(name)' has \(raw.count) bytes of raw data but its shape \(shape) needs \(count * 4)")
        }
        guard count > 0 else { return Tensor.zeros(shape) }
        return Tensor(shape: shape) { dst in
          raw.withUnsafeBytes { UnsafeMutableRawPointer(dst).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
        }
      }
      try check(proto.floatData.count)
      return count == 0 ? Tensor.zeros(shape) : Tensor(shape: shape, floats: proto.floatData)
    case 11:  // DOUBLE
      let values = raw != nil ? try fromRaw(Double.self) : proto.doubleData
      try check(values.count)
      return floatTensor(shape, values.map { Float($0) })
    case 10, 16:  // FLOAT16, BFLOAT16: stored as uint16 bit patterns
      let bits: [UInt16] =
        raw != nil ? try fromRaw(UInt16.self) : proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
      try check(bits.count)
      return floatTensor(
        shape, bits.map { proto.dataType == 10 ? Float(Float16(bitPattern: $0)) : Float(bitPattern: UInt32($0) << 16) })
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
      let values: [Int64] =
        raw != nil
        ? (proto.dataType == 12
          ? try fromRaw(UInt32.self).map(Int64.init) : try fromRaw(UInt64.self).map { Int64(truncatingIfNeeded: $0) })
        : proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }
      try check(values.count)
      return Tensor(shape: shape, int64s: values)
    default:
      let type = typeNames[proto.dataType] ?? "type \(proto.dataType)"
      throw EngineError(.invalidModel, "tensor '\(name)' has element type \(type), which Simlay does not support")
    }
  }

  /// Window attributes (pads, strides, kernel_shape, dilations) size loops and buffers: bounded here so
  /// that no operator's shape arithmetic can overflow on them.
  static func checkBounds(_ value: Attribute, _ name: String, node: String) throws {
    guard EngineLimits.windowAttributes.contains(name) else { return }
    let values: [Int]
    switch value {
    case .int(let v): values = [v]
    case .ints(let v): values = v
    default: return
    }
    if let bad = values.first(where: { $0.magnitude > EngineLimits.maxWindowValue }) {
      throw EngineError(
        .invalidModel,
        "\(node) has \(name) value \(bad), beyond the limit of \(EngineLimits.maxWindowValue) (EngineLimits.maxWindowValue)"
      )
    }
  }

  /// A float tensor; empty ones without touching a buffer address (an empty array may have none).
  static func floatTensor(_ shape: [Int], _ values: [Float]) -> Tensor {
    values.isEmpty ? Tensor.zeros(shape) : Tensor(shape: shape, floats: values)
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
