import HTTPTypes
import Hummingbird
import NIOCore
import SimlayService

/// The page's files, compiled into the binary (`.embedInCode` in Package.swift), so `simlayd --http`
/// needs nothing beside it. A new file under Resources/ needs a line there and one here.
struct LiveAsset: Sendable {
  var path: String
  var type: String
  var bytes: [UInt8]

  func response() -> Response { LiveAssets.response(bytes: bytes, type: type) }
}

enum LiveAssets {
  static let all: [LiveAsset] = [
    LiveAsset(path: "/", type: "text/html; charset=utf-8", bytes: PackageResources.live_html),
    LiveAsset(path: "/live.css", type: "text/css; charset=utf-8", bytes: PackageResources.live_css),
    script("/live.js", PackageResources.live_js),
    script("/live-core.js", PackageResources.live_core_js),
    script("/live-state.js", PackageResources.live_state_js),
    script("/live-net.js", PackageResources.live_net_js),
    script("/live-panels.js", PackageResources.live_panels_js),
    script("/live-view.js", PackageResources.live_view_js),
    // The static viewer's shading and drawing functions, shared rather than copied.
    script("/viewer-core.js", DaemonState.viewerCoreScript),
  ]

  private static func script(_ path: String, _ bytes: [UInt8]) -> LiveAsset {
    LiveAsset(path: path, type: "text/javascript; charset=utf-8", bytes: bytes)
  }

  /// A response with the headers every answer of this server carries: the page runs only its own
  /// scripts and talks only to its own origin (images arrive as blob: URLs), and nothing is cached, so an
  /// upgraded daemon serves its own page.
  static func response(bytes: [UInt8], type: String) -> Response {
    var headers: HTTPFields = [
      .contentType: type,
      .cacheControl: "no-store",
      HTTPField.Name("X-Content-Type-Options")!: "nosniff",
      HTTPField.Name("Referrer-Policy")!: "no-referrer",
      HTTPField.Name("Content-Security-Policy")!:
        "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; style-src 'self'; frame-ancestors 'none'",
    ]
    headers[.contentLength] = "\(bytes.count)"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
