import GRPCCore
import SwiftProtobuf

/// Refuses, before any handler runs, request messages whose text fields exceed ``RequestStringLimits``
/// (INVALID_ARGUMENT naming the field). Streams are checked message by message.
///
/// Server reflection is exempt: its protocol answers a bad request inside the stream (an ErrorResponse
/// for that one request, the stream going on), its handler clips names it quotes, and its lookups are
/// hash-table probes whatever the name's length.
public struct RequestLimitInterceptor: ServerInterceptor {
  let limits: RequestStringLimits
  static let exempt: Set<String> = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]

  /// An interceptor enforcing `limits`.
  public init(limits: RequestStringLimits = RequestStringLimits()) {
    self.limits = limits
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    if Self.exempt.contains(context.descriptor.service.fullyQualifiedService) {
      return try await next(request, context)
    }
    let limits = self.limits
    var checked = request
    checked.messages = RPCAsyncSequence(
      wrapping: request.messages.map { message -> Input in
        if let message = message as? any SwiftProtobuf.Message {
          do { try limits.check(message) } catch let error as ServiceError { throw error.rpcError }
        }
        return message
      })
    return try await next(checked, context)
  }
}
