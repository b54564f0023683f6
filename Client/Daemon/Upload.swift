import SimlayClient
import SimlayProto

extension Daemon {
  /// Adds the images for `model` ("" = the daemon's default) and returns their infos, one per file, in order;
  /// says so on stderr when the upload takes more than a second.
  func upload(_ files: ImageFiles, model: String) async throws -> [Simlay_V1_ImageInfo] {
    try await addImages(files, model: model) { note("simlay: \($0)") }
  }
}
