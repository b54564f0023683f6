import SimlayProto

// The encode step for the similarity answers: domain results in, wire messages out. Rendering is added by
// the handler (the `rendered` field), so the maps are encoded the same way with or without it.

extension Simlay_V1_SimilarityResponse {
  /// The maps of one Similarity answer: [N, H, W], one map per target, and the query's cells.
  init(_ result: SimilarityResult) {
    let answer = result.answer
    self.init()
    layer = answer.layer
    queryCells = .with { r in
      (r.y0, r.x0, r.y1, r.x1) = (
        Int32(answer.cells.y0), Int32(answer.cells.x0), Int32(answer.cells.y1), Int32(answer.cells.x1)
      )
    }
    maps = Simlay_V1_FloatTensor(shape: [result.targets.count, answer.height, answer.width], values: answer.maps)
    warnings = result.warnings
  }
}

extension Simlay_V1_LayerSyncResponse {
  /// One `LayerMaps` per requested layer, in order: the cell under the point and the [N, H, W] maps.
  init(_ result: SyncResult) {
    self.init()
    layers = result.answers.map { a in
      Simlay_V1_LayerMaps.with {
        $0.layer = a.layer
        $0.cell = .with { c in (c.y, c.x) = (Int32(a.cells.y0), Int32(a.cells.x0)) }
        $0.maps = Simlay_V1_FloatTensor(shape: [result.targets.count, a.height, a.width], values: a.maps)
      }
    }
    warnings = result.warnings
  }
}
