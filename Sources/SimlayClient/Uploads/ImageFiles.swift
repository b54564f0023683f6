import Foundation
import GRPCCore
import SimlayProto

/// Image files read for upload.
public struct ImageFiles: Sendable {
  /// The paths as given.
  public let paths: [String]
  /// The display names sent to the daemon: the file names.
  public let names: [String]
  /// The file bytes (PNG or JPEG; the daemon decodes them).
  public let contents: [Data]

  /// Reads every file; a missing, unreadable or empty file is a `ClientError` naming it.
  public init(_ paths: [String]) throws {
    guard !paths.isEmpty else { throw ClientError(.usage, "give at least one IMAGE file") }
    self.paths = paths
    names = paths.map { ($0 as NSString).lastPathComponent }
    contents = try paths.map { path in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw ClientError(.file, "cannot read image '\(path)': no such file")
      }
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ClientError(.file, "cannot read image '\(path)'")
      }
      guard !data.isEmpty else { throw ClientError(.file, "image '\(path)' is empty") }
      return data
    }
  }

  /// The number of files.
  public var count: Int { paths.count }
  /// Their total size in bytes.
  public var totalBytes: Int { contents.reduce(0) { $0 + $1.count } }
  /// `N image(s) (SIZE)`, for progress messages.
  public var summary: String { "\(count) image\(count == 1 ? "" : "s") (\(formatBytes(totalBytes)))" }
}

extension Daemon {
  /// Adds the images for `model` ("" = the daemon's default) and returns their infos, one per file, in order.
  /// `progress` is called once with a message if the upload takes more than `notifyAfter`.
  public func addImages(
    _ files: ImageFiles, model: String, notifyAfter: Duration = .seconds(1),
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> [Simlay_V1_ImageInfo] {
    var request = Simlay_V1_AddImagesRequest()
    request.model = model
    request.images = zip(files.contents, files.names).map { data, name in
      Simlay_V1_ImageUpload.with {
        $0.data = data
        $0.name = name
      }
    }
    let what = files.summary
    let response: Simlay_V1_AddImagesResponse
    do {
      response = try await notifying("uploading \(what)...", after: notifyAfter, progress) {
        try await addImages(request)
      }
    } catch var error as RPCError where error.code == .unavailable && !DaemonFailure.isConnectFailure(error) {
      // An upload over the daemon's message limit (simlayd --max-message-mb) gets its stream reset.
      error.message =
        "simlayd dropped the upload of \(what), perhaps over its message limit (simlayd --max-message-mb): "
        + "send fewer or smaller images (\(error.message))"
      throw error
    }
    guard response.images.count == files.count else {
      throw ClientError(
        .malformedAnswer, "simlayd answered AddImages with \(response.images.count) images for \(files.count) uploads")
    }
    return response.images
  }
}

/// Runs `body`; if it takes longer than `delay`, calls `progress(message)` once, so a slow upload or a first
/// forward pass does not look like a hang. Quick calls report nothing.
public func notifying<T>(
  _ message: String, after delay: Duration, _ progress: @escaping @Sendable (String) -> Void,
  _ body: () async throws -> T
) async throws -> T {
  let reporter = Task {
    try await Task.sleep(for: delay)
    progress(message)
  }
  defer { reporter.cancel() }
  return try await body()
}

/// A byte count for people: `12.3 MB`, `850 kB`, `512 B`.
public func formatBytes(_ bytes: Int) -> String {
  let b = Double(bytes)
  if b >= 1e9 { return String(format: "%.1f GB", b / 1e9) }
  if b >= 1e6 { return String(format: "%.1f MB", b / 1e6) }
  if b >= 1e3 { return String(format: "%.0f kB", b / 1e3) }
  return "\(bytes) B"
}
