import Foundation
import GRPCCore
import SimlayProto
@_spi(Testing) import SimlayService
import Testing

/// ExportViewer's PCA mode through the in-process service: the page embeds the Pca RPC's own colours and
/// explained variance (the same code, so equal exactly), at the first layer unless pca_layer names another;
/// its options are refused with messages naming them.
@Suite("Viewer PCA", .serialized)
struct ViewerPCATests {
  typealias H = ServiceHarness

  /// The page's `pca` object.
  static func pca(of html: String) throws -> [String: Any] {
    try #require(try ViewerExportTests.data(of: html)["pca"] as? [String: Any])
  }

  @Test(
    "the page's PCA colours and explained variance are the Pca RPC's",
    arguments: [(nil, nil, 0), ("blocks.4", Float(0), 4)] as [(String?, Float?, Int32)])
  func colorsMatchPca(layer: String?, threshold: Float?, components: Int32) async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png", "pig.jpeg"]))).images.map(\.id)
      let page = try await client.exportViewer(
        .with {
          $0.layers = ["blocks.10"]
          $0.imageIds = ids
          $0.pca = true
          if let layer { $0.pcaLayer = layer }
          if let threshold { $0.pcaForegroundThreshold = threshold }
          $0.pcaComponents = components
        })
      let answer = try await client.pca(
        .with {
          $0.layer = layer ?? "blocks.10"
          $0.imageIds = ids
          $0.components = components
          if let threshold { $0.foregroundThreshold = threshold }
        })
      let pca = try Self.pca(of: page.html)
      #expect(pca["layer"] as? String == answer.layer)
      #expect(pca["height"] as? Int == Int(answer.height) && pca["width"] as? Int == Int(answer.width))
      #expect(pca["channels"] as? Int == Int(answer.channels))
      #expect(pca["components"] as? Int == (components == 0 ? 3 : Int(components)))
      // The same doubles, up to the last digit Foundation's JSON parser reads back (Python's json reads
      // them exactly: Tests/python/test_viewer_pca.py compares with ==): 1e-15 relative.
      let variance = try #require(pca["explainedVariance"] as? [Double])
      #expect(variance.count == answer.explainedVariance.count)
      for (got, want) in zip(variance, answer.explainedVariance) { #expect(abs(got - want) <= 1e-15 * abs(want)) }
      #expect((pca["foregroundThreshold"] as? Double).map(Float.init) == threshold)
      let colors = try #require(Data(base64Encoded: pca["colors"] as! String))
      let want = H.floats(answer.colors).map { UInt8($0) }
      #expect(colors.count == ids.count * Int(answer.height * answer.width) * 3)
      #expect([UInt8](colors) == want)
      // Not a constant picture: each channel spans 0...255 over the images (the RPC's joint scaling).
      #expect(Set(colors).count > 16)
      if threshold != nil { #expect(H.floats(answer.foreground).contains(0)) }
    }
  }

  @Test("a page without pca has no PCA data; PCA options without pca and bad ones are refused")
  func refusals() async throws {
    let state = try H.makeState()
    try await H.withClient(state) { client in
      let ids = try await client.addImages(H.upload(H.photo(["cat.png"]))).images.map(\.id)
      func request(_ edit: (inout Simlay_V1_ExportViewerRequest) -> Void) -> Simlay_V1_ExportViewerRequest {
        var r = Simlay_V1_ExportViewerRequest()
        r.layers = ["head"]
        r.imageIds = ids
        edit(&r)
        return r
      }
      let plain = try await client.exportViewer(request { _ in })
      #expect(try ViewerExportTests.data(of: plain.html)["pca"] == nil)
      let cases: [(RPCError.Code, String, Simlay_V1_ExportViewerRequest)] = [
        (.invalidArgument, "need pca", request { $0.pcaLayer = "blocks.10" }),
        (.invalidArgument, "need pca", request { $0.pcaForegroundThreshold = 0 }),
        (
          .invalidArgument, "pca: components 17 must be in 1...16",
          request {
            $0.pca = true
            $0.pcaComponents = 17
          }
        ),
        (
          .notFound, "no layer 'blocks.99'",
          request {
            $0.pca = true
            $0.pcaLayer = "blocks.99"
          }
        ),
        (
          .invalidArgument, "pca: foreground_threshold nan",
          request {
            $0.pca = true
            $0.pcaForegroundThreshold = .nan
          }
        ),
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
