import SimlayCore
import SimlayEngine
import SimlayImaging
import SimlayProto

/// A validated ExportViewer request: the decode step's output, the compute step's input.
struct ViewerJob: Sendable {
  var model: LoadedModel
  /// The layers shown, in order; each within the viewer's cell limit for the images.
  var layers: [GridLayer]
  var targets: [StoredImage]
  var options: ViewerOptions
  /// The factorisation drawn as the legend, nil for none.
  var nmf: NMFJob?
  /// The PCA mode's fit (the Pca RPC's job, without a picture), nil for none.
  var pca: PCAJob?
  var title: String
}

/// A finished page.
struct ViewerPage {
  var html: String
}

/// The request's display options, checked, with the documented defaults filled in.
struct ViewerOptions: Sendable {
  var metric: SimilarityMetric
  var colormap: Colormap
  var upsample: MapResize
  var opacity: Float
  var imageSize: Int
}

extension DaemonState {
  /// The decode step of ExportViewer: INVALID_ARGUMENT for malformed options, NOT_FOUND for unknown models,
  /// layers or images, RESOURCE_EXHAUSTED when the page would exceed the request or viewer limits; all before
  /// any forward pass.
  func decode(_ request: Simlay_V1_ExportViewerRequest) throws -> ViewerJob {
    let model = try models.get(request.model)
    let options = try viewerOptions(request)
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
    let nmf =
      request.nmfK == 0
      ? nil
      : try decode(
        Simlay_V1_NmfRequest.with {
          $0.model = request.model
          $0.layer = request.nmfLayer.isEmpty ? request.layers[0] : request.nmfLayer
          $0.imageIds = request.imageIds
          $0.k = request.nmfK
          $0.policy = request.nmfPolicy
        })
    let pca = try pcaJob(request)
    let title =
      request.title.isEmpty
      ? "Similarity overlays: \(model.name), \(layers.map(\.name).joined(separator: ", "))" : request.title
    return ViewerJob(model: model, layers: layers, targets: targets, options: options, nmf: nmf, pca: pca, title: title)
  }

  /// The PCA mode's job: the Pca RPC's decode step (the same checks and messages) on pca_layer, or nil
  /// without `pca`; its options without `pca` are refused rather than ignored.
  func pcaJob(_ request: Simlay_V1_ExportViewerRequest) throws -> PCAJob? {
    guard request.pca else {
      guard request.pcaLayer.isEmpty, request.pcaComponents == 0, !request.hasPcaForegroundThreshold else {
        throw ServiceError(
          .invalidArgument, "pca_layer, pca_components and pca_foreground_threshold need pca (the PCA mode)")
      }
      return nil
    }
    do {
      return try decode(pcaRequest(request))
    } catch var error as ServiceError {
      // The Pca RPC's messages name its own fields (components, foreground_threshold): say which request.
      error.message = "pca: " + error.message
      throw error
    }
  }

  /// The Pca request the page's PCA mode makes: the page's model and images at pca_layer.
  func pcaRequest(_ request: Simlay_V1_ExportViewerRequest) -> Simlay_V1_PcaRequest {
    Simlay_V1_PcaRequest.with {
      $0.model = request.model
      $0.layer = request.pcaLayer.isEmpty ? request.layers[0] : request.pcaLayer
      $0.imageIds = request.imageIds
      $0.components = request.pcaComponents
      if request.hasPcaForegroundThreshold { $0.foregroundThreshold = request.pcaForegroundThreshold }
    }
  }

  /// The page's display options from the request's metric and render options.
  func viewerOptions(_ request: Simlay_V1_ExportViewerRequest) throws -> ViewerOptions {
    let metric = try request.metric.similarityMetric()
    let style = try renderStyle(request.render)
    // The page scales each metric's maps itself and draws no titles: refusing these beats ignoring them.
    guard style.explicitRange == nil else {
      throw ServiceError(
        .invalidArgument, "render.value_min/value_max do not apply to ExportViewer (the page uses each metric's range)")
    }
    guard style.titles else {
      throw ServiceError(
        .invalidArgument, "render.no_titles does not apply to ExportViewer (the page has no tile titles)")
    }
    guard request.nmfK >= 0 else {
      throw ServiceError(.invalidArgument, "nmf_k \(request.nmfK) must be >= 0 (0 = no NMF legend)")
    }
    if case .UNRECOGNIZED(let v) = request.nmfPolicy { throw ServiceError(.invalidArgument, "unknown nmf_policy \(v)") }
    return ViewerOptions(
      metric: metric, colormap: style.colormap, upsample: style.upsample, opacity: style.opacity,
      imageSize: style.tileSize)
  }
}
