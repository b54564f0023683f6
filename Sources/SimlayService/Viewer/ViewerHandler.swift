import Foundation
import SimlayCore
import SimlayImaging

extension DaemonState {
  /// The compute step of ExportViewer: one self-contained page holding the images at display size and, per
  /// layer, every cell's maps over every image (the quantised all-pairs triangle), plus an optional NMF legend
  /// and PCA view.
  func exportViewer(_ job: ViewerJob) async throws -> ViewerPage {
    let (model, layers, targets, options) = (job.model, job.layers, job.targets, job.options)
    // NMF first: a refused layer (negative values under the refuse policy) should fail before the
    // all-pairs work.
    var nmf: ViewerPayload.NMF?
    if let nmfJob = job.nmf {
      let answer = try await nmfAnswer(nmfJob)
      nmf = .init(
        layer: answer.layer, k: answer.k, height: answer.height, width: answer.width,
        relativeError: answer.relativeError, palette: ViewerPayload.palette, groups: answer.groups,
        strength: answer.strength.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) })
    }

    // The Pca RPC's own compute step, so the page's colours are the RPC's byte for byte.
    var pca: ViewerPayload.PCA?
    if let pcaJob = job.pca {
      let result = try await self.pca(pcaJob)
      pca = .init(
        layer: result.layer, height: result.height, width: result.width, channels: result.fit.dimension,
        components: result.fit.components, explainedVariance: result.fit.explainedFraction,
        foregroundThreshold: pcaJob.foregroundThreshold,
        colors: Data(result.colors).base64EncodedString())
    }

    let grids = try await grids(model: model, images: targets, layers: layers.map(\.name))
    // The all-pairs GEMM, deflate and PNG encoding are the heavy part of a page (seconds for big grids):
    // each layer is one job on the compute executor, so the RPC threads stay free and cancellation is
    // checked between layers.
    var packed: [ViewerPayload.Layer] = []
    for (li, layer) in layers.enumerated() {
      try Task.checkCancellation()
      let (layerGrids, metric) = (grids.map { $0[li] }, options.metric)
      packed.append(
        try await executor.run {
          let (matrix, cells) = ViewerAllPairs.matrix(of: layerGrids, metric: metric)
          let triangle = PackedTriangle(matrix: matrix, cells: cells)
          let compressed = try ViewerDeflate.compress(triangle.codes)
          return ViewerPayload.Layer(
            name: layer.name, height: layer.height, width: layer.width, channels: layer.channels,
            cells: cells, low: triangle.quantizer.low, high: triangle.quantizer.high, encoding: "deflate",
            length: triangle.codes.count, data: Data(compressed).base64EncodedString())
        })
    }

    let imageSize = options.imageSize
    let shown = try await executor.runCancellable { cancellation in
      try targets.map { target in
        try cancellation.check()
        let tile = ImageScaler.fit(target.image, longestSide: imageSize)
        let png = try PNGEncoder.encode(tile)
        return ViewerPayload.Image(
          name: target.name, width: target.image.width, height: target.image.height,
          displayWidth: tile.width, displayHeight: tile.height,
          src: "data:image/png;base64," + Data(png).base64EncodedString())
      }
    }
    let title = job.title
    let payload = ViewerPayload(
      title: title, model: model.name, metric: options.metric.rawValue, colormap: options.colormap.rawValue,
      upsample: options.upsample.rawValue, opacity: options.opacity, imageSize: options.imageSize,
      colormapTable: options.colormap == .mask ? nil : Self.colormapBins(options.colormap),
      images: shown, layers: packed, nmf: nmf, pca: pca)
    return ViewerPage(html: ViewerTemplate.page(title: title, dataJSON: try payload.scriptSafeJSON()))
  }
}
