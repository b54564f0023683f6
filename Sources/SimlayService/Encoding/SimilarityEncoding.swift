import Foundation
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
    layers = result.answers.map { Simlay_V1_LayerMaps($0, targets: result.targets.count) }
    warnings = result.warnings
  }
}

extension Simlay_V1_LayerMaps {
  /// One layer's maps over `targets` images and the point's cell.
  init(_ a: LayerAnswer, targets: Int) {
    self.init()
    layer = a.layer
    cell = .with { c in (c.y, c.x) = (Int32(a.cells.y0), Int32(a.cells.x0)) }
    maps = Simlay_V1_FloatTensor(shape: [targets, a.height, a.width], values: a.maps)
  }
}

extension Simlay_V1_CompareModelsResponse {
  /// One `ModelMaps` per row, in order (the rendered grid is added by the handler).
  init(_ result: CompareResult) {
    self.init()
    rows = result.rows.map { row in
      Simlay_V1_ModelMaps.with {
        $0.model = row.model
        $0.maps = Simlay_V1_LayerMaps(row.answer, targets: result.photos.count)
      }
    }
  }
}

extension Simlay_V1_RenderedImage {
  /// A rendered overlay grid.
  init(_ rendered: RenderedPNG) {
    self.init()
    png = Data(rendered.png)
    width = Int32(rendered.width)
    height = Int32(rendered.height)
  }
}
