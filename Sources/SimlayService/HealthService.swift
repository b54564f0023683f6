import GRPCCore
import SimlayProto

/// The standard `grpc.health.v1.Health` service: SERVING for the whole server ("") and for
/// `simlay.v1.Simlay` while the daemon serves, NOT_SERVING once it has begun to shut down; NOT_FOUND for
/// other service names, as the protocol specifies.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
  static let known: Set<String> = ["", "simlay.v1.Simlay", "grpc.health.v1.Health"]
  let lifecycle: ServingLifecycle

  /// A health service reporting `lifecycle`'s state.
  public init(lifecycle: ServingLifecycle = ServingLifecycle()) {
    self.lifecycle = lifecycle
  }

  private var current: Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    lifecycle.isShuttingDown ? .notServing : .serving
  }

  public func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
    -> Grpc_Health_V1_HealthCheckResponse
  {
    guard Self.known.contains(request.service) else {
      throw RPCError(code: .notFound, message: "unknown service '\(request.service)'")
    }
    return .with { $0.status = current }
  }

  /// Sends the status, then holds the stream until the client leaves (the stream then just ends) or the
  /// daemon begins to shut down (NOT_SERVING is sent, then the stream ends with OK, so load balancers
  /// drain this daemon instead of waiting for a connection error). The status does not change otherwise.
  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    let known = Self.known.contains(request.service)
    try await response.write(.with { $0.status = known ? current : .serviceUnknown })
    guard !lifecycle.isShuttingDown else { return }
    await lifecycle.waitUntilShutdownOrCancelled()
    // Only shutdown has something to say (a client that left cannot be written to; the write then fails
    // quietly). Shutdown also marks the RPC cancelled (the transport quiesces), so that is no test here.
    if lifecycle.isShuttingDown && known {
      try? await response.write(.with { $0.status = .notServing })
    }
  }
}
