import Foundation
import GRPCCore
import SimlayCore
import SimlayEngine
import SimlayImaging
import SimlayProto
import SimlayService
import Testing

@Suite("Simlay service in-process", .serialized)
struct SimlayServiceTests {
  typealias H = ServiceHarness

  @Test("maps equal the formula on the engine's own activations")
  func mapsMatchFormula() async throws {
    let state = try H.makeState()
    let paths = H.photo(["cat.png", "pig.jpeg", "dog_cat.jpeg"])
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(paths)).images.map(\.id)
      for metric in [Simlay_V1_Metric.cosine, .dot, .euclidean] {
        let response = try await client.similarity(
          .with {
            $0.layer = "blocks.10"
            $0.query = .with { q in
              q.imageID = ids[1]
              q.cell = .with {
                $0.y = 3
                $0.x = 9
              }
            }
            $0.targetIds = ids
            $0.metric = metric
          })
        #expect(response.maps.shape == [3, 14, 14])
        let maps = H.floats(response.maps)
        // Reference: the engine's tensor for each image and the formula in double precision.
        let model = H.sharedModel!
        let acts = try paths.map { p in
          try model.model.run(model.pipeline.tensor(for: [ImageDecoder.decode(contentsOf: p)]), keep: ["blocks.10"])[
            "blocks.10"]!.floats
        }
        func vec(_ a: [Float], _ y: Int, _ x: Int) -> [Double] { (0..<112).map { Double(a[($0 * 14 + y) * 14 + x]) } }
        let u = vec(acts[1], 3, 9)
        let nu = sqrt(u.map { $0 * $0 }.reduce(0, +))
        var worst = 0.0
        for i in 0..<3 {
          for y in 0..<14 {
            for x in 0..<14 {
              let v = vec(acts[i], y, x)
              let nv = sqrt(v.map { $0 * $0 }.reduce(0, +))
              let dot = zip(u, v).map(*).reduce(0, +)
              let expected: Double
              switch metric {
              case .dot: expected = dot
              case .euclidean: expected = -sqrt(zip(u, v).map { ($0 - $1) * ($0 - $1) }.reduce(0, +))
              default: expected = dot / ((nu + 1e-4) * (nv + 1e-4))
              }
              let got = Double(maps[(i * 14 + y) * 14 + x])
              // Float32 sums err relative to the size of their terms, not of the (possibly cancelling) result.
              let scale = metric == .dot ? zip(u, v).map { abs($0 * $1) }.reduce(0, +) : abs(expected)
              worst = max(worst, abs(got - expected) / max(1, scale))
            }
          }
        }
        #expect(worst < 1e-5, "metric \(metric): worst relative error \(worst)")
      }
    }
  }

  @Test("each bad request gets its status, and the next valid call succeeds with the cache intact")
  func errors() async throws {
    let state = try H.makeState {
      $0.maxImagesPerRequest = 3
      $0.maxLayersPerRequest = 2
    }
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      func query(_ mutate: (inout Simlay_V1_SimilarityRequest) -> Void) -> Simlay_V1_SimilarityRequest {
        var r = Simlay_V1_SimilarityRequest.with {
          $0.layer = "blocks.4"
          $0.query = .with { q in
            q.imageID = ids[0]
            q.cell = .with {
              $0.y = 1
              $0.x = 2
            }
          }
          $0.targetIds = ids
        }
        mutate(&r)
        return r
      }
      _ = try await client.similarity(query { _ in })
      let entries = state.requestStats.snapshot().count
      let cases: [(RPCError.Code, String, Simlay_V1_SimilarityRequest)] = [
        (.notFound, "no model 'nope'", query { $0.model = "nope" }),
        (.notFound, "no layer 'blocks.99'", query { $0.layer = "blocks.99" }),
        (.notFound, "no image with id 'feedface'", query { $0.targetIds = ["feedface"] }),
        (.outOfRange, "28 x 28", query { $0.query.cell.y = 28 }),
        (
          .outOfRange, "outside image",
          query {
            $0.query.pixel = .with {
              $0.px = -5
              $0.py = 1
            }
          }
        ),
        (.invalidArgument, "target_ids is empty", query { $0.targetIds = [] }),
        (.invalidArgument, "query is missing", query { $0.clearQuery() }),
        (
          .invalidArgument, "region",
          query {
            $0.query.region = .with {
              $0.y0 = 3
              $0.y1 = 3
              $0.x1 = 2
            }
          }
        ),
        (.resourceExhausted, "limit of 3", query { $0.targetIds = [ids[0], ids[1], ids[0], ids[1]] }),
      ]
      for (code, text, request) in cases {
        do {
          _ = try await client.similarity(request)
          Issue.record("expected \(code) for '\(text)'")
        } catch let e as RPCError {
          #expect(e.code == code, "\(text): got \(e.code) \(e.message)")
          #expect(e.message.contains(text), "message '\(e.message)' should contain '\(text)'")
        }
        let ok = try await client.similarity(query { _ in })
        #expect(ok.maps.shape == [2, 28, 28])
      }
      await #expect(throws: RPCError.self) {
        _ = try await client.addImages(
          .with {
            $0.images = [
              .with {
                $0.data = Data("not an image".utf8)
                $0.name = "junk.png"
              }
            ]
          })
      }
      await #expect(throws: RPCError.self) {
        _ = try await client.layerSync(
          .with {
            $0.layers = ["stem", "blocks.4", "head"]
            $0.imageID = ids[0]
            $0.point = .with {
              $0.px = 1
              $0.py = 1
            }
            $0.targetIds = ids
          })
      }
      let stats = try await client.stats(.init())
      #expect(stats.cache.entries == 2, "the failed requests must not add or drop cache entries")
      #expect(state.requestStats.snapshot().count >= entries)
    }
  }

  @Test("concurrent first requests for one entry run one forward pass")
  func computeOnce() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let id = try await client.addImages(H.upload(H.photo(["parrot.jpg"]))).images[0].id
      let before = try await client.stats(.init()).cache.forwardPasses
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<4 {
          group.addTask {
            _ = try await client.similarity(
              .with {
                $0.layer = "blocks.10"
                $0.query = .with { q in
                  q.imageID = id
                  q.cell = .with {
                    $0.y = Int32(i)
                    $0.x = 1
                  }
                }
                $0.targetIds = [id]
              })
          }
        }
        try await group.waitForAll()
      }
      let after = try await client.stats(.init()).cache.forwardPasses
      #expect(after - before == 1)
    }
  }

  @Test("the cache stays within its byte bound, evicting least recently used entries")
  func boundedCache() async throws {
    let state = try H.makeState { $0.cacheBytes = 400_000 }
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg", "owl.jpg"]))).images.map(\.id)
      for layer in ["blocks.4", "blocks.10", "head", "blocks.4"] {
        _ = try await client.similarity(
          .with {
            $0.layer = layer
            $0.query = .with { q in
              q.imageID = ids[0]
              q.cell = .with {
                $0.y = 0
                $0.x = 0
              }
            }
            $0.targetIds = ids
          })
        let c = try await client.stats(.init()).cache
        #expect(c.bytes <= c.capacityBytes)
      }
      #expect(try await client.stats(.init()).cache.evictions > 0)
    }
  }

  @Test("a token-protected service refuses calls without the token")
  func bearerToken() async throws {
    let state = try H.makeState()
    try await H.withClient(state, token: "s3cret") { client in
      do {
        _ = try await client.listModels(.init())
        Issue.record("expected UNAUTHENTICATED")
      } catch let e as RPCError {
        #expect(e.code == .unauthenticated)
      }
      let ok = try await client.listModels(.init(), metadata: ["authorization": "Bearer s3cret"])
      #expect(ok.models.count == 1)
      await #expect(throws: RPCError.self) {
        _ = try await client.listModels(.init(), metadata: ["authorization": "Bearer wrong"])
      }
    }
  }

  @Test("Similarity with render answers the maps and a PNG of one tile per target, the query patch outlined in yellow")
  func render() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      var request = Simlay_V1_SimilarityRequest.with {
        $0.layer = "head"
        $0.query = .with { q in
          q.imageID = ids[0]
          q.cell = .with {
            $0.y = 3
            $0.x = 3
          }
        }
        $0.targetIds = ids
      }
      let plain = try await client.similarity(request)
      #expect(!plain.hasRendered)
      request.render = .with {
        $0.tileSize = 128
        $0.noTitles = true
      }
      let answer = try await client.similarity(request)
      #expect(answer.maps == plain.maps, "rendering leaves the maps as they are")
      let response = answer.rendered
      let image = try ImageDecoder.decode([UInt8](response.png))
      #expect(image.width == Int(response.width) && image.width >= 2 * 128)
      var yellow = 0
      for i in stride(from: 0, to: image.pixels.count, by: 3)
      where image.pixels[i] == 255 && image.pixels[i + 1] == 255 && image.pixels[i + 2] == 0 {
        yellow += 1
        #expect((i / 3) % image.width < image.width / 2, "yellow only on the query's tile")
      }
      #expect(yellow > 20)
    }
  }
}
