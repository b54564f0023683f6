extension Fusion {
  /// The op type of a fused expand / depthwise / project chain (see DepthwiseBlock). The leading underscore
  /// keeps it out of ONNX's namespace; model files cannot use it.
  static let depthwiseBlockOp = "_SimlayDepthwiseBlock"

  /// Replaces every chain Conv 1x1 -> depthwise Conv -> Conv 1x1, whose two intermediate tensors have no
  /// other reader and are not in `keep` (nor graph outputs), by one DepthwiseBlock node. Returns the new
  /// graph and the names of the intermediates it hides.
  static func fuseDepthwiseBlocks(_ graph: Graph, keep: Set<String>) -> (graph: Graph, eliminated: Set<String>) {
    var readers: [String: [Int]] = [:]
    for (i, node) in graph.nodes.enumerated() {
      for input in node.inputs where !input.isEmpty { readers[input, default: []].append(i) }
    }
    let outputs = Set(graph.outputs.map(\.name))
    var producer: [String: Int] = [:]
    for (i, node) in graph.nodes.enumerated() { for o in node.outputs { producer[o] = i } }

    /// The single Conv that reads `name` as its data input, if `name` is hidden-able.
    func soleConvReader(of name: String) -> Int? {
      guard !keep.contains(name), !outputs.contains(name), let r = readers[name], r.count == 1,
        graph.nodes[r[0]].opType == "Conv", graph.nodes[r[0]].inputs.first == name
      else { return nil }
      return r[0]
    }
    var nodes = graph.nodes
    var removed = Set<Int>()
    var eliminated = Set<String>()
    for (ia, a) in graph.nodes.enumerated() where !removed.contains(ia) {
      guard a.opType == "Conv", a.outputs.count == 1, isPointwise(a, graph), let wa = weight(a, graph),
        let ib = soleConvReader(of: a.outputs[0]), !removed.contains(ib)
      else { continue }
      let b = graph.nodes[ib]
      guard b.outputs.count == 1, let wb = weight(b, graph), wb.shape.count == 4, wb.shape[1] == 1,
        b.int("group", default: 1) == wa.shape[0], wb.shape[0] == wa.shape[0], wa.shape[0] > 1,
        let ic = soleConvReader(of: b.outputs[0]), !removed.contains(ic)
      else { continue }
      let c = graph.nodes[ic]
      guard c.outputs.count == 1, isPointwise(c, graph), let wc = weight(c, graph), wc.shape[1] == wa.shape[0] else {
        continue
      }
      var attributes: [String: Attribute] = [:]
      for (prefix, node) in [("a:", a), ("b:", b), ("c:", c)] {
        for (k, v) in node.attributes { attributes[prefix + k] = v }
        attributes[prefix + "name"] = .string(node.name)
      }
      func bias(_ n: Node) -> String { n.inputs.count > 2 ? n.inputs[2] : "" }
      nodes[ic] = Node(
        name: c.name, opType: depthwiseBlockOp, domain: "",
        inputs: [a.inputs[0], a.inputs[1], bias(a), b.inputs[1], bias(b), c.inputs[1], bias(c)],
        outputs: c.outputs, attributes: attributes)
      removed.formUnion([ia, ib])
      eliminated.formUnion([a.outputs[0], b.outputs[0]])
    }
    var fused = graph
    fused.nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    return (fused, eliminated)
  }

  /// The weight initializer of a Conv, with its bias (if any) also an initializer.
  static func weight(_ node: Node, _ graph: Graph) -> Tensor? {
    guard node.inputs.count >= 2, let w = graph.initializers[node.inputs[1]] else { return nil }
    if node.inputs.count > 2, !node.inputs[2].isEmpty, graph.initializers[node.inputs[2]] == nil { return nil }
    return w
  }

  /// A 1x1, stride-1, unpadded, ungrouped Conv.
  static func isPointwise(_ node: Node, _ graph: Graph) -> Bool {
    guard let w = weight(node, graph), w.shape.count == 4, w.shape[2] == 1, w.shape[3] == 1,
      node.int("group", default: 1) == 1
    else { return false }
    if let s = node.ints("strides"), s.contains(where: { $0 != 1 }) { return false }
    if let p = node.ints("pads"), p.contains(where: { $0 != 0 }) { return false }
    if case .string(let pad)? = node.attributes["auto_pad"], !["", "NOTSET", "VALID"].contains(pad) { return false }
    return true
  }
}
