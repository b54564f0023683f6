import GRPCCore
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
      $0.query = .with { q in q.imageID = ids[image]; q.cell = .with { $0.y = y; $0.x = x } }
      $0.targetIds = ids
    }
  }

  @Test("answers each query in order, equal to the unary call; a bad query ends the stream with its status")
  func answersInOrder() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let queries = [Self.query(ids, image: 0, y: 3, x: 5), Self.query(ids, image: 1, y: 13, x: 0), Self.query(ids, image: 0, y: 7, x: 7)]
      let expected = try await queries.asyncMap { try await client.similarity($0).maps.data }
      let answers = try await client.similarityStream(requestProducer: { writer in
        for q in queries { try await writer.write(q) }
      }, onResponse: { response in
        var maps: [[UInt8]] = []
        for try await r in response.messages { maps.append([UInt8](r.maps.data)) }
        return maps
      })
      #expect(answers == expected.map { [UInt8]($0) })

      let bad = queries[0].with { $0.query.cell.y = 99 }
      let outcome = Mutex<(count: Int, code: RPCError.Code?)>((0, nil))
      do {
        try await client.similarityStream(requestProducer: { writer in
          try await writer.write(queries[1])
          try await writer.write(bad)
          try await writer.write(queries[2])
        }, onResponse: { response in
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
