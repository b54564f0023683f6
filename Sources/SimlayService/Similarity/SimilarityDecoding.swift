import SimlayCore
import SimlayProto

// The decode step of Similarity and LayerSync: every field checked in the order the errors were always
// reported, defaults filled in, ids resolved to stored images, positions resolved to cells.

extension DaemonState {
  /// A Similarity request, validated. INVALID_ARGUMENT, NOT_FOUND, OUT_OF_RANGE or RESOURCE_EXHAUSTED
  /// naming what was wrong.
  func decode(_ request: Simlay_V1_SimilarityRequest) throws -> SimilarityQuery {
    let (model, layer) = try modelLayer(request.model, request.layer)
    guard request.hasQuery else { throw ServiceError(.invalidArgument, "query is missing") }
    guard !request.targetIds.isEmpty else {
      throw ServiceError(.invalidArgument, "target_ids is empty: name the images to compute maps for")
    }
    try checkLimit(request.targetIds.count, configuration.maxImagesPerRequest, "target images")
    let metric = try request.metric.similarityMetric()
    let top = try decodeTop(request)
    let targets = try images(request.targetIds, for: model)
    let source: SimilarityQuery.Source
    if case .group(let group) = request.query.position {
      source = .group(job: try decodeGroup(group, layer: layer.name), group: group.group)
    } else {
      let queryImage = try images([request.query.imageID], for: model)[0]
      source = .cells(
        image: queryImage,
        cells: try queryCells(
          request.query, image: queryImage, layer: layer.name,
          height: layer.height, width: layer.width))
    }
    return SimilarityQuery(model: model, layer: layer, source: source, targets: targets, metric: metric, top: top)
  }

  /// A LayerSync request, validated, with the point's cell on every layer.
  func decode(_ request: Simlay_V1_LayerSyncRequest) throws -> SyncQuery {
    let model = try models.get(request.model)
    guard !request.layers.isEmpty else { throw ServiceError(.invalidArgument, "layers is empty") }
    try checkLimit(request.layers.count, configuration.maxLayersPerRequest, "layers")
    guard !request.targetIds.isEmpty else {
      throw ServiceError(.invalidArgument, "target_ids is empty: name the images to compute maps for")
    }
    try checkLimit(request.targetIds.count, configuration.maxImagesPerRequest, "target images")
    guard request.hasPoint else { throw ServiceError(.invalidArgument, "point is missing") }
    let metric = try request.metric.similarityMetric()
    guard !request.layers.contains(where: \.isEmpty) else {
      throw ServiceError(.invalidArgument, "a layer name is empty")
    }
    let layers = try request.layers.map { try model.layer($0) }
    let pointImage = try images([request.imageID], for: model)[0]
    let targets = try images(request.targetIds, for: model)
    let cells = try layers.map { l -> LayerAnswer.Region in
      let c = try cell(of: request.point, in: pointImage, height: l.height, width: l.width)
      return .init(y0: c.y, x0: c.x, y1: c.y + 1, x1: c.x + 1)
    }
    return SyncQuery(
      model: model, layers: layers, pointImage: pointImage, cells: cells, targets: targets, metric: metric)
  }

  /// The query's cell rectangle on an h x w grid, or OUT_OF_RANGE / INVALID_ARGUMENT.
  func queryCells(_ query: Simlay_V1_Query, image: StoredImage, layer: String, height h: Int, width w: Int) throws
    -> LayerAnswer.Region
  {
    // Formatted only for an error: this runs for every hover query.
    var grid: String { "layer '\(layer)' has a grid of \(h) x \(w) cells (y in 0..<\(h), x in 0..<\(w))" }
    switch query.position {
    case .cell(let c):
      guard c.y >= 0, c.y < h, c.x >= 0, c.x < w else {
        let field = c.y < 0 || c.y >= h ? "query.cell.y" : "query.cell.x"
        throw ServiceError(
          .outOfRange, "cell (\(c.y), \(c.x)) is outside the grid: \(grid)",
          details: gridDetails(layer, h, w, field: field, "cell (\(c.y), \(c.x)) outside \(h) x \(w)"))
      }
      return .init(y0: Int(c.y), x0: Int(c.x), y1: Int(c.y) + 1, x1: Int(c.x) + 1)
    case .region(let r):
      guard r.y0 < r.y1, r.x0 < r.x1 else {
        throw ServiceError(
          .invalidArgument, "region (\(r.y0), \(r.x0))-(\(r.y1), \(r.x1)) is empty (y1 and x1 are exclusive)")
      }
      guard r.y0 >= 0, r.x0 >= 0, r.y1 <= h, r.x1 <= w else {
        throw ServiceError(
          .outOfRange, "region (\(r.y0), \(r.x0))-(\(r.y1), \(r.x1)) is outside the grid: \(grid)",
          details: gridDetails(layer, h, w, field: "query.region", "outside \(h) x \(w)"))
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
    guard
      let c = CellMapping.cell(
        px: p.px, py: p.py, imageWidth: image.image.width, imageHeight: image.image.height,
        gridHeight: h, gridWidth: w)
    else {
      throw ServiceError(
        .outOfRange,
        "pixel (\(p.px), \(p.py)) is outside image '\(image.name)' of \(image.image.width) x \(image.image.height) pixels",
        details: ErrorDetails(
          .cellOutOfRange,
          metadata: ["image_width": "\(image.image.width)", "image_height": "\(image.image.height)"],
          fieldViolations: [.init(field: "query.pixel", description: "outside the image")]))
    }
    return c
  }

  /// CELL_OUT_OF_RANGE with the layer and its grid size, for programs that clamp and retry.
  func gridDetails(_ layer: String, _ h: Int, _ w: Int, field: String, _ description: String) -> ErrorDetails {
    ErrorDetails(
      .cellOutOfRange, metadata: ["layer": layer, "grid_height": "\(h)", "grid_width": "\(w)"],
      fieldViolations: [.init(field: field, description: description)])
  }
}
