import SimlayCore
import SimlayProto

/// Maps of one layer for N target images, with the query's resolved cells.
struct LayerAnswer {
  var layer: String
  var height: Int
  var width: Int
  /// N * height * width values, target-major.
  var maps: [Float]
  /// The query's cells on the grid (one cell unless the query was a region).
  var cells: Region
  struct Region { var y0, x0, y1, x1: Int }
}

/// A Similarity answer with what rendering it needs.
struct SimilarityResult {
  var targets: [StoredImage]
  /// Nil for an NMF group query (a centroid has no cell to outline).
  var queryImage: StoredImage?
  var metric: SimilarityMetric
  var answer: LayerAnswer
}

/// A LayerSync answer: one `LayerAnswer` per requested layer, in order.
struct SyncResult {
  var targets: [StoredImage]
  var pointImage: StoredImage
  var metric: SimilarityMetric
  var answers: [LayerAnswer]
}

extension DaemonState {
  /// Answers a Similarity request. The query image is nil for an NMF group query (a centroid has no cell).
  func similarity(_ request: Simlay_V1_SimilarityRequest) async throws -> SimilarityResult {
    let model = try models.get(request.model)
    guard !request.layer.isEmpty else { throw ServiceError(.invalidArgument, "layer is empty") }
    let layer = try model.layer(request.layer)
    guard request.hasQuery else { throw ServiceError(.invalidArgument, "query is missing") }
    guard !request.targetIds.isEmpty else { throw ServiceError(.invalidArgument, "target_ids is empty: name the images to compute maps for") }
    try checkLimit(request.targetIds.count, configuration.maxImagesPerRequest, "target images")
    let metric = try request.metric.similarityMetric()
    let targets = try images(request.targetIds, for: model)
    let (h, w) = (layer.height, layer.width)
    if case .group(let group) = request.query.position {
      let query = try await groupCentroid(group, layer: layer.name)
      let grids = try await grids(model: model, images: targets, layers: [layer.name]).map { $0[0] }
      let maps = Self.maps(of: QueryVector(query), over: grids, metric: metric)
      return SimilarityResult(targets: targets, queryImage: nil, metric: metric,
                              answer: LayerAnswer(layer: layer.name, height: h, width: w, maps: maps, cells: .init(y0: 0, x0: 0, y1: 0, x1: 0)))
    }
    let queryImage = try images([request.query.imageID], for: model)[0]
    let cells = try queryCells(request.query, image: queryImage, layer: layer.name, height: h, width: w)
    let all = try await grids(model: model, images: [queryImage] + targets, layers: [layer.name])
    let q = all[0][0]
    let raw = cells.y1 - cells.y0 == 1 && cells.x1 - cells.x0 == 1
      ? q.vector(y: cells.y0, x: cells.x0) : q.meanVector(y0: cells.y0, x0: cells.x0, y1: cells.y1, x1: cells.x1)
    let maps = Self.maps(of: QueryVector(raw), over: all.dropFirst().map { $0[0] }, metric: metric)
    return SimilarityResult(targets: targets, queryImage: queryImage, metric: metric,
                            answer: LayerAnswer(layer: layer.name, height: h, width: w, maps: maps, cells: cells))
  }

  /// One map per grid, packed target-major into one buffer (the response's layout).
  static func maps(of query: QueryVector, over grids: [ActivationGrid], metric: SimilarityMetric) -> [Float] {
    let plane = grids.first?.cellCount ?? 0
    var maps = [Float](repeating: 0, count: grids.count * plane)
    maps.withUnsafeMutableBufferPointer { out in
      for (i, g) in grids.enumerated() {
        SimilarityMap.compute(query: query, grid: g, metric: metric,
                              into: UnsafeMutableBufferPointer(rebasing: out[(i * plane)..<((i + 1) * plane)]))
      }
    }
    return maps
  }

