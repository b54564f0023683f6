import SimlayCore
import SimlayEngine
import SimlayProto

/// A validated SimilarityBatch request: each query's image and cells, the targets, the metric.
struct BatchQuery: Sendable {
  var model: LoadedModel
  var layer: GridLayer
  var queries: [(image: StoredImage, cells: LayerAnswer.Region)]
  var targets: [StoredImage]
  var metric: SimilarityMetric
}

/// The maps of every query of a batch: [Q, N, H, W], query-major.
struct BatchResult: Sendable {
  var layer: GridLayer
  var cells: [LayerAnswer.Region]
  var targets: Int
  var maps: [Float]
}

extension DaemonState {
  /// The decode step of SimilarityBatch: every query resolved to cells (OUT_OF_RANGE naming the query's
  /// index), counts bounded by --max-batch-queries and the values by `maxBatchValues`, before any forward pass.
  func decode(_ request: Simlay_V1_SimilarityBatchRequest) throws -> BatchQuery {
    let (model, layer) = try modelLayer(request.model, request.layer)
    guard !request.targetIds.isEmpty else {
      throw ServiceError(.invalidArgument, "target_ids is empty: name the images to compute maps for")
    }
    try checkLimit(request.targetIds.count, configuration.maxImagesPerRequest, "target images")
    let (h, w) = (layer.height, layer.width)
    let count = request.queries.count + (request.allCellsOf.isEmpty ? 0 : h * w)
    guard count > 0 else {
      throw ServiceError(.invalidArgument, "no queries: give queries, all_cells_of, or both")
    }
    try checkLimit(count, configuration.maxBatchQueries, "batch queries (--max-batch-queries)")
    try checkLimit(
      count * request.targetIds.count * h * w, configuration.maxBatchValues, "map values (queries x targets x cells)")
    let metric = try request.metric.similarityMetric()
    let targets = try images(request.targetIds, for: model)
    var queries: [(image: StoredImage, cells: LayerAnswer.Region)] = []
    for (i, q) in request.queries.enumerated() {
      guard !q.imageID.isEmpty else { throw ServiceError(.invalidArgument, "queries[\(i)].image_id is empty") }
      let image = try images([q.imageID], for: model)[0]
      do {
        queries.append((image, try queryCells(q, image: image, layer: layer.name, height: h, width: w)))
      } catch let e as ServiceError {
        throw ServiceError(e.code, "queries[\(i)]: \(e.message)", details: e.details)
      }
    }
    if !request.allCellsOf.isEmpty {
      let image = try images([request.allCellsOf], for: model)[0]
      for y in 0..<h {
        for x in 0..<w { queries.append((image, .init(y0: y, x0: x, y1: y + 1, x1: x + 1))) }
      }
    }
    return BatchQuery(model: model, layer: layer, queries: queries, targets: targets, metric: metric)
  }

  /// The compute step: the grids of the query images and targets (batched forward passes for new ones),
  /// then every query's maps on the compute executor, checking cancellation between queries.
  func similarityBatch(_ batch: BatchQuery) async throws -> BatchResult {
    var sources: [StoredImage] = []
    var index: [String: Int] = [:]
    for (image, _) in batch.queries where index[image.id] == nil {
      index[image.id] = sources.count
      sources.append(image)
    }
    let all = try await grids(model: batch.model, images: sources + batch.targets, layers: [batch.layer.name])
      .map { $0[0] }
    let (queryGrids, targetGrids) = (Array(all[0..<sources.count]), Array(all[sources.count...]))
    let (queries, metric) = (batch.queries.map { (index[$0.image.id]!, $0.cells) }, batch.metric)
    let maps = try await executor.runCancellable { cancellation -> [Float] in
      var out: [Float] = []
      out.reserveCapacity(queries.count * targetGrids.count * batch.layer.height * batch.layer.width)
      for (source, c) in queries {
        try cancellation.check()
        let g = queryGrids[source]
        let raw =
          c.y1 - c.y0 == 1 && c.x1 - c.x0 == 1
          ? g.vector(y: c.y0, x: c.x0) : g.meanVector(y0: c.y0, x0: c.x0, y1: c.y1, x1: c.x1)
        out += Self.maps(of: QueryVector(raw), over: targetGrids, metric: metric)
      }
      return out
    }
    return BatchResult(layer: batch.layer, cells: batch.queries.map(\.cells), targets: batch.targets.count, maps: maps)
  }
}

extension Simlay_V1_SimilarityBatchResponse {
  /// The [Q, N, H, W] maps and each query's cells.
  init(_ result: BatchResult) {
    self.init()
    layer = result.layer.name
    queryCells = result.cells.map { c in
      Simlay_V1_Region.with { r in
        (r.y0, r.x0, r.y1, r.x1) = (Int32(c.y0), Int32(c.x0), Int32(c.y1), Int32(c.x1))
      }
    }
    maps = Simlay_V1_FloatTensor(
      shape: [result.cells.count, result.targets, result.layer.height, result.layer.width], values: result.maps)
  }
}
