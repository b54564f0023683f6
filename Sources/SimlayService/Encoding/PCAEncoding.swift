import Foundation
import SimlayProto

extension Simlay_V1_PcaResponse {
  /// Scores [N, H, W, K], explained fractions, axes [K, C], the mask and colours, and the PNG when drawn.
  init(_ result: PCAResult) {
    self.init()
    let (n, h, w, k) = (
      result.fit.rows / max(result.height * result.width, 1), result.height, result.width, result.fit.components
    )
    layer = result.layer
    height = Int32(h)
    width = Int32(w)
    channels = Int32(result.fit.dimension)
    components = Simlay_V1_FloatTensor(shape: [n, h, w, k], values: result.fit.scores)
    explainedVariance = result.fit.explainedFraction
    axes = Simlay_V1_FloatTensor(shape: [k, result.fit.dimension], values: result.fit.axes)
    foreground = Simlay_V1_FloatTensor(shape: [n, h, w], values: result.foreground.map { $0 ? 1 : 0 })
    colors = Simlay_V1_FloatTensor(shape: [n, h, w, 3], values: result.colors.map(Float.init))
    if let png = result.png { self.png = Data(png) }
  }
}
