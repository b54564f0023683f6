import GRPCCore
import SimlayImaging
import SimlayWire

/// What the live view's HTTP server (SimlayLive) needs from the service beyond its RPCs: the stored
/// images as pictures and the colormaps as tables, so the page draws exactly what the daemon's renderer
/// would. Its queries go through the RPCs themselves (an in-process client), never around them.
extension DaemonState {
  /// The largest side `displayPNG` draws: a tile is a screen element, not the photo.
  package static let maxDisplaySide = 1024

  /// The stored image `id` (after EXIF orientation) fit so its longest side is `longestSide` pixels,
  /// PNG-encoded on the compute executor (never the I/O thread). NOT_FOUND naming the id when unknown,
  /// INVALID_ARGUMENT for a side outside 1...``maxDisplaySide``.
  package func displayPNG(imageID: String, longestSide: Int) async throws -> [UInt8] {
    guard (1...Self.maxDisplaySide).contains(longestSide) else {
      throw ServiceError(.invalidArgument, "size must be in 1...\(Self.maxDisplaySide), got \(longestSide)")
    }
    let stored = try images.get(imageID)
    return try await executor.run {
      try PNGEncoder.encode(ImageScaler.fit(stored.image, longestSide: longestSide))
    }
  }

  /// Every colormap with colours ("mask" has none) as 256 RGB bins, bin i the colour at (i + 0.5) / 256:
  /// the bin centre lands in bin i under `floor(v * 256)`, as the renderer looks values up.
  package static func colormapTables() -> [String: [UInt8]] {
    var tables: [String: [UInt8]] = [:]
    for colormap in Colormap.allCases where colormap != .mask { tables[colormap.rawValue] = colormapBins(colormap) }
    return tables
  }

  /// `colormap` as 256 RGB bins, the table the static viewer and the live page shade with.
  static func colormapBins(_ colormap: Colormap) -> [UInt8] {
    (0..<256).flatMap { i -> [UInt8] in
      let c = colormap.color(at: (Float(i) + 0.5) / 256)
      return [c.red, c.green, c.blue]
    }
  }

  /// The static viewer's pure functions (shading, outlines, colour bar), which the live page reuses.
  package static var viewerCoreScript: [UInt8] { PackageResources.viewer_core_js }
}

extension ServiceError {
  /// This error as the gRPC status it maps to (the live server reports statuses by name).
  package static func status(of error: any Error) -> (code: String, message: String) {
    let rpc = from(error)
    return (rpc.code.canonicalName, rpc.message)
  }
}
