import GRPCCore
import GRPCInProcessTransport
import SimlayProto

/// Runs a page's hovers one at a time on one `SimilarityStream` (the daemon's hover path), reopened after
/// a failure (the stream ends with the first bad request's status) or when the page's token changes.
struct HoverLoop: Sendable {
  let service: Simlay_V1_Simlay.Client<InProcessTransport.Client>
  let token: @Sendable () -> String?

  /// An open stream: requests go in through `requests`, answers come back in order.
  private struct OpenStream {
    let token: String?
    let requests: AsyncStream<Simlay_V1_SimilarityRequest>.Continuation
    var answers: AsyncThrowingStream<Simlay_V1_SimilarityResponse, any Error>.AsyncIterator
    let task: Task<Void, Never>

    init(service: Simlay_V1_Simlay.Client<InProcessTransport.Client>, token: String?) {
      let (requestStream, requests) = AsyncStream.makeStream(of: Simlay_V1_SimilarityRequest.self)
      let (answerStream, answers) = AsyncThrowingStream.makeStream(of: Simlay_V1_SimilarityResponse.self)
      self.token = token
      self.requests = requests
      self.answers = answerStream.makeAsyncIterator()
      self.task = Task {
        do {
          try await service.similarityStream(metadata: LiveBridge.metadata(token: token)) { writer in
            for await request in requestStream { try await writer.write(request) }
          } onResponse: { response in
            for try await answer in response.messages { answers.yield(answer) }
          }
          answers.finish()
        } catch {
          answers.finish(throwing: error)
        }
      }
    }

    func close() {
      requests.finish()
      task.cancel()
    }
  }

  func run(_ hovers: AsyncStream<HoverJob>, send: AsyncStream<LiveSession.Outgoing>.Continuation) async {
    var open: OpenStream?
    defer { open?.close() }
    for await job in hovers {
      let current = token()
      if let stream = open, stream.token != current {
        stream.close()
        open = nil
      }
      var stream = open ?? OpenStream(service: service, token: current)
      do {
        for request in job.requests { stream.requests.yield(request) }
        var rows: [Simlay_V1_SimilarityResponse] = []
        for _ in job.requests {
          guard let answer = try await stream.answers.next() else {
            throw RPCError(code: .unavailable, message: "the daemon ended the hover stream")
          }
          rows.append(answer)
        }
        open = stream
        send.yield(.binary(try HoverFrame.encode(seq: job.seq, rows: rows)))
      } catch {
        stream.close()
        open = nil
        send.yield(.text(LiveSession.error(#""seq":\#(job.seq)"#, error)))
      }
    }
  }
}
