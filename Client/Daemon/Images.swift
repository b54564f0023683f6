import Foundation
import GRPCCore
import SimlayProto

/// The IMAGE files of a command, read for upload.
struct ImageFiles {
  /// The paths as given.
  let paths: [String]
  /// The display names sent to the daemon: the file names.
  let names: [String]
  /// The file bytes (PNG or JPEG; the daemon decodes them).
  let contents: [Data]

  init(_ paths: [String]) throws {
    guard !paths.isEmpty else { throw CLIError("give at least one IMAGE file") }
    self.paths = paths
    names = paths.map { ($0 as NSString).lastPathComponent }
    contents = try paths.map { path in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw CLIError("cannot read image '\(path)': no such file")
      }
      guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read image '\(path)'") }
      guard !data.isEmpty else { throw CLIError("image '\(path)' is empty") }
      return data
    }
  }

  var count: Int { paths.count }
  var totalBytes: Int { contents.reduce(0) { $0 + $1.count } }
}

extension Daemon {
  /// Adds the images for `model` ("" = the daemon's default) and returns their infos, one per file, in order.
  /// Says so on stderr when the upload takes more than a second.
  func upload(_ files: ImageFiles, model: String) async throws -> [Simlay_V1_ImageInfo] {
    var request = Simlay_V1_AddImagesRequest()
    request.model = model
    request.images = zip(files.contents, files.names).map { data, name in
      Simlay_V1_ImageUpload.with { $0.data = data; $0.name = name }
    }
    let what = "\(files.count) image\(files.count == 1 ? "" : "s") (\(formatBytes(files.totalBytes)))"
    let response: Simlay_V1_AddImagesResponse
    do {
      response = try await withProgress("uploading \(what)...") { try await addImages(request) }
    } catch var error as RPCError where error.code == .unavailable && !DaemonFailure.isConnectFailure(error) {
      // An upload over the daemon's message limit (simlayd --max-message-mb) gets its stream reset.
      error.message = "simlayd dropped the upload of \(what), perhaps over its message limit (simlayd --max-message-mb): "
        + "send fewer or smaller images (\(error.message))"
      throw error
    }
    guard response.images.count == files.count else {
      throw CLIError("simlayd answered AddImages with \(response.images.count) images for \(files.count) uploads")
    }
    return response.images
  }
}
