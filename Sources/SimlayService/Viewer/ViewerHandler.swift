import Foundation
import SimlayCore
import SimlayImaging
import SimlayProto

extension DaemonState {
  /// Answers an ExportViewer request: one self-contained page holding the images at display size and,
  /// per layer, every cell's maps over every image (the quantised all-pairs triangle), plus an optional
  /// NMF legend. INVALID_ARGUMENT for malformed options, NOT_FOUND for unknown models, layers or images,
  /// RESOURCE_EXHAUSTED when the page would exceed the request or viewer limits.
  func exportViewer(_ request: Simlay_V1_ExportViewerRequest) async throws -> Simlay_V1_ExportViewerResponse {
    let model = try models.get(request.model)
    let options = try ViewerOptions(request, maxImageSize: configuration.maxTileSize)
    guard !request.layers.isEmpty else {
      throw ServiceError(.invalidArgument, "layers is empty: name at least one layer")
    }
    guard !request.layers.contains(where: \.isEmpty) else {
      throw ServiceError(.invalidArgument, "a layer name is empty")
    }
    try checkLimit(request.layers.count, configuration.maxLayersPerRequest, "layers")
    guard !request.imageIds.isEmpty else {
      throw ServiceError(.invalidArgument, "image_ids is empty: name the images to show")
    }
    try checkLimit(request.imageIds.count, configuration.maxImagesPerRequest, "images")
    let layers = try request.layers.map { try model.layer($0) }
    let targets = try images(request.imageIds, for: model)
    try ViewerLimits.check(layers: layers.map { ($0.name, $0.height, $0.width) }, images: targets.count)
    try checkRenderPixels(tiles: targets.count, tileSize: options.imageSize, what: "the viewer's images")

    // NMF first: a refused layer (negative values under the refuse policy) should fail before the
    // all-pairs work.
    var nmf: ViewerPayload.NMF?
    if request.nmfK > 0 {
      let answer = try await nmfAnswer(
        decode(
          .with {
            $0.model = request.model
            $0.layer = request.nmfLayer.isEmpty ? request.layers[0] : request.nmfLayer
            $0.imageIds = request.imageIds
            $0.k = request.nmfK
            $0.policy = request.nmfPolicy
          }))
      nmf = .init(
        layer: answer.layer, k: answer.k, height: answer.height, width: answer.width,
        relativeError: answer.relativeError, palette: ViewerPayload.palette, groups: answer.groups,
        strength: answer.strength.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) })
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
    let title =
      request.title.isEmpty
      ? "Similarity overlays: \(model.name), \(layers.map(\.name).joined(separator: ", "))" : request.title
    let payload = ViewerPayload(
      title: title, model: model.name, metric: options.metric.rawValue, colormap: options.colormap.rawValue,
      upsample: options.upsample.rawValue, opacity: options.opacity, imageSize: options.imageSize,
      colormapTable: options.colormap == .mask
        ? nil
        : (0..<256).flatMap { i -> [UInt8] in
          // The bin centre lands in bin i under matplotlib's floor(v * 256), as the daemon's renderer looks it up.
          let c = options.colormap.color(at: (Float(i) + 0.5) / 256)
          return [c.red, c.green, c.blue]
        },
      images: shown, layers: packed, nmf: nmf)
    let html = ViewerTemplate.page(title: title, dataJSON: try payload.scriptSafeJSON())
    return .with { $0.html = html }
  }
}

/// The request's display options, checked, with the documented defaults filled in.
struct ViewerOptions {
  var metric: SimilarityMetric
  var colormap: Colormap
  var upsample: MapResize
  var opacity: Float
  var imageSize: Int

  init(_ request: Simlay_V1_ExportViewerRequest, maxImageSize: Int) throws {
    metric = try request.metric.similarityMetric()
    let style = try RenderStyle(request.render, maxTileSize: maxImageSize)
    // The page scales each metric's maps itself and draws no titles: refusing these beats ignoring them.
    guard style.explicitRange == nil else {
      throw ServiceError(
        .invalidArgument, "render.value_min/value_max do not apply to ExportViewer (the page uses each metric's range)")
    }
    guard style.titles else {
      throw ServiceError(
        .invalidArgument, "render.no_titles does not apply to ExportViewer (the page has no tile titles)")
    }
    (colormap, upsample, opacity, imageSize) = (style.colormap, style.upsample, style.opacity, style.tileSize)
    guard request.nmfK >= 0 else {
      throw ServiceError(.invalidArgument, "nmf_k \(request.nmfK) must be >= 0 (0 = no NMF legend)")
    }
    if case .UNRECOGNIZED(let v) = request.nmfPolicy { throw ServiceError(.invalidArgument, "unknown nmf_policy \(v)") }
  }
}
