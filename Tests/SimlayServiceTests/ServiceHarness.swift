import Foundation
import GRPCCore
import GRPCInProcessTransport
import Logging
import SimlayCore
import SimlayEngine
import SimlayProto
import SimlayService

/// Runs the real service behind gRPC's in-process transport, so tests exercise serialisation, status
/// mapping and interceptors without sockets (the daemon over real sockets is tested from Python).
enum ServiceHarness {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let modelPath = root.appendingPathComponent("models/efficientnet-lite0.onnx").path

  /// Photos for `names.count` uploads: the example photos scripts/example_images.sh fetches, in turn (the
  /// names only say what a test asks for; nothing outside the repository and its setup is read).
  static func photo(_ names: [String]) -> [String] {
    let examples = root.appendingPathComponent("examples/images").path
    let files = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png"]
    return names.indices.map { (examples as NSString).appendingPathComponent(files[$0 % files.count]) }
  }

  static let sharedModel: LoadedModel? = try? LoadedModel(name: DaemonDefaults.defaultModelName, path: modelPath)

  static func makeState(_ configure: (inout ServiceConfiguration) -> Void = { _ in }) throws -> DaemonState {
    var config = ServiceConfiguration()
    configure(&config)
    let state = DaemonState(
      configuration: config, defaultModelName: DaemonDefaults.defaultModelName, logger: Logger(label: "test"))
    guard let model = sharedModel else {
      throw EngineError(.io, "default model missing: run scripts/convert_efficientnet_lite0.py")
    }
    try state.models.add(model)
    return state
  }

  /// Calls `body` with a client of a service over `state`.
  static func withClient<R: Sendable>(
    _ state: DaemonState, token: String? = nil,
    _ body: (Simlay_V1_Simlay.Client<InProcessTransport.Client>) async throws -> R
  ) async throws -> R {
    let transport = InProcessTransport()
    var interceptors: [any ServerInterceptor] = [StatsInterceptor(stats: state.requestStats, logger: state.logger)]
    if let token { interceptors.insert(BearerTokenInterceptor(token: token, logger: state.logger), at: 0) }
    return try await withGRPCServer(
      transport: transport.server, services: [SimlayService(state: state), HealthService()],
      interceptors: interceptors
    ) { _ in
      try await withGRPCClient(transport: transport.client) { client in
        try await body(Simlay_V1_Simlay.Client(wrapping: client))
      }
    }
  }

  static func upload(_ paths: [String]) -> Simlay_V1_AddImagesRequest {
    .with { r in
      r.images = paths.map { p in
        .with {
          $0.data = FileManager.default.contents(atPath: p) ?? Data()
          $0.name = (p as NSString).lastPathComponent
        }
      }
    }
  }

  static func floats(_ t: Simlay_V1_FloatTensor) -> [Float] {
    t.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }
}
