import SimlayProto

extension SimlayService {
  /// simlayd's version, as the Python package (python/pyproject.toml) states it.
  public static let version = "0.1.0"

  /// The limits a client can size its requests by, as `Stats` reports them.
  static func limits(_ configuration: ServiceConfiguration) -> Simlay_V1_Limits {
    let text = RequestStringLimits()
    return .with {
      $0.maxMessageBytes = Int64(configuration.maxMessageBytes)
      $0.maxImagePixels = Int64(configuration.maxImagePixels)
      $0.maxRequestPixels = Int64(configuration.maxRequestPixels)
      $0.maxImagesPerRequest = Int32(configuration.maxImagesPerRequest)
      $0.maxLayersPerRequest = Int32(configuration.maxLayersPerRequest)
      $0.maxTileSize = Int32(configuration.maxTileSize)
      $0.maxTextFieldBytes = Int32(text.maxBytes)
      $0.maxPathBytes = Int32(text.maxPathBytes)
      $0.defaultMaxAnswerBytes = Int64(AnswerSizeInterceptor.defaultLimit)
      $0.maxNmfWork = Int64(configuration.maxNMFWork)
      $0.maxRenderPixels = Int64(configuration.maxRenderPixels)
      $0.maxSweepSteps = Int32(clamping: configuration.maxSweepSteps)
      $0.maxSweepQueries = Int32(clamping: configuration.maxSweepQueries)
      $0.maxBatchQueries = Int32(clamping: configuration.maxBatchQueries)
      $0.maxBatchValues = Int64(configuration.maxBatchValues)
      $0.maxModelBytes = Int64(configuration.maxModelBytes)
      $0.imageStoreBytes = Int64(configuration.imageStoreBytes)
      $0.cacheBytes = Int64(configuration.cacheBytes)
      $0.nmfResultBytes = Int64(configuration.nmfResultBytes)
    }
  }
}
