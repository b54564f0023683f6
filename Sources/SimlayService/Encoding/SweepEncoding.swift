import Foundation
import SimlayImaging
import SimlayProto

extension Simlay_V1_SweepResponse {
  /// One step per parameter, in request order: its box, the [Q, H, W] maps and where each query went; the
  /// chart and strip PNGs when they were asked for.
  init(_ result: SweepResult) {
    self.init()
    let answer = result.answer
    if let png = result.chartPNG { chartPng = Data(png) }
    if let png = result.stripPNG { stripPng = Data(png) }
    layer = answer.layer
    queryCells = answer.queries.map { q in
      Simlay_V1_Region.with { r in
        (r.y0, r.x0, r.y1, r.x1) = (Int32(q.cells.y0), Int32(q.cells.x0), Int32(q.cells.y1), Int32(q.cells.x1))
      }
    }
    height = Int32(answer.height)
    width = Int32(answer.width)
    steps = answer.transforms.indices.map { s in
      Simlay_V1_SweepStep.with { step in
        step.param = answer.transforms[s].param
        step.box = answer.transforms[s].box?.array ?? []
        step.maps = Simlay_V1_FloatTensor(
          shape: [answer.queries.count, answer.height, answer.width], values: answer.maps[s])
        step.tracked = answer.tracked[s].map { t in
          Simlay_V1_TrackedCell.with {
            $0.y = Int32(clamping: t.cell.y)
            $0.x = Int32(clamping: t.cell.x)
            $0.inBounds = t.cell.inBounds
            $0.similarity = t.similarity
            $0.pointY = t.cell.point.y
            $0.pointX = t.cell.point.x
            if let best = t.best {
              $0.bestFound = true
              $0.bestY = Int32(best.y)
              $0.bestX = Int32(best.x)
              $0.bestSimilarity = best.value
            }
          }
        }
      }
    }
  }
}
