import SimlayCore

// The compute step of Similarity and LayerSync: validated queries in, named results out (no proto).

extension DaemonState {
  /// Answers a Similarity query. The result's query image is nil for an NMF group (a centroid has no cell).
  func similarity(_ query: SimilarityQuery) async throws -> SimilarityResult {
    let (model, layer, targets, metric) = (query.model, query.layer, query.targets, query.metric)
    let (h, w) = (layer.height, layer.width)
    switch query.source {
    case .group(let job, let group):
      let centroid = try await groupCentroid(job, group: group, layer: layer.name)
      let grids = try await grids(model: model, images: targets, layers: [layer.name]).map { $0[0] }
      let maps = Self.maps(of: QueryVector(centroid), over: grids, metric: metric)
      return SimilarityResult(
        targets: targets, queryImage: nil, metric: metric,
        answer: LayerAnswer(
          layer: layer.name, height: h, width: w, maps: maps, cells: .init(y0: 0, x0: 0, y1: 0, x1: 0)),
        warnings: Self.zeroWarning(centroid, layer: layer.name, what: "the centroid of NMF group \(group)"))
    case .cells(let queryImage, let cells):
      let all = try await grids(model: model, images: [queryImage] + targets, layers: [layer.name])
      let q = all[0][0]
      let raw =
        cells.y1 - cells.y0 == 1 && cells.x1 - cells.x0 == 1
        ? q.vector(y: cells.y0, x: cells.x0) : q.meanVector(y0: cells.y0, x0: cells.x0, y1: cells.y1, x1: cells.x1)
      let maps = Self.maps(of: QueryVector(raw), over: all.dropFirst().map { $0[0] }, metric: metric)
      return SimilarityResult(
        targets: targets, queryImage: queryImage, metric: metric,
        answer: LayerAnswer(layer: layer.name, height: h, width: w, maps: maps, cells: cells),
        warnings: Self.zeroWarning(raw, layer: layer.name, what: Self.cellsText(cells, image: queryImage)))
    }
  }

  /// One map per grid, packed target-major into one buffer (the response's layout).
  static func maps(of query: QueryVector, over grids: [ActivationGrid], metric: SimilarityMetric) -> [Float] {
    let plane = grids.first?.cellCount ?? 0
    var maps = [Float](repeating: 0, count: grids.count * plane)
    maps.withUnsafeMutableBufferPointer { out in
      for (i, g) in grids.enumerated() {
        SimilarityMap.compute(
          query: query, grid: g, metric: metric,
          into: UnsafeMutableBufferPointer(rebasing: out[(i * plane)..<((i + 1) * plane)]))
      }
    }
    return maps
  }

  /// Answers a LayerSync query: one map set per layer.
  func sync(_ query: SyncQuery) async throws -> SyncResult {
    let all = try await grids(
      model: query.model, images: [query.pointImage] + query.targets, layers: query.layers.map(\.name))
    var answers: [LayerAnswer] = []
    var warnings: [String] = []
    for (li, layer) in query.layers.enumerated() {
      let cell = query.cells[li]
      let raw = all[0][li].vector(y: cell.y0, x: cell.x0)
      warnings += Self.zeroWarning(raw, layer: layer.name, what: Self.cellsText(cell, image: query.pointImage))
      let vector = QueryVector(raw)
      let maps = Self.maps(of: vector, over: all.dropFirst().map { $0[li] }, metric: query.metric)
      answers.append(LayerAnswer(layer: layer.name, height: layer.height, width: layer.width, maps: maps, cells: cell))
    }
    return SyncResult(
      targets: query.targets, pointImage: query.pointImage, metric: query.metric, answers: answers, warnings: warnings)
  }
}

extension DaemonState {
  /// A warning when a query vector is all zero (a cell every channel of which a ReLU cut to 0): its
  /// cosine is then 0 against every cell (the 1e-4 in the denominator), which looks like a real answer.
  static func zeroWarning(_ vector: [Float], layer: String, what: @autoclosure () -> String) -> [String] {
    guard vector.allSatisfy({ $0 == 0 }) else { return [] }
    return [
      "the query vector (\(what()), layer '\(layer)') is all zero: every cosine and dot similarity is 0; try another cell or layer"
    ]
  }

  /// "cell (y, x) of image 'NAME'" or "region (y0, x0)-(y1, x1) of image 'NAME'", for warnings.
  static func cellsText(_ c: LayerAnswer.Region, image: StoredImage) -> String {
    let name = ServiceError.quoted(image.name, limit: 64)
    return c.y1 - c.y0 == 1 && c.x1 - c.x0 == 1
      ? "cell (\(c.y0), \(c.x0)) of image \(name)" : "region (\(c.y0), \(c.x0))-(\(c.y1), \(c.x1)) of image \(name)"
  }
}
