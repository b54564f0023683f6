import Foundation
import SimlayClient
import SimlayProto

/// A Sweep response checked and arranged for output: CSV rows, the JSON document and the stdout table.
struct SweepResult {
  /// One --query of this sweep: its index among all --query, as given, and its label.
  struct Query {
    var index: Int
    var spec: QuerySpec
    var label: String
  }

  let transform: String
  let layer: String
  let height: Int
  let width: Int
  let queries: [Query]
  /// Each query's cells [y0, x0, y1, x1] on the untransformed grid.
  let cells: [[Int32]]
  /// Whether best_* were asked for (--track-radius).
  let trackRadius: Bool
  let steps: [Simlay_V1_SweepStep]
  /// Per step, [Q, H, W].
  let maps: [MapStack]

  init(
    _ response: Simlay_V1_SweepResponse, transform: Simlay_V1_Transform,
    queries: [(index: Int, spec: QuerySpec, label: String)], trackRadius: Bool
  ) throws {
    self.transform = transform == .scale ? "scale" : "rotate"
    (layer, height, width) = (response.layer, Int(response.height), Int(response.width))
    self.queries = queries.map { Query(index: $0.index, spec: $0.spec, label: $0.label) }
    self.trackRadius = trackRadius
    cells = response.queryCells.map { [$0.y0, $0.x0, $0.y1, $0.x1] }
    steps = response.steps
    maps = try response.steps.map { try MapStack($0.maps) }
    let q = queries.count
    guard cells.count == q else {
      throw ClientError(.malformedAnswer, "simlayd answered \(cells.count) query cells for \(q) queries")
    }
    for (s, step) in steps.enumerated() where step.tracked.count != q || maps[s].count != q {
      throw ClientError(
        .malformedAnswer,
        "simlayd answered step \(s) with \(step.tracked.count) tracked cells and \(maps[s].count) maps for \(q) queries"
      )
    }
  }

  /// A parameter as typed: no trailing ".0".
  static func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
  }

  /// A CSV field, quoted as RFC 4180 says when it holds a comma, a quote or a line break.
  static func field(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// The CSV's header line.
  var csvHeader: String {
    "transform,param,query,label,spec,tracked_y,tracked_x,in_bounds,similarity"
      + (trackRadius ? ",best_y,best_x,best_similarity" : "") + "\n"
  }

  /// One row per (step, query); similarity is `nan` for cells that left the grid.
  var csvRows: String {
    var out = ""
    for step in steps {
      for (q, t) in step.tracked.enumerated() {
        let similarity = t.inBounds && t.similarity.isFinite ? t.similarity.description : "nan"
        let query = queries[q]
        out += "\(transform),\(Self.format(step.param)),\(query.index),\(Self.field(query.label)),"
        out += "\(Self.field(query.spec.text)),\(t.y),\(t.x),\(t.inBounds),\(similarity)"
        if trackRadius {
          out +=
            t.bestFound
            ? ",\(t.bestY),\(t.bestX),\(t.bestSimilarity.isFinite ? t.bestSimilarity.description : "nan")" : ",,,nan"
        }
        out += "\n"
      }
    }
    return out
  }

  /// The CSV of this sweep alone.
  var csv: String { csvHeader + csvRows }
}

extension QuerySpec {
  /// The query as `--query` takes it, canonically: "I:Y,X", "I:Y0,X0-Y1,X1" or "I@PX,PY".
  var text: String {
    switch position {
    case .cell(let y, let x): return "\(image):\(y),\(x)"
    case .region(let y0, let x0, let y1, let x1): return "\(image):\(y0),\(x0)-\(y1),\(x1)"
    case .pixel(let px, let py): return "\(image)@\(SweepResult.format(px)),\(SweepResult.format(py))"
    }
  }
}
