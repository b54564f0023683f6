import GRPCCore
import Logging

/// Requires `authorization: Bearer <token>` on every call when the daemon has a token. The token is never
/// logged; refusals are throttled and logged with the method and the peer (``AuthFailureThrottle``).
public struct BearerTokenInterceptor: ServerInterceptor {
  let expected: String
  let throttle: AuthFailureThrottle
  let exemptServices: Set<String>

  /// An interceptor accepting exactly `token`; calls to `exemptServices` (fully qualified service names,
  /// e.g. `grpc.health.v1.Health` for `--health-without-token`) need none.
  public init(token: String, logger: Logger, throttle: AuthFailureThrottle? = nil, exemptServices: Set<String> = []) {
    self.expected = "Bearer \(token)"
    self.throttle = throttle ?? AuthFailureThrottle(logger: logger)
    self.exemptServices = exemptServices
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    if exemptServices.contains(context.descriptor.service.fullyQualifiedService) {
      return try await next(request, context)
    }
    let given = request.metadata[stringValues: "authorization"].first(where: { _ in true })
    guard await accepts(authorization: given, method: context.descriptor.fullyQualifiedMethod, peer: context.remotePeer)
    else {
      throw RPCError(
        code: .unauthenticated,
        message: "missing or invalid bearer token (send metadata 'authorization: Bearer <token>')")
    }
    return try await next(request, context)
  }

  /// Whether `given` (an `authorization` metadata or header value) is `Bearer <token>`. A refusal waits
  /// for its throttle slot first and is logged with the others, so the live server's HTTP requests and
  /// the gRPC calls share one guard against guessing.
  public func accepts(authorization given: String?, method: String, peer: String) async -> Bool {
    guard let given, constantTimeEqual(given, expected) else {
      let wait = throttle.refusal(
        method: method, peer: peer, reason: given == nil ? "missing authorization metadata" : "wrong token")
      try? await Task.sleep(for: wait)
      return false
    }
    return true
  }

  /// Compares without an early exit, so timing does not reveal how much of a guess was right.
  private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    var diff = x.count ^ y.count
    for i in 0..<min(x.count, y.count) { diff |= Int(x[i] ^ y[i]) }
    return diff == 0
  }
}

/// Counts requests and measures their latency per method, and logs failures.
public struct StatsInterceptor: ServerInterceptor {
  let stats: RequestStats
  let logger: Logger

  /// An interceptor recording into `stats`.
  public init(stats: RequestStats, logger: Logger) {
    self.stats = stats
    self.logger = logger
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let clock = ContinuousClock()
    let start = clock.now
    let method = context.descriptor.method
    do {
      let response = try await next(request, context)
      let failed: Bool
      if case .failure(let e) = response.accepted {
        failed = true
        logger.info(
          "request failed", metadata: ["method": "\(method)", "code": "\(e.code)", "message": "\(e.message)"])
      } else {
        failed = false
      }
      stats.record(method: method, milliseconds: Self.ms(clock.now - start), failed: failed)
      return response
    } catch {
      stats.record(method: method, milliseconds: Self.ms(clock.now - start), failed: true)
      throw error
    }
  }

  static func ms(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
  }
}
