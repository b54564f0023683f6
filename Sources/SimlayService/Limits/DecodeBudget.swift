import SimlayImaging

extension DaemonState {
  /// RESOURCE_EXHAUSTED when the uploads would decode to more than `budget` pixels in all, read from their
  /// headers before anything is decoded (a header read is microseconds; decoding is ~10 ns a pixel). An
  /// upload whose header cannot be read counts nothing here: decoding it reports the problem by name.
  static func checkDecodeBudget(_ uploads: [ImageUpload], maxImagePixels: Int, budget: Int) throws {
    var total = 0
    for upload in uploads {
      guard let header = try? ImageDecoder.probe(upload.bytes, maxPixels: maxImagePixels) else { continue }
      total += header.width * header.height
    }
    guard total <= budget else {
      throw ServiceError(
        .resourceExhausted,
        "the \(uploads.count) images of this request would decode to \(total) pixels, over the daemon's limit of \(budget) per request (--max-request-pixels); send fewer or smaller images per call"
      )
    }
  }
}
