import Foundation
import NIOCore
@_spi(Testing) import SimlayLive
import SimlayProto
import Testing

/// The binary hover answer, read back as the page reads it: header, padded JSON meta, aligned floats.
struct HoverFrameTests {
  func row(layer: String, n: Int, h: Int, w: Int, seed: Float) -> Simlay_V1_SimilarityResponse {
    var r = Simlay_V1_SimilarityResponse()
    r.layer = layer
    r.maps.shape = [Int64(n), Int64(h), Int64(w)]
    let values = (0..<(n * h * w)).map { Float($0) * 0.25 + seed }
    r.maps.data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    r.queryCells = .with { ($0.y0, $0.x0, $0.y1, $0.x1) = (1, 2, 2, 3) }
    r.top = [.with { ($0.image, $0.imageID, $0.y, $0.x, $0.value) = (1, "b", 3, 4, 0.5) }]
    r.warnings = ["all-zero query vector"]
    return r
  }

  @Test(arguments: [("l", 1, 1, 1), ("blocks.10", 3, 13, 7), ("a-longer-layer-name", 2, 124, 1)])
  func roundTrip(layer: String, n: Int, h: Int, w: Int) throws {
    let rows = [row(layer: layer, n: n, h: h, w: w, seed: 1), row(layer: "x", n: 1, h: 2, w: 2, seed: -3)]
    var frame = try HoverFrame.encode(seq: 77, rows: rows)
    let bytes = frame.readBytes(length: frame.readableBytes)!
    let seq = bytes[0..<4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian
    let metaBytes = Int(bytes[4..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)
    #expect(seq == 77)
    #expect(metaBytes % 4 == 0)
    let meta = try #require(
      try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + metaBytes)])) as? [String: Any])
    let metaRows = try #require(meta["rows"] as? [[String: Any]])
    #expect(metaRows.map { $0["layer"] as? String } == [layer, "x"])
    #expect(metaRows[0]["h"] as? Int == h && metaRows[0]["w"] as? Int == w && metaRows[0]["n"] as? Int == n)
    #expect((metaRows[0]["top"] as? [[String: Any]])?.first?["imageId"] as? String == "b")
    #expect(metaRows[0]["warnings"] as? [String] == ["all-zero query vector"])
    var offset = 8 + metaBytes
    for r in rows {
      #expect(Data(bytes[offset..<(offset + r.maps.data.count)]) == r.maps.data)
      offset += r.maps.data.count
    }
    #expect(offset == bytes.count)
  }

  @Test func mapsWhoseShapeAndBytesDisagreeAreRefused() {
    var bad = row(layer: "l", n: 1, h: 2, w: 2, seed: 0)
    bad.maps.shape = [1, 2, 3]
    #expect(throws: HoverFrame.Malformed.self) { try HoverFrame.encode(seq: 1, rows: [bad]) }
  }
}
