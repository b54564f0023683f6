import GRPCCore
import NIOCore
import SimlayClient
import SimlayCore
import SimlayProto

extension QueryPlan {
  /// One client on one `SimilarityStream` (the hover path): connect, one untimed query, wait for the others,
  /// then send a query and await its answer, one at a time, until the time is up.
  func runStreamingClient(_ endpoint: Endpoint, io: any EventLoopGroup, gate: StartGate, duration: Duration)
    async throws -> ClientRun
  {
    try await endpoint.withDaemon(eventLoopGroup: io) { daemon in
      // The request writer is handed to the response side, which writes each query itself as soon as the
      // previous answer is in: a queue between the two would cost a task switch per query.
      let (writers, handOver) = AsyncStream<RPCWriter<Simlay_V1_SimilarityRequest>>.makeStream()
      let (finished, finish) = AsyncStream<Never>.makeStream()
      return try await daemon.client.similarityStream(
        metadata: daemon.metadata, options: daemon.options,
        requestProducer: { writer in
          handOver.yield(writer)
          handOver.finish()
          for await _ in finished {}  // the request side stays open until the response side is done
        },
        onResponse: { response in
          defer { finish.finish() }
          var answers = response.messages.makeAsyncIterator()
          var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
          let clock = ContinuousClock()
          var run = ClientRun()
          do {
            var handed = writers.makeAsyncIterator()
            guard let writer = await handed.next() else {
              throw RPCError(code: .unavailable, message: "the stream ended")
            }
            try await writer.write(random(&rng))
            guard try await answers.next() != nil else {
              throw RPCError(code: .unavailable, message: "the stream ended")
            }
            guard let start = await gate.arrive(ready: true) else { return run }
            run.start = start
            do {
              while clock.now < start + duration {
                let t0 = clock.now
                try await writer.write(random(&rng))
                guard try await answers.next() != nil else { break }
                run.latencies.append(milliseconds(clock.now - t0))
              }
            } catch {
              // A failed stream ends: count it, stop this client.
              run.errors += 1
              run.lastError =
                (error as? RPCError).map { "\(DaemonFailure.statusName($0.code)): \($0.message)" } ?? "\(error)"
              if let e = error as? RPCError, e.code == .unavailable { run.lostDaemon = true }
            }
          } catch {
            _ = await gate.arrive(ready: false)
            throw error
          }
          run.end = clock.now
          return run
        })
    }
  }
}
