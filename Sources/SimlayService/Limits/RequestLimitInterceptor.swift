import GRPCCore
import SwiftProtobuf

/// Refuses, before any handler runs, request messages whose text fields exceed ``RequestStringLimits``
/// (INVALID_ARGUMENT naming the field). Streams are checked message by message.
public struct RequestLimitInterceptor: ServerInterceptor {
  let limits: RequestStringLimits

  /// An interceptor enforcing `limits`.
  public init(limits: RequestStringLimits = RequestStringLimits()) {
    self.limits = limits
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
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
