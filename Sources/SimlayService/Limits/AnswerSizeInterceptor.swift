import Foundation
import GRPCCore
import SwiftProtobuf

/// Refuses an answer larger than the caller can receive, with RESOURCE_EXHAUSTED naming the setting to
/// raise, instead of sending it. Why: stock gRPC clients receive at most 4 MiB; an ExportViewer page for
/// five photos at `blocks.4` is 9.7 MB and a Similarity answer for many targets at an early layer 12.8 MB,
/// and both failed inside the client with its own RESOURCE_EXHAUSTED that names no way out. A client that
/// has raised its limit says so with metadata `simlay-max-answer-bytes: N`; the `simlay` CLI and Python
/// client do. Every answer of every method is checked here, at the one place all of them pass.
public struct AnswerSizeInterceptor: ServerInterceptor {
  /// The metadata key a client states its receive limit in, in bytes.
  public static let metadataKey = "simlay-max-answer-bytes"
  /// The limit of a call without that metadata: the receive limit of stock gRPC clients.
  public static let defaultLimit = 4 << 20

  /// The interceptor.
  public init() {}

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let limit = try Self.limit(in: request.metadata)
    var response = try await next(request, context)
    guard case .success(var contents) = response.accepted else { return response }
    let (producer, method) = (contents.producer, context.descriptor.fullyQualifiedMethod)
    contents.producer = { writer in
      try await producer(RPCWriter(wrapping: SizeCheckedWriter(base: writer, limit: limit, method: method)))
    }
    response.accepted = .success(contents)
    return response
  }

  /// The stated limit, or the default; INVALID_ARGUMENT for a value that is not a positive integer.
  static func limit(in metadata: Metadata) throws -> Int {
    guard let given = metadata[stringValues: metadataKey].first(where: { _ in true }) else { return defaultLimit }
    guard let n = Int(given.trimmingCharacters(in: .whitespaces)), n > 0 else {
      throw ServiceError(
        .invalidArgument,
        "metadata \(metadataKey) \(ServiceError.quoted(given, limit: 32)) is not a positive number of bytes"
      ).rpcError
    }
    return n
  }
}

/// Passes messages through once their encoded size is known to fit. Serialising twice costs about 1 ms per
/// 10 MB (and microseconds for a hover answer of 12 KB), far less than sending an answer the client drops.
struct SizeCheckedWriter<Element: Sendable>: RPCWriterProtocol {
  let base: RPCWriter<Element>
  let limit: Int
  let method: String

  func write(_ element: Element) async throws {
    if let message = element as? any SwiftProtobuf.Message {
      let bytes: [UInt8] = try message.serializedBytes()
      if bytes.count > limit { throw Self.refusal(bytes: bytes.count, limit: limit, method: method) }
    }
    try await base.write(element)
  }

  func write(contentsOf elements: some Sequence<Element>) async throws {
    for element in elements { try await write(element) }
  }

  static func refusal(bytes: Int, limit: Int, method: String) -> RPCError {
    let shown = String(format: "%.1f MB", Double(bytes) / 1e6)
    let stream =
      method.hasSuffix("/ExportViewer") ? "; or call ExportViewerStream, which sends the page in 1 MiB pieces" : ""
    return ServiceError(
      .resourceExhausted,
      "the answer is \(shown) (\(bytes) bytes), over the \(limit) bytes this call accepts: raise the client's receive limit (Python grpc.max_receive_message_length, Go grpc.MaxCallRecvMsgSize, C++ SetMaxReceiveMessageSize) and send metadata '\(AnswerSizeInterceptor.metadataKey): <that limit>', or ask for less (fewer targets or layers, a later layer)\(stream)",
      details: ErrorDetails(
        .answerTooLarge,
        metadata: ["answer_bytes": "\(bytes)", "limit": "\(limit)", "metadata_key": AnswerSizeInterceptor.metadataKey],
        quotaViolations: [.init(subject: "answer bytes", description: "\(bytes) > \(limit)")])
    ).rpcError
  }
}