  /// The query's cell rectangle on an h x w grid, or OUT_OF_RANGE / INVALID_ARGUMENT.
  func queryCells(_ query: Simlay_V1_Query, image: StoredImage, layer: String, height h: Int, width w: Int) throws -> LayerAnswer.Region {
    // Formatted only for an error: this runs for every hover query.
    var grid: String { "layer '\(layer)' has a grid of \(h) x \(w) cells (y in 0..<\(h), x in 0..<\(w))" }
    switch query.position {
    case .cell(let c):
      guard c.y >= 0, c.y < h, c.x >= 0, c.x < w else {
        throw ServiceError(.outOfRange, "cell (\(c.y), \(c.x)) is outside the grid: \(grid)")
      }
      return .init(y0: Int(c.y), x0: Int(c.x), y1: Int(c.y) + 1, x1: Int(c.x) + 1)
    case .region(let r):
      guard r.y0 < r.y1, r.x0 < r.x1 else {
        throw ServiceError(.invalidArgument, "region (\(r.y0), \(r.x0))-(\(r.y1), \(r.x1)) is empty (y1 and x1 are exclusive)")
      }
      guard r.y0 >= 0, r.x0 >= 0, r.y1 <= h, r.x1 <= w else {
        throw ServiceError(.outOfRange, "region (\(r.y0), \(r.x0))-(\(r.y1), \(r.x1)) is outside the grid: \(grid)")
      }
      return .init(y0: Int(r.y0), x0: Int(r.x0), y1: Int(r.y1), x1: Int(r.x1))
    case .pixel(let p):
      let c = try cell(of: p, in: image, height: h, width: w)
      return .init(y0: c.y, x0: c.x, y1: c.y + 1, x1: c.x + 1)
    case .group:
      throw ServiceError(.invalidArgument, "an NMF group query has no cells")
    case nil:
      throw ServiceError(.invalidArgument, "query has no position: set cell, region or pixel")
    }
  }

  /// The cell under a pixel of the original image, or OUT_OF_RANGE with the image's size.
  func cell(of p: Simlay_V1_Pixel, in image: StoredImage, height h: Int, width w: Int) throws -> (y: Int, x: Int) {
    guard let c = CellMapping.cell(px: p.px, py: p.py, imageWidth: image.image.width, imageHeight: image.image.height,
                                   gridHeight: h, gridWidth: w) else {
      throw ServiceError(.outOfRange, "pixel (\(p.px), \(p.py)) is outside image '\(image.name)' of \(image.image.width) x \(image.image.height) pixels")
    }
    return c
  }

  /// Answers a LayerSync request: one map set per layer.
  func sync(_ request: Simlay_V1_LayerSyncRequest) async throws -> SyncResult {
    let model = try models.get(request.model)
    guard !request.layers.isEmpty else { throw ServiceError(.invalidArgument, "layers is empty") }
    try checkLimit(request.layers.count, configuration.maxLayersPerRequest, "layers")
    guard !request.targetIds.isEmpty else { throw ServiceError(.invalidArgument, "target_ids is empty: name the images to compute maps for") }
    try checkLimit(request.targetIds.count, configuration.maxImagesPerRequest, "target images")
    guard request.hasPoint else { throw ServiceError(.invalidArgument, "point is missing") }
    let metric = try request.metric.similarityMetric()
    guard !request.layers.contains(where: \.isEmpty) else { throw ServiceError(.invalidArgument, "a layer name is empty") }
    let layers = try request.layers.map { try model.layer($0) }
    let pointImage = try images([request.imageID], for: model)[0]
    let targets = try images(request.targetIds, for: model)
    let cells = try layers.map { try cell(of: request.point, in: pointImage, height: $0.height, width: $0.width) }
    let names = layers.map(\.name)
    let all = try await grids(model: model, images: [pointImage] + targets, layers: names)
    var answers: [LayerAnswer] = []
    for (li, layer) in layers.enumerated() {
      let (h, w) = (layer.height, layer.width)
      let query = QueryVector(all[0][li].vector(y: cells[li].y, x: cells[li].x))
      let maps = Self.maps(of: query, over: all.dropFirst().map { $0[li] }, metric: metric)
      answers.append(LayerAnswer(layer: layer.name, height: h, width: w, maps: maps,
                                 cells: .init(y0: cells[li].y, x0: cells[li].x, y1: cells[li].y + 1, x1: cells[li].x + 1)))
    }
    return SyncResult(targets: targets, pointImage: pointImage, metric: metric, answers: answers)
  }
}
