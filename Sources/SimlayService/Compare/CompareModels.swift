import SimlayCore
import SimlayEngine
import SimlayProto

/// A validated CompareModels request: per row a model, its layer, the photos as added for it, and the cell
/// under the point on that layer's grid.
struct CompareQuery: Sendable {
  struct Row: Sendable {
    var model: LoadedModel
    var layer: GridLayer
    var images: [StoredImage]
    var cell: LayerAnswer.Region
  }
  var rows: [Row]
  var pointImage: Int
  var metric: SimilarityMetric
}

/// Per row: the model's name and its maps.
struct CompareResult {
  var rows: [(model: String, answer: LayerAnswer)]
  /// Row 0's photos (every row holds the same ones), for rendering.
  var photos: [StoredImage]
  var pointImage: Int
  var metric: SimilarityMetric
}

extension DaemonState {
  /// The decode step of CompareModels; INVALID_ARGUMENT when rows hold different photos (told apart by
  /// their sizes), OUT_OF_RANGE for a point outside the photo.
  func decode(_ request: Simlay_V1_CompareModelsRequest) throws -> CompareQuery {
    guard !request.rows.isEmpty else {
      throw ServiceError(.invalidArgument, "rows is empty: name the models to compare")
    }
    try checkLimit(request.rows.count, configuration.maxLayersPerRequest, "model rows")
    guard request.hasPoint else { throw ServiceError(.invalidArgument, "point is missing") }
    let metric = try request.metric.similarityMetric()
    let count = request.rows[0].imageIds.count
    guard count > 0 else { throw ServiceError(.invalidArgument, "rows[0].image_ids is empty: name the photos") }
    try checkLimit(count, configuration.maxImagesPerRequest, "images")
    guard (0..<count).contains(Int(request.pointImage)) else {
      throw ServiceError(.outOfRange, "point_image \(request.pointImage) is not an index of the \(count) images")
    }
    var rows: [CompareQuery.Row] = []
    for (r, row) in request.rows.enumerated() {
      guard row.imageIds.count == count else {
        throw ServiceError(
          .invalidArgument,
          "rows[\(r)] has \(row.imageIds.count) images, rows[0] \(count): every row shows the same photos")
      }
      guard !row.layer.isEmpty else { throw ServiceError(.invalidArgument, "rows[\(r)].layer is empty") }
      let model = try models.get(row.model)
      let layer = try model.layer(row.layer)
      let images = try images(row.imageIds, for: model)
      if let first = rows.first {
        for (i, (a, b)) in zip(first.images, images).enumerated()
        where (a.image.width, a.image.height) != (b.image.width, b.image.height) {
          throw ServiceError(
            .invalidArgument,
            "rows[\(r)].image_ids[\(i)] is \(b.image.width)x\(b.image.height), rows[0]'s \(a.image.width)x\(a.image.height): every row shows the same photos"
          )
        }
      }
      let c = try cell(of: request.point, in: images[Int(request.pointImage)], height: layer.height, width: layer.width)
      rows.append(
        .init(model: model, layer: layer, images: images, cell: .init(y0: c.y, x0: c.x, y1: c.y + 1, x1: c.x + 1)))
    }
    return CompareQuery(rows: rows, pointImage: Int(request.pointImage), metric: metric)
  }

  /// The compute step: per row, the grids of its photos (batched forward passes for new ones), the point's
  /// vector and its maps over them.
  func compare(_ query: CompareQuery) async throws -> CompareResult {
    var rows: [(model: String, answer: LayerAnswer)] = []
    for row in query.rows {
      let grids = try await self.grids(model: row.model, images: row.images, layers: [row.layer.name]).map { $0[0] }
      let vector = QueryVector(grids[query.pointImage].vector(y: row.cell.y0, x: row.cell.x0))
      let maps = Self.maps(of: vector, over: grids, metric: query.metric)
      rows.append(
        (
          row.model.name,
          LayerAnswer(
            layer: row.layer.name, height: row.layer.height, width: row.layer.width, maps: maps, cells: row.cell)
        ))
    }
    return CompareResult(rows: rows, photos: query.rows[0].images, pointImage: query.pointImage, metric: query.metric)
  }
}
