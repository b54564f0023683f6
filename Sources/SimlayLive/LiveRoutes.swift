import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SimlayService

/// The live server's routes: the page and its scripts, the stored images, the colormaps, the WebSocket.
enum LiveRoutes {
  typealias Context = BasicWebSocketRequestContext

  static func router(bridge: LiveBridge) -> Router<Context> {
    let router = Router(context: Context.self)
    for asset in LiveAssets.all {
      router.get(RouterPath(asset.path == "/" ? "/" : asset.path)) { _, _ in asset.response() }
    }
    router.get("/api/colormaps") { request, context in
      try await bridge.authorize(request, context)
      let json = try JSONSerialization.data(withJSONObject: DaemonState.colormapTables(), options: [.sortedKeys])
      return LiveAssets.response(bytes: [UInt8](json), type: "application/json")
    }
    router.get("/api/images/:file") { request, context in
      try await bridge.authorize(request, context)
      let file = context.parameters.get("file") ?? ""
      guard file.hasSuffix(".png") else { throw HTTPError(.notFound, message: "images are served as ID.png") }
      let size = request.uri.queryParameters.get("size").map { Int($0) ?? -1 } ?? 256
      do {
        let png = try await bridge.state.displayPNG(imageID: String(file.dropLast(4)), longestSide: size)
        return LiveAssets.response(bytes: png, type: "image/png")
      } catch {
        let (code, message) = ServiceError.status(of: error)
        throw HTTPError(code == "NOT_FOUND" ? .notFound : .badRequest, message: message)
      }
    }
    router.ws("/ws") { request, _ in
      try bridge.checkOrigin(request)
      return .upgrade([:])
    } onUpgrade: { inbound, outbound, context in
      try await LiveSession(bridge: bridge).run(inbound: inbound, outbound: outbound)
    }
    return router
  }
}
