import GRPCCore
import SimlayProto
import SimlayService
import Testing

/// Every request that renders decodes `RenderOptions` through the daemon's one style conversion: the same
/// values are refused everywhere, with a message naming the field and the daemon's range.
@Suite("RenderOptions validation over the service")
struct RenderOptionsTests {
  typealias H = ServiceHarness

  /// Bad options and the message each must produce (the tile limit is the daemon's configured one).
  static func badOptions(maxTile: Int) -> [(Simlay_V1_RenderOptions, String)] {
    [
      (.with { $0.tileSize = 2000 }, "render.tile_size 2000 outside 16...\(maxTile)"),
      (.with { $0.tileSize = 8 }, "render.tile_size 8 outside 16...\(maxTile)"),
      (.with { $0.tileSize = -5 }, "render.tile_size -5 outside 16...\(maxTile)"),
      (.with { $0.opacity = 1.5 }, "render.opacity 1.5 outside (0, 1]"),
      (.with { $0.opacity = -0.2 }, "render.opacity -0.2 outside (0, 1]"),
      (
        .with {
          $0.valueMin = 1
          $0.valueMax = 0
        }, "render.value_min 1.0 must be below render.value_max 0.0"
      ),
      (
        .with {
          $0.valueMin = .nan
          $0.valueMax = 1
        }, "render.value_min nan must be below"
      ),
      (.with { $0.colormap = .UNRECOGNIZED(9) }, "render.colormap 9 is unknown"),
      (.with { $0.upsample = .UNRECOGNIZED(7) }, "render.upsample 7 is unknown"),
    ]
  }

  /// Runs `call`, expecting INVALID_ARGUMENT whose message contains `needle`.
  static func expectInvalid(_ needle: String, _ what: String, _ call: () async throws -> Void) async {
    do {
      try await call()
      Issue.record("\(what): no error for '\(needle)'")
    } catch let e as RPCError {
      #expect(e.code == .invalidArgument, "\(what) '\(needle)': got \(e.code) \(e.message)")
      #expect(e.message.contains(needle), "\(what): message '\(e.message)' should contain '\(needle)'")
    } catch {
      Issue.record("\(what): unexpected \(error)")
    }
  }

  @Test("Similarity, LayerSync, Nmf, Sweep and ExportViewer refuse the same bad options with the same message")
  func everyRequestValidatesAlike() async throws {
    let state = try H.makeState { $0.maxTileSize = 512 }
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let forwardsBefore = try await client.stats(.init()).cache.forwardPasses
      for (options, needle) in Self.badOptions(maxTile: 512) {
        await Self.expectInvalid(needle, "Similarity") {
          _ = try await client.similarity(
            .with {
              $0.layer = "head"
              $0.query = .with { q in
                q.imageID = ids[0]
                q.cell = .with {
                  $0.y = 1
                  $0.x = 1
                }
              }
              $0.targetIds = ids
              $0.render = options
            })
        }
        await Self.expectInvalid(needle, "LayerSync") {
          _ = try await client.layerSync(
            .with {
              $0.layers = ["head"]
              $0.imageID = ids[0]
              $0.point = .with {
                $0.px = 10
                $0.py = 10
              }
              $0.targetIds = ids
              $0.render = options
            })
        }
        await Self.expectInvalid(needle, "Nmf") {
          _ = try await client.nmf(
            .with {
              $0.layer = "blocks.10.expand"
              $0.imageIds = ids
              $0.k = 2
              $0.render = options
            })
        }
        await Self.expectInvalid(needle, "Sweep") {
          _ = try await client.sweep(
            .with {
              $0.layer = "head"
              $0.imageID = ids[0]
              $0.params = [0, 90]
              $0.queries = [
                .with {
                  $0.y = 1
                  $0.x = 1
                }
              ]
              $0.render = options
            })
        }
        // The viewer refuses a value range outright; its other fields go through the same conversion.
        if options.valueMin == 0 && options.valueMax == 0 {
          await Self.expectInvalid(needle, "ExportViewer") {
            _ = try await client.exportViewer(
              .with {
                $0.layers = ["head"]
                $0.imageIds = ids
                $0.render = options
              })
          }
        }
      }
      // The options are checked before any work: no forward pass ran for all those refusals.
      #expect(try await client.stats(.init()).cache.forwardPasses == forwardsBefore)
    }
  }

  @Test("the tile range follows the daemon's maxTileSize, and its ends are accepted")
  func tileRangeEnds() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png"]))).images.map(\.id)
      for size: Int32 in [16, 1024] {
        let answer = try await client.similarity(
          .with {
            $0.layer = "head"
            $0.query = .with { q in
              q.imageID = ids[0]
              q.cell = .with {
                $0.y = 0
                $0.x = 0
              }
            }
            $0.targetIds = ids
            $0.render = .with {
              $0.tileSize = size
              $0.noTitles = true
            }
          })
        // One tile of longest side `size`, inside the grid's 4-pixel margin.
        #expect(max(answer.rendered.width, answer.rendered.height) == size + 8, "tile_size \(size)")
      }
      await Self.expectInvalid("render.tile_size 1025 outside 16...1024", "Similarity") {
        _ = try await client.similarity(
          .with {
            $0.layer = "head"
            $0.query = .with { q in
              q.imageID = ids[0]
              q.cell = .with {
                $0.y = 0
                $0.x = 0
              }
            }
            $0.targetIds = ids
            $0.render = .with { $0.tileSize = 1025 }
          })
      }
    }
  }
}
