import SimlayProto

/// One image of an AddImages request: its file bytes and display name ("image i" when none was given).
struct ImageUpload: Sendable {
  var bytes: [UInt8]
  var name: String
}

/// A validated AddImages request: the decode step's output, the compute step's input.
struct UploadBatch: Sendable {
  var model: LoadedModel
  var uploads: [ImageUpload]
}

/// An image the daemon holds after AddImages, and whether it held it before this request.
struct AddedImage: Sendable {
  var image: StoredImage
  var existed: Bool
}

extension DaemonState {
  /// The decode step of AddImages: counts, bytes and the decoded-pixel budget checked from the headers,
  /// before any pixel is decoded. INVALID_ARGUMENT, NOT_FOUND or RESOURCE_EXHAUSTED naming what was wrong.
  func decode(_ request: Simlay_V1_AddImagesRequest) throws -> UploadBatch {
    guard !request.images.isEmpty else { throw ServiceError(.invalidArgument, "images is empty") }
    try checkLimit(request.images.count, configuration.maxImagesPerRequest, "images")
    let bytes = request.images.reduce(0) { $0 + $1.data.count }
    guard bytes <= configuration.maxMessageBytes else {
      throw ServiceError(
        .resourceExhausted,
        "\(bytes) bytes of images in one request exceed the daemon's message limit of \(configuration.maxMessageBytes) bytes; send fewer images per call"
      )
    }
    let model = try models.get(request.model)
    let uploads = request.images.enumerated().map { i, upload in
      ImageUpload(bytes: [UInt8](upload.data), name: upload.name.isEmpty ? "image \(i)" : upload.name)
    }
    try Self.checkDecodeBudget(
      uploads, maxImagePixels: configuration.maxImagePixels, budget: configuration.maxRequestPixels)
    return UploadBatch(model: model, uploads: uploads)
  }
}
