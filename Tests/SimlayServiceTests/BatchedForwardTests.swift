import Foundation
import SimlayImaging
import SimlayProto
import SimlayService
import Testing

private typealias H = ServiceHarness

/// New images in batches (issue 11 item 4): the first query on N new images runs ceil(N / batch) forward
/// passes, and the batched maps equal the one-image-per-pass maps.
@Suite("Batched forward passes")
struct BatchedForwardTests {
  /// `count` distinct noise PNGs (distinct bytes, so distinct ids), 97 x 61 so each is resized.
  static func noiseUploads(_ count: Int, seed: UInt64) throws -> Simlay_V1_AddImagesRequest {
    var rng = seed
    return try Simlay_V1_AddImagesRequest.with { r in
      r.images = try (0..<count).map { i in
        var pixels = [UInt8](repeating: 0, count: 97 * 61 * 3)
        for p in pixels.indices {
          rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          pixels[p] = UInt8(truncatingIfNeeded: rng >> 56)
        }
        let png = try PNGEncoder.encode(RGBImage(width: 97, height: 61, pixels: pixels))
        return .with {
          $0.data = Data(png)
          $0.name = "noise \(i)"
        }
      }
    }
  }

  /// Maps of cell (3, 4) of the first image over all of `request`'s images, and the forward passes they took.
  static func firstQuery(batch: Int, _ request: Simlay_V1_AddImagesRequest) async throws -> (
    maps: [Float], passes: Int64
  ) {
    let state = try H.makeState { $0.maxForwardBatch = batch }
    return try await H.withClient(state) { client in
      let ids = try await client.addImages(request).images.map(\.id)
      let before = try await client.stats(.init()).cache.forwardPasses
      let answer = try await client.similarity(
        .with {
          $0.layer = "blocks.10"
          $0.query = .with { q in
            q.imageID = ids[0]
            q.cell = .with {
              $0.y = 3
              $0.x = 4
            }
          }
          $0.targetIds = ids
        })
      let after = try await client.stats(.init()).cache.forwardPasses
      return (H.floats(answer.maps), after - before)
    }
  }

  @Test(
    "the first query on 11 new images runs ceil(11 / batch) passes, with the maps of one pass per image",
    arguments: [(8, Int64(2)), (4, Int64(3))])
  func batchedMatchesSingle(batch: Int, passes: Int64) async throws {
    let request = try Self.noiseUploads(11, seed: UInt64(batch))
    let batched = try await Self.firstQuery(batch: batch, request)
    let single = try await Self.firstQuery(batch: 1, request)
    #expect(batched.passes == passes)
    #expect(single.passes == 11)
    #expect(batched.maps.count == 11 * 14 * 14)
    // The batch runs the same kernels per item; summation order within an item may differ with blocking.
    let worst = zip(batched.maps, single.maps).map { abs($0 - $1) }.max() ?? .infinity
    #expect(worst <= 1e-5, "largest difference \(worst)")
  }
}
