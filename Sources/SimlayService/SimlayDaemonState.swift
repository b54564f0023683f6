import Foundation
import Logging
import SimlayCore
import SimlayEngine

/// Everything the daemon holds: models, images, the activation cache, limits and request statistics.
/// One instance is shared by every RPC.
public final class DaemonState: Sendable {
  /// Limits and sizes.
  public let configuration: ServiceConfiguration
  /// Loaded models.
  public let models: ModelRegistry
  /// Uploaded images.
  let images: ImageStore
  /// Activations.
  let cache: ActivationCache
  /// Every CPU-heavy step (forward passes, decoding, model loading, NMF, rendering, the viewer's maps),
  /// off the RPC threads.
  let executor: ComputeExecutor
  /// Image decoding and input preparation, on threads of their own (`decodeConcurrency` at once), so a slow
  /// image never holds the forward threads that queries wait for.
  let decoder: ComputeExecutor
  /// Recent NMF factorisations (group queries and viewers reuse them).
  let recentFactorisations: RecentResults<NMFAnswer>
  /// Per-method request counts and latencies.
  public let requestStats = RequestStats()
  /// The daemon's logger.
  public let logger: Logger
  let started = ContinuousClock.now

  /// Creates the state; add models to `models` before serving.
  public init(configuration: ServiceConfiguration, defaultModelName: String, logger: Logger) {
    self.configuration = configuration
    self.models = ModelRegistry(defaultName: defaultModelName, capacity: configuration.maxModelBytes)
    self.recentFactorisations = RecentResults(capacity: 8, bytes: configuration.nmfResultBytes)
    self.images = ImageStore(capacity: configuration.imageStoreBytes)
    self.executor = ComputeExecutor(limit: configuration.forwardConcurrency, label: "simlay.compute")
    self.decoder = ComputeExecutor(limit: configuration.decodeConcurrency, label: "simlay.decode")
    self.cache = ActivationCache(
      capacity: configuration.cacheBytes, executor: executor, maxBatch: configuration.maxForwardBatch,
      batchThreads: configuration.batchThreads)
    self.logger = logger
  }

  /// Checks a count against a limit, naming both.
  func checkLimit(_ count: Int, _ limit: Int, _ what: String) throws {
    guard count <= limit else {
      throw ServiceError(
        .resourceExhausted, "\(count) \(what) in one request exceeds the daemon's limit of \(limit)",
        details: ErrorDetails(
          .limitExceeded, metadata: ["limit": "\(limit)", "requested": "\(count)", "what": what],
          quotaViolations: [.init(subject: "\(what) per request", description: "\(count) > \(limit)")]))
    }
  }

  /// The named model ("" = the default) and its layer: NOT_FOUND naming either, INVALID_ARGUMENT for an
  /// empty layer name. The first step of every request about one layer.
  func modelLayer(_ modelName: String, _ layerName: String) throws -> (LoadedModel, GridLayer) {
    let model = try models.get(modelName)
    guard !layerName.isEmpty else { throw ServiceError(.invalidArgument, "layer is empty") }
    return (model, try model.layer(layerName))
  }

  /// The stored images for ids, checked to have been added with `model`'s preprocessing.
  func images(_ ids: [String], for model: LoadedModel) throws -> [StoredImage] {
    try ids.map { id in
      let image = try images.get(id)
      guard image.preprocessingKey == model.preprocessingKey else {
        throw ServiceError(
          .invalidArgument,
          "image '\(id)' was added for a model with another preprocessing; add it for model '\(model.name)'")
      }
      return image
    }
  }

  /// Grids of `layers` for each image (transformed by `variants[i]` when given); the missing ones are computed
  /// in batched forward passes (see `ActivationCache.grids`).
  func grids(
    model: LoadedModel, images: [StoredImage], layers: [String],
    variants: [InputVariant]? = nil
  ) async throws -> [[ActivationGrid]] {
    if let warm = cache.cachedGrids(model: model, images: images, layers: layers, variants: variants) { return warm }
    return try await cache.grids(
      model: model, images: images, layers: layers,
      variants: variants ?? Array(repeating: .identity, count: images.count))
  }
}
