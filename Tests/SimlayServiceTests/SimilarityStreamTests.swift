import GRPCCore
import NIOPosix
import SimlayEventLoop
import SimlayProto
import SimlayService
import Synchronization
import Testing

@Suite("SimilarityStream over the service")
struct SimilarityStreamTests {
  typealias H = ServiceHarness

  static func query(_ ids: [String], image: Int, y: Int32, x: Int32) -> Simlay_V1_SimilarityRequest {
    .with {
      $0.layer = "blocks.10"
      $0.query = .with { q in
        q.imageID = ids[image]
        q.cell = .with {
          $0.y = y
          $0.x = x
        }
      }
      $0.targetIds = ids
    }
  }

  @Test(
    "answers each query in order, equal to the unary call; a bad query ends the stream with its status",
    arguments: [false, true])
  func answersInOrder(onEventLoop: Bool) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { group.shutdownGracefully { _ in } }
    let hover = CountingExecutor(EventLoopExecutor(group.next()))
    let state = try H.makeState { if onEventLoop { $0.hoverExecutor = hover } }
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let queries = [
        Self.query(ids, image: 0, y: 3, x: 5), Self.query(ids, image: 1, y: 13, x: 0),
        Self.query(ids, image: 0, y: 7, x: 7),
      ]
      let expected = try await queries.asyncMap { try await client.similarity($0).maps.data }
      let answers = try await client.similarityStream(
        requestProducer: { writer in
          for q in queries { try await writer.write(q) }
        },
        onResponse: { response in
          var maps: [[UInt8]] = []
          for try await r in response.messages { maps.append([UInt8](r.maps.data)) }
          return maps
        })
      #expect(answers == expected.map { [UInt8]($0) })

      let bad = queries[0].with { $0.query.cell.y = 99 }
      let outcome = Mutex<(count: Int, code: RPCError.Code?)>((0, nil))
      do {
        try await client.similarityStream(
          requestProducer: { writer in
            try await writer.write(queries[1])
            try await writer.write(bad)
            try await writer.write(queries[2])
          },
          onResponse: { response in
            do {
              for try await _ in response.messages { outcome.withLock { $0.count += 1 } }
            } catch let e as RPCError {
              outcome.withLock { $0.code = e.code }
            }
          })
      } catch let e as RPCError {
        outcome.withLock { $0.code = e.code }
      }
      #expect(outcome.withLock { $0.count } == 1)
      #expect(outcome.withLock { $0.code } == .outOfRange)
      // The daemon keeps serving.
      #expect(try await client.similarity(queries[2]).maps.data == expected[2])
    }
    // The hover handlers ran on the configured executor, and only when one was configured.
    #expect((hover.jobs.withLock { $0 } > 0) == onEventLoop)
  }
}

/// Counts the jobs it runs, then runs them on an event loop.
final class CountingExecutor: TaskExecutor {
  let jobs = Mutex(0)
  let base: EventLoopExecutor

  init(_ base: EventLoopExecutor) { self.base = base }

  func enqueue(_ job: consuming ExecutorJob) {
    jobs.withLock { $0 += 1 }
    let job = UnownedJob(job)
    base.loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}

extension Simlay_V1_SimilarityRequest {
  func with(_ change: (inout Self) -> Void) -> Self {
    var copy = self
    change(&copy)
    return copy
  }
}

extension Array {
  func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
    var out: [T] = []
    for e in self { out.append(try await transform(e)) }
    return out
  }
}
