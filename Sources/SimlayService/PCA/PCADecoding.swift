import SimlayCore
import SimlayEngine
import SimlayProto

/// A validated Pca request: the decode step's output, the compute step's input.
struct PCAJob: Sendable {
  var model: LoadedModel
  var layer: GridLayer
  var images: [StoredImage]
  var components: Int
  var foregroundThreshold: Float?
  /// Nil for no picture.
  var style: RenderStyle?
}

extension DaemonState {
  /// Most components one request may fit: enough for any RGB view and its neighbours, small enough that
  /// the scores stay a fraction of the activations.
  static let maxPCAComponents = 16

  /// The decode step of Pca: INVALID_ARGUMENT, NOT_FOUND or RESOURCE_EXHAUSTED naming what was wrong, all
  /// before any forward pass.
  func decode(_ request: Simlay_V1_PcaRequest) throws -> PCAJob {
    let style = request.hasRender ? try renderStyle(request.render) : nil
    let (model, layer) = try modelLayer(request.model, request.layer)
    guard !request.imageIds.isEmpty else {
      throw ServiceError(.invalidArgument, "image_ids is empty: name the images to fit together")
    }
    try checkLimit(request.imageIds.count, configuration.maxImagesPerRequest, "images")
    let k = request.components == 0 ? 3 : Int(request.components)
    let most = min(Self.maxPCAComponents, layer.channels)
    guard k >= 1, k <= most else {
      throw ServiceError(
        .invalidArgument,
        "components \(request.components) must be in 1...\(most) (0 = 3; at most \(Self.maxPCAComponents) and the layer's \(layer.channels) channels)"
      )
    }
    if request.hasForegroundThreshold, !request.foregroundThreshold.isFinite {
      throw ServiceError(.invalidArgument, "foreground_threshold \(request.foregroundThreshold) is not a finite number")
    }
    let images = try images(request.imageIds, for: model)
    guard images.count * layer.height * layer.width >= 2 else {
      throw ServiceError(
        .invalidArgument, "PCA needs at least 2 cells: layer '\(layer.name)' has 1 per image; add images")
    }
    return PCAJob(
      model: model, layer: layer, images: images, components: k,
      foregroundThreshold: request.hasForegroundThreshold ? request.foregroundThreshold : nil, style: style)
  }
}
