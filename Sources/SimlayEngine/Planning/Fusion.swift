/// Graph rewrites that save memory traffic without changing any value a caller can observe.
enum Fusion {
  /// Folds a Relu or Clip that is the only reader of a Conv's output into the Conv (as `_act_min` /
  /// `_act_max` attributes), so the activation runs on data still in cache. The Conv's own output then no
  /// longer exists: such names are returned, and a caller that wants to keep one must plan without fusion.
  static func fuseActivations(_ graph: Graph) -> (graph: Graph, eliminated: Set<String>) {
    var readers: [String: Int] = [:]
    for node in graph.nodes { for i in node.inputs where !i.isEmpty { readers[i, default: 0] += 1 } }
    for o in graph.outputs { readers[o.name, default: 0] += 1 }
    var constants = graph.initializers
    for node in graph.nodes where node.opType == "Constant" {
      if case .tensor(let t)? = node.attributes["value"], let out = node.outputs.first { constants[out] = t }
    }
    var producer: [String: Int] = [:]
    for (i, node) in graph.nodes.enumerated() { for o in node.outputs { producer[o] = i } }

    var nodes = graph.nodes
    var removed = Set<Int>()
    var eliminated = Set<String>()
    for (i, node) in graph.nodes.enumerated() {
      guard let range = activationRange(node, constants: constants, opset: graph.opset),
        let source = node.inputs.first, readers[source] == 1,
        let p = producer[source], nodes[p].opType == "Conv", nodes[p].outputs.count == 1,
        nodes[p].attributes["_act_min"] == nil
      else { continue }
      nodes[p].attributes["_act_min"] = .float(range.min)
      nodes[p].attributes["_act_max"] = .float(range.max)
      nodes[p].outputs = [node.outputs[0]]
      removed.insert(i)
      eliminated.insert(source)
    }
    var fused = graph
    fused.nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    return (fused, eliminated)
  }

  /// The clamp range of a Relu or Clip node whose bounds are known at plan time.
  static func activationRange(_ node: Node, constants: [String: Tensor], opset: Int) -> (min: Float, max: Float)? {
    switch node.opType {
    case "Relu":
      return (0, .infinity)
    case "Clip":
      if opset < 11 {
        return (node.float("min", default: -.infinity), node.float("max", default: .infinity))
      }
      func bound(_ i: Int, _ fallback: Float) -> Float? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return fallback }
        guard let t = constants[node.inputs[i]], t.count == 1 else { return nil }
        return t.floats[0]
      }
      guard let lo = bound(1, -.infinity), let hi = bound(2, .infinity) else { return nil }
      return (lo, hi)
    default:
      return nil
    }
  }
}
