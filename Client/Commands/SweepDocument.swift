import Foundation
import SimlayClient
import SimlayProto

extension SweepResult {
  /// Everything, for `--json` (maps as nested lists [Q][H][W] per step; NaN similarities as null).
  func json(model: String, metric: String, fill: String, space: String, image: String, imageID: String) -> Document {
    Document(
      model: model, layer: layer, transform: transform, transformSpace: space, metric: metric, fill: fill,
      image: image, imageId: imageID, grid: [height, width],
      queries: queries.indices.map { q in
        .init(
          index: queries[q].index, label: queries[q].label, spec: queries[q].spec.text, cells: cells[q],
          y: cells[q][0], x: cells[q][1])
      },
      steps: steps.indices.map { s in
        Document.Step(
          param: steps[s].param, box: steps[s].box,
          tracked: steps[s].tracked.enumerated().map { q, t in
            .init(
              query: queries[q].index, y: t.y, x: t.x, inBounds: t.inBounds,
              similarity: JSONFloat(value: t.inBounds ? t.similarity : .nan), pointY: t.pointY, pointX: t.pointX,
              bestY: trackRadius && t.bestFound ? t.bestY : nil, bestX: trackRadius && t.bestFound ? t.bestX : nil,
              bestSimilarity: trackRadius ? JSONFloat(value: t.bestFound ? t.bestSimilarity : .nan) : nil)
          },
          shape: maps[s].shape, maps: MapsJSON(stack: maps[s]))
      })
  }

  /// The `--json` document's fields.
  struct Document: Encodable {
    struct Query: Encodable {
      var index: Int
      var label: String
      var spec: String
      /// [y0, x0, y1, x1] on the untransformed grid.
      var cells: [Int32]
      /// The first cell (the cell of a cell or pixel query).
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
      var pointY: Double
      var pointX: Double
      /// With --track-radius (absent otherwise; best_y/best_x absent when no grid cell was in reach).
      var bestY: Int32?
      var bestX: Int32?
      var bestSimilarity: JSONFloat?

      enum CodingKeys: String, CodingKey {
        case query, y, x, similarity
        case inBounds = "in_bounds"
        case pointY = "point_y"
        case pointX = "point_x"
        case bestY = "best_y"
        case bestX = "best_x"
        case bestSimilarity = "best_similarity"
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
    var transformSpace: String
    var metric: String
    var fill: String
    var image: String
    var imageId: String
    var grid: [Int]
    var queries: [Query]
    var steps: [Step]

    enum CodingKeys: String, CodingKey {
      case model, layer, transform, metric, fill, image, grid, queries, steps
      case transformSpace = "transform_space"
      case imageId = "image_id"
    }
  }

  /// One line per parameter: the tracked cell and its similarity for every query ("out" when it left the
  /// grid), and the best cell near it with --track-radius.
  var table: [String] {
    let columns = queries.map { "\($0.label) \($0.spec.text)" }
    let column = max(trackRadius ? 30 : 16, (columns.map(\.count).max() ?? 0) + 2)
    var lines = ["\(transform) on \(layer) (\(height) x \(width) grid)"]
    lines.append(
      "param".padding(toLength: 10, withPad: " ", startingAt: 0)
        + columns.map { $0.padding(toLength: column, withPad: " ", startingAt: 0) }.joined())
    for step in steps {
      let cells = step.tracked.map { t -> String in
        var text = t.inBounds ? String(format: "%d,%d %.4f", t.y, t.x, t.similarity) : "\(t.y),\(t.x) out"
        if trackRadius, t.bestFound { text += String(format: " best %d,%d %.4f", t.bestY, t.bestX, t.bestSimilarity) }
        return text.padding(toLength: column, withPad: " ", startingAt: 0)
      }
      lines.append(Self.format(step.param).padding(toLength: 10, withPad: " ", startingAt: 0) + cells.joined())
    }
    return lines
  }
}
