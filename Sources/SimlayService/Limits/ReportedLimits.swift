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
    }
  }
}
