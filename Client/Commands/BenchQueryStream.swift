import GRPCCore
import SimlayProto

extension QueryPlan {
  /// One client on one `SimilarityStream` (the hover path): connect, one untimed query, wait for the others,
  /// then send a query and await its answer, one at a time, until the time is up.
  func runStreamingClient(_ endpoint: Endpoint, gate: StartGate, duration: Duration) async throws -> ClientRun {
    try await endpoint.withDaemon { daemon in
      let (requests, sender) = AsyncStream<Simlay_V1_SimilarityRequest>.makeStream()
      return try await daemon.client.similarityStream(
        metadata: daemon.metadata, options: daemon.options,
        requestProducer: { writer in
          for await request in requests { try await writer.write(request) }
        },
        onResponse: { response in
          defer { sender.finish() }
          var answers = response.messages.makeAsyncIterator()
          var rng = SystemRandomNumberGenerator()
          let clock = ContinuousClock()
          var run = ClientRun()
          do {
            sender.yield(random(&rng))
            guard try await answers.next() != nil else { throw RPCError(code: .unavailable, message: "the stream ended") }
          } catch {
            _ = await gate.arrive(ready: false)
            throw error
          }
          guard let start = await gate.arrive(ready: true) else { return run }
          run.start = start
          do {
            while clock.now < start + duration {
              let t0 = clock.now
              sender.yield(random(&rng))
              guard try await answers.next() != nil else { break }
              run.latencies.append(milliseconds(clock.now - t0))
            }
          } catch {
            // A failed stream ends: count it, stop this client.
            run.errors += 1
            run.lastError = (error as? RPCError).map { "\(DaemonFailure.statusName($0.code)): \($0.message)" } ?? "\(error)"
            if let e = error as? RPCError, e.code == .unavailable { run.lostDaemon = true }
          }
          run.end = clock.now
          return run
        })
    }
  }
}
