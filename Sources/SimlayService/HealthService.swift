import GRPCCore
import SimlayProto

/// The standard `grpc.health.v1.Health` service: SERVING for the whole server ("") and for
/// `simlay.v1.Simlay`; NOT_FOUND for other service names, as the protocol specifies.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
  static let known: Set<String> = ["", "simlay.v1.Simlay", "grpc.health.v1.Health"]

  /// A health service.
  public init() {}

  public func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
    guard Self.known.contains(request.service) else {
      throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
    }
    return .with { $0.status = .serving }
  }

  public func watch(request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
                    context: ServerContext) async throws {
    try await response.write(.with { $0.status = Self.known.contains(request.service) ? .serving : .serviceUnknown })
    // The status never changes while the daemon runs: hold the stream open until the client leaves.
    while !Task.isCancelled {
      try await Task.sleep(for: .seconds(3600))
    }
  }
}
