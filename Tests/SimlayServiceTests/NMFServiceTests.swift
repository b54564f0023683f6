import GRPCCore
import SimlayProto
import SimlayService
import Testing

@Suite("Nmf over the service")
struct NMFServiceTests {
  typealias H = ServiceHarness

  static func request(_ ids: [String], layer: String = "blocks.10.expand", k: Int32 = 4) -> Simlay_V1_NmfRequest {
    .with {
      $0.layer = layer
      $0.imageIds = ids
      $0.k = k
      $0.maxIter = 60
    }
  }

  @Test("shapes, groups and the reported error agree; repeated requests reuse the factorisation")
  func answer() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let r = try await client.nmf(Self.request(ids))
      #expect(r.groups.shape == [2, 14, 14] && r.groups.values.count == 392)
      #expect(r.w.shape == [392, 4] && r.h.shape == [4, 672] && r.columns == 672)
      #expect(r.relativeError > 0 && r.relativeError < 1)
      #expect(r.iterations >= 1 && r.iterations <= 60)
      let w = H.floats(r.w)
      for (i, g) in r.groups.values.enumerated() {
        let row = w[(i * 4)..<(i * 4 + 4)]
        #expect(row[i * 4 + Int(g)] == row.max()!)
      }
      let again = try await client.nmf(Self.request(ids))
      #expect(again.w.data == r.w.data && again.solveSeconds == r.solveSeconds)
    }
  }

  @Test("bad requests get their status and a message naming what was wrong")
  func errors() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png"]))).images.map(\.id)
      let cases: [(Simlay_V1_NmfRequest, RPCError.Code, String)] = [
        (Self.request(ids, layer: "blocks.10"), .invalidArgument, "negative"),
        (Self.request(ids, k: 0), .invalidArgument, "k = 0"),
        (Self.request(ids, k: 500), .invalidArgument, "k = 500"),
        (Self.request(ids, layer: "nope"), .notFound, "nope"),
        (Self.request(["0123"]), .notFound, "0123"),
        (Self.request([]), .invalidArgument, "image_ids"),
        (
          Self.request(ids).with {
            $0.render = .init()
            $0.highlightGroup = 9
          }, .outOfRange, "highlight_group 9"
        ),
      ]
      for (request, code, needle) in cases {
        do {
          _ = try await client.nmf(request)
          Issue.record("\(needle): no error")
        } catch let error as RPCError {
          #expect(error.code == code, "\(needle): \(error)")
          #expect(error.message.contains(needle), "\(error.message)")
        }
      }
      // The service still answers after every failure.
      #expect(try await client.nmf(Self.request(ids, k: 2)).iterations > 0)
    }
  }

  @Test("a similarity query from a group's centroid: 1 nowhere below -1, highest inside the group")
  func groupQuery() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let nmf = try await client.nmf(Self.request(ids, k: 3))
      let group = Int32(nmf.groups.values.first!)
      let response = try await client.similarity(
        .with {
          $0.layer = "blocks.10.expand"
          $0.query = .with { q in
            q.group = .with {
              $0.nmf = Self.request(ids, k: 3)
              $0.group = group
            }
          }
          $0.targetIds = ids
        })
      let maps = H.floats(response.maps)
      #expect(maps.count == 392)
      let bounded = maps.allSatisfy { (v: Float) -> Bool in v >= -1 && v <= 1 }
      #expect(bounded)
      var (inside, outside): ([Float], [Float]) = ([], [])
      for (v, g) in zip(maps, nmf.groups.values) {
        if g == group { inside.append(v) } else { outside.append(v) }
      }
      let insideMean: Float = inside.reduce(0, +) / Float(inside.count)
      let outsideMean: Float = outside.reduce(0, +) / Float(max(outside.count, 1))
      #expect(insideMean > outsideMean)
      do {
        _ = try await client.similarity(
          .with {
            $0.layer = "blocks.10.expand"
            $0.query = .with { q in
              q.group = .with {
                $0.nmf = Self.request(ids, k: 3)
                $0.group = 7
              }
            }
            $0.targetIds = ids
          })
        Issue.record("group 7 of 3 accepted")
      } catch let error as RPCError {
        #expect(error.code == .outOfRange)
      }
    }
  }
}

extension Simlay_V1_NmfRequest {
  func with(_ change: (inout Self) -> Void) -> Self {
    var copy = self
    change(&copy)
    return copy
  }
}
