import Foundation
import GRPCCore
import SimlayImaging
import SimlayProto
import SimlayService
import Testing

@Suite("Sweep in-process", .serialized)
struct SweepTests {
  typealias H = ServiceHarness

  static func request(_ id: String, _ transform: Simlay_V1_Transform, _ params: [Double], _ cells: [(Int32, Int32)])
    -> Simlay_V1_SweepRequest
  {
    .with {
      $0.layer = "blocks.10"
      $0.imageID = id
      $0.transform = transform
      $0.params = params
      $0.queries = cells.map { c in
        .with {
          $0.y = c.0
          $0.x = c.1
        }
      }
    }
  }

  @Test("identity at 0 degrees, exact quarter-turn tracking, tracked similarity = map value, cached variants")
  func rotation() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let id = try await client.addImages(H.upload(H.photo(["cat.png"]))).images[0].id
      let cells: [(Int32, Int32)] = [(3, 5), (0, 0), (13, 13)]
      let response = try await client.sweep(Self.request(id, .rotate, [0, 90, 180, 45], cells))
      #expect(response.height == 14 && response.width == 14 && response.steps.count == 4)
      for (s, step) in response.steps.enumerated() {
        #expect(step.maps.shape == [3, 14, 14] && step.box.isEmpty)
        let maps = H.floats(step.maps)
        for (q, t) in step.tracked.enumerated() {
          var expected = (Int32(cells[q].0), Int32(cells[q].1))
          for _ in 0..<[0, 1, 2, 0][s] { expected = (13 - expected.1, expected.0) }
          if s < 3 { #expect(t.inBounds && t.y == expected.0 && t.x == expected.1, "step \(s) query \(q): \(t)") }
          if t.inBounds {
            #expect(t.similarity == maps[q * 196 + Int(t.y) * 14 + Int(t.x)])
          } else {
            #expect(t.similarity.isNaN)
          }
          if s == 0 { #expect(abs(t.similarity - 1) < 1e-3) }
        }
      }
      #expect(!response.steps[3].tracked[1].inBounds, "a corner leaves the grid at 45 degrees")
      let before = try await client.stats(.init()).cache.forwardPasses
      _ = try await client.sweep(Self.request(id, .rotate, [90], [(1, 1)]))
      #expect(
        try await client.stats(.init()).cache.forwardPasses == before, "transformed activations come from the cache")
    }
  }

  @Test("scale 1 is the identity and its box the full image; chart and strip are PNGs")
  func scale() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let id = try await client.addImages(H.upload(H.photo(["cat.png"]))).images[0].id
      var request = Self.request(id, .scale, [1, 2], [(6, 6), (0, 13)])
      request.chart = true
      request.render = .with { $0.tileSize = 64 }
      let response = try await client.sweep(request)
      #expect(response.steps[0].box == [0, 0, 1, 1] && response.steps[1].box == [0.25, 0.25, 0.75, 0.75])
      #expect(response.steps[0].tracked.allSatisfy { $0.inBounds && abs($0.similarity - 1) < 1e-3 })
      #expect(response.steps[1].tracked[0].y == 6 && !response.steps[1].tracked[1].inBounds)
      #expect(Array(response.chartPng.prefix(4)) == [0x89, 0x50, 0x4E, 0x47] && response.stripPng.count > 1000)
    }
  }

  @Test("bad requests get their status and a message naming the problem")
  func errors() async throws {
    let state = try H.makeState {
      $0.maxImagesPerRequest = 3
      $0.maxSweepSteps = 3
      $0.maxSweepQueries = 2
    }
    try await H.withClient(state) { client in
      let id = try await client.addImages(H.upload(H.photo(["cat.png"]))).images[0].id
      let ok = Self.request(id, .rotate, [0], [(1, 1)])
      func with(_ change: (inout Simlay_V1_SweepRequest) -> Void) -> Simlay_V1_SweepRequest {
        var r = ok
        change(&r)
        return r
      }
      let cases: [(RPCError.Code, String, Simlay_V1_SweepRequest)] = [
        (.notFound, "nope", with { $0.layer = "nope" }),
        (.notFound, "nope", with { $0.model = "nope" }),
        (.notFound, "ffff", with { $0.imageID = "ffff" }),
        (
          .outOfRange, "14 x 14",
          with {
            $0.queries = [
              .with {
                $0.y = 14
                $0.x = 0
              }
            ]
          }
        ),
        (.invalidArgument, "params", with { $0.params = [] }),
        (.invalidArgument, "queries", with { $0.queries = [] }),
        (.invalidArgument, "angle", with { $0.params = [.nan] }),
        (
          .invalidArgument, "scale",
          with {
            $0.transform = .scale
            $0.params = [0]
          }
        ),
        (
          .invalidArgument, "scale",
          with {
            $0.transform = .scale
            $0.params = [-0.5]
          }
        ),
        (
          .resourceExhausted, "budget of 3 forward passes per sweep (--max-sweep-steps)",
          with { $0.params = [0, 1, 2, 3] }
        ),
        (
          .resourceExhausted, "4 sweep queries (--max-sweep-queries) in one request exceeds the daemon's limit of 2",
          with { $0.queryPoints = Array(repeating: .with { $0.cell = .with { $0.y = 1 } }, count: 3) }
        ),
        (.invalidArgument, "track_radius 1001", with { $0.trackRadius = 1001 }),
        (.outOfRange, "query_points[0]: pixel", with { $0.queryPoints = [.with { $0.pixel = .with { $0.px = -1 } }] }),
      ]
      for (code, text, request) in cases {
        do {
          _ = try await client.sweep(request)
          Issue.record("expected \(code) for '\(text)'")
        } catch let e as RPCError {
          #expect(e.code == code, "\(text): got \(e.code) \(e.message)")
          #expect(e.message.contains(text), "message '\(e.message)' should contain '\(text)'")
        }
      }
    }
  }

  @Test("query points: a region's mean and a pixel's cell; the best cell within a radius; photo space")
  func queryPoints() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let id = try await client.addImages(H.upload(H.photo(["cat.png"]))).images[0].id
      var request = Self.request(id, .rotate, [0, 30], [(3, 5)])
      request.queryPoints = [
        .with { $0.region = .with { ($0.y0, $0.x0, $0.y1, $0.x1) = (2, 2, 4, 5) } },
        .with { $0.pixel = .with { ($0.px, $0.py) = (0, 0) } },
      ]
      request.trackRadius = 1
      request.queryLabels = ["", "fur"]
      let response = try await client.sweep(request)
      #expect(
        response.queryCells.map { [$0.y0, $0.x0, $0.y1, $0.x1] } == [[3, 5, 4, 6], [2, 2, 4, 5], [0, 0, 1, 1]])
      let first = response.steps[0].tracked
      // Angle 0: the region's centre (3, 3.5) lies in cell (3, 3); the pixel (0, 0) in cell (0, 0).
      #expect(first.map { [$0.y, $0.x] } == [[3, 5], [3, 3], [0, 0]] && first.allSatisfy(\.inBounds))
      #expect(first[1].pointY == 2.5 && first[1].pointX == 3)
      for step in response.steps {
        let maps = H.floats(step.maps)
        for (q, t) in step.tracked.enumerated() where t.bestFound {
          #expect(abs(Int(t.bestY) - Int(t.y)) <= 1 && abs(Int(t.bestX) - Int(t.x)) <= 1)
          #expect(t.bestSimilarity == maps[q * 196 + Int(t.bestY) * 14 + Int(t.bestX)])
          #expect(!t.inBounds || t.bestSimilarity >= t.similarity)
        }
      }
      request.transformSpace = .photo
      let photo = try await client.sweep(request)
      #expect(
        photo.steps[0].tracked.map { [$0.y, $0.x] } == [[3, 5], [3, 3], [0, 0]], "angle 0 is the photo as is")
      #expect(
        H.floats(photo.steps[1].maps) != H.floats(response.steps[1].maps), "30 degrees of the photo, not the square")
    }
  }
}
