extension Fusion {
  /// The op type of a gate fused into the 1x1 convolution reading it (see ScaledConv).
  static let scaledConvOp = "_SimlayScaledConv"

  /// Replaces every `Conv(Mul(a, b))` with a 1x1, stride-1, ungrouped Conv whose Mul output has no other
  /// reader and is not in `keep` (nor a graph output) by one ScaledConv node, which checks the shapes when
  /// compiled (a gate [N or 1, C, 1, 1]) and otherwise runs the two as before. Returns the new graph and the
  /// Mul outputs it hides.
  static func fuseChannelScales(_ graph: Graph, keep: Set<String>) -> (graph: Graph, eliminated: Set<String>) {
    let (readers, producer) = uses(graph)
    var nodes = graph.nodes
    var removed = Set<Int>()
    var eliminated = Set<String>()
    for (ic, c) in graph.nodes.enumerated() where c.opType == "Conv" && c.outputs.count == 1 {
      guard let x = c.inputs.first, !x.isEmpty, readers[x] == 1, !keep.contains(x), let p = producer[x],
        !removed.contains(p), graph.nodes[p].opType == "Mul", graph.nodes[p].inputs.count == 2,
        graph.nodes[p].outputs == [x], isPointwise(c, graph)
      else { continue }
      let m = graph.nodes[p]
      var attributes = c.attributes
      attributes["mul:name"] = .string(m.name)
      nodes[ic] = Node(
        name: c.name, opType: scaledConvOp, domain: "",
        inputs: [m.inputs[0], m.inputs[1], c.inputs[1], c.inputs.count > 2 ? c.inputs[2] : ""], outputs: c.outputs,
        attributes: attributes)
      removed.insert(p)
      eliminated.insert(x)
    }
    var fused = graph
    fused.nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    return (fused, eliminated)
  }
}
