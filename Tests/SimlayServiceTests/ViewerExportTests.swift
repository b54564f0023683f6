import Foundation
import GRPCCore
import SimlayProto
@_spi(Testing) import SimlayService
import Testing

/// ExportViewer through the in-process service: the page's data block decodes to the Similarity RPC's
/// maps, and oversized or malformed requests get their statuses.
@Suite("Viewer export", .serialized)
struct ViewerExportTests {
  typealias H = ServiceHarness

  /// The page's JSON data block.
  static func data(of html: String) throws -> [String: Any] {
    let open = #"<script type="application/json" id="simlay-data">"#
    let start = try #require(html.range(of: open)).upperBound
    let end = try #require(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
    return try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
  }

  @Test(
    "each layer's stored triangle gives every cell's maps, as the Similarity RPC computes them",
    arguments: [Simlay_V1_Metric.cosine, .dot, .euclidean])
  func triangleMatchesSimilarity(metric: Simlay_V1_Metric) async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let page = try await client.exportViewer(
        .with {
          $0.layers = ["head", "blocks.10"]
          $0.imageIds = ids
          $0.metric = metric
          $0.title = "<b>&</b>"
        })
      #expect(page.html.contains("<title>&lt;b&gt;&amp;&lt;/b&gt;</title>"))
      let data = try Self.data(of: page.html)
      let layers = try #require(data["layers"] as? [[String: Any]])
      #expect(layers.map { $0["name"] as? String } == ["head", "blocks.10"])
      for layer in layers {
        let (h, w) = (layer["height"] as! Int, layer["width"] as! Int)
        let m = ids.count * h * w
        let blob = try #require(Data(base64Encoded: layer["data"] as! String))
        let codes = try ViewerDeflate.decompress([UInt8](blob), count: layer["length"] as! Int)
        #expect(codes.count == ViewerTriangle.count(cells: m))
        let q = ViewerQuantizer(low: Float(layer["low"] as! Double), high: Float(layer["high"] as! Double))
        // Queries from both images, at corners and inside: each is one row of the matrix.
        for (image, y, x) in [(0, 0, 0), (1, h - 1, w - 1), (1, h / 2, w / 3)] {
          let answer = try await client.similarity(
            .with {
              $0.layer = layer["name"] as! String
              $0.query = .with {
                $0.imageID = ids[image]
                $0.cell = .with {
                  $0.y = Int32(y)
                  $0.x = Int32(x)
                }
              }
              $0.targetIds = ids
              $0.metric = metric
            })
          let maps = H.floats(answer.maps)
          let row = image * h * w + y * w + x
          let worst = (0..<m).map { abs(q.decode(codes[ViewerTriangle.index(row, $0, cells: m)]) - maps[$0]) }.max()!
          let scale = max(abs(q.low), abs(q.high), 1)
          #expect(
            worst <= q.step / 2 + 1e-5 * scale,
            "\(layer["name"]!) query \((image, y, x)): off by \(worst), step \(q.step)")
        }
      }
    }
  }

  @Test("oversized pages, unknown layers and bad options are refused with their statuses")
  func refusals() async throws {
    let state = try H.makeState {
      $0.maxImagesPerRequest = 4
      $0.maxLayersPerRequest = 3
    }
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      func request(_ edit: (inout Simlay_V1_ExportViewerRequest) -> Void) -> Simlay_V1_ExportViewerRequest {
        var r = Simlay_V1_ExportViewerRequest()
        r.layers = ["blocks.10"]
        r.imageIds = ids
        edit(&r)
        return r
      }
      let cases: [(RPCError.Code, String, Simlay_V1_ExportViewerRequest)] = [
        (.resourceExhausted, "2 x 56 x 56 = 6272 cells", request { $0.layers = ["blocks.2"] }),
        (.resourceExhausted, "limit of 4", request { $0.imageIds = ids + ids + ids }),
        (.resourceExhausted, "limit of 3", request { $0.layers = ["head", "head", "head", "head"] }),
        (
          .resourceExhausted, "8192 cells over all layers",
          request {
            $0.layers = ["blocks.4", "blocks.4", "blocks.4"]
            $0.imageIds = ids + ids
          }
        ),
        (.notFound, "no layer 'blocks.99'", request { $0.layers = ["blocks.99"] }),
        (.invalidArgument, "layers is empty", request { $0.layers = [] }),
        (.invalidArgument, "render.opacity 1.5 outside (0, 1]", request { $0.render.opacity = 1.5 }),
        (.invalidArgument, "render.tile_size 8 outside 16...1024", request { $0.render.tileSize = 8 }),
        (.invalidArgument, "render.value_min/value_max do not apply", request { $0.render.valueMax = 1 }),
        (.invalidArgument, "nmf_k", request { $0.nmfK = -1 }),
      ]
      for (code, text, r) in cases {
        do {
          _ = try await client.exportViewer(r)
          Issue.record("expected \(code) for '\(text)'")
        } catch let e as RPCError {
          #expect(e.code == code, "\(text): got \(e.code) \(e.message)")
          #expect(e.message.contains(text), "message '\(e.message)' should contain '\(text)'")
        }
      }
    }
  }
}
