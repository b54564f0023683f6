import Foundation
import SimlayClient
import SimlayProto

/// A Sweep response checked and arranged for output: CSV rows, the JSON document and the stdout table.
struct SweepResult {
  let transform: String
  let layer: String
  let height: Int
  let width: Int
  let queries: [(y: Int32, x: Int32)]
  let labels: [String]
  let steps: [Simlay_V1_SweepStep]
  /// Per step, [Q, H, W].
  let maps: [MapStack]

  init(
    _ response: Simlay_V1_SweepResponse, transform: Simlay_V1_Transform, queries: [(y: Int32, x: Int32)],
    labels: [String]
  ) throws {
    self.transform = transform == .scale ? "scale" : "rotate"
    (layer, height, width) = (response.layer, Int(response.height), Int(response.width))
    self.queries = queries
    self.labels = queries.indices.map { $0 < labels.count ? labels[$0] : "q\($0)" }
    steps = response.steps
    maps = try response.steps.map { try MapStack($0.maps) }
    for (s, step) in steps.enumerated() where step.tracked.count != queries.count || maps[s].count != queries.count {
      throw ClientError(
        .malformedAnswer,
        "simlayd answered step \(s) with \(step.tracked.count) tracked cells and \(maps[s].count) maps for \(queries.count) queries"
      )
    }
  }

  /// A parameter as typed: no trailing ".0".
  static func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
  }

  /// The CSV: a header, then one row per (step, query); similarity is `nan` for cells that left the grid.
  var csv: String {
    var out = "transform,param,query,tracked_y,tracked_x,in_bounds,similarity\n"
    for step in steps {
      for (q, t) in step.tracked.enumerated() {
        let similarity = t.inBounds && t.similarity.isFinite ? t.similarity.description : "nan"
        out += "\(transform),\(Self.format(step.param)),\(q),\(t.y),\(t.x),\(t.inBounds),\(similarity)\n"
      }
    }
    return out
  }

  /// Everything, for `--json` (maps as nested lists [Q][H][W] per step; NaN similarities as null).
  func json(model: String, metric: String, fill: String, image: String, imageID: String) -> Document {
    Document(
      model: model, layer: layer, transform: transform, metric: metric, fill: fill, image: image, imageId: imageID,
      grid: [height, width],
      queries: queries.indices.map { q in .init(index: q, label: labels[q], y: queries[q].y, x: queries[q].x) },
      steps: steps.indices.map { s in
        Document.Step(
          param: steps[s].param, box: steps[s].box,
          tracked: steps[s].tracked.enumerated().map { q, t in
            .init(
              query: q, y: t.y, x: t.x, inBounds: t.inBounds,
              similarity: JSONFloat(value: t.inBounds ? t.similarity : .nan))
          },
          shape: maps[s].shape, maps: MapsJSON(stack: maps[s]))
      })
  }

  /// The `--json` document's fields.
  struct Document: Encodable {
    struct Query: Encodable {
      var index: Int
      var label: String
      var y: Int32
      var x: Int32
    }

    struct Tracked: Encodable {
      var query: Int
      var y: Int32
      var x: Int32
      var inBounds: Bool
      /// `null` when the cell left the grid.
      var similarity: JSONFloat

      enum CodingKeys: String, CodingKey {
        case query, y, x, similarity
        case inBounds = "in_bounds"
      }
    }

    struct Step: Encodable {
      var param: Double
      var box: [Double]
      var tracked: [Tracked]
      var shape: [Int]
      var maps: MapsJSON
    }

    var model: String
    var layer: String
    var transform: String
    var metric: String
    var fill: String
    var image: String
    var imageId: String
    var grid: [Int]
    var queries: [Query]
    var steps: [Step]

    enum CodingKeys: String, CodingKey {
      case model, layer, transform, metric, fill, image, grid, queries, steps
      case imageId = "image_id"
    }
  }

  /// One line per parameter: the tracked cell and its similarity for every query ("out" when it left the grid).
  var table: [String] {
    let columns = queries.indices.map { "\(labels[$0]) (\(queries[$0].y),\(queries[$0].x))" }
    let column = max(16, (columns.map(\.count).max() ?? 0) + 2)
    var lines = ["\(transform) on \(layer) (\(height) x \(width) grid)"]
    lines.append(
      "param".padding(toLength: 10, withPad: " ", startingAt: 0)
        + columns.map { $0.padding(toLength: column, withPad: " ", startingAt: 0) }.joined())
    for step in steps {
      let cells = step.tracked.map { t -> String in
        let text = t.inBounds ? String(format: "%d,%d %.4f", t.y, t.x, t.similarity) : "\(t.y),\(t.x) out"
        return text.padding(toLength: column, withPad: " ", startingAt: 0)
      }
      lines.append(Self.format(step.param).padding(toLength: 10, withPad: " ", startingAt: 0) + cells.joined())
    }
    return lines
  }
}
