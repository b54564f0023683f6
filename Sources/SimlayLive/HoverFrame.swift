import Foundation
import NIOCore
import SimlayProto

/// The binary answer to a hover: little-endian `uint32 seq`, `uint32 metaBytes`, that many bytes of UTF-8
/// JSON (padded with spaces to a multiple of 4, so the floats that follow are aligned for a
/// Float32Array), then every row's maps as float32, row after row ([n][h][w] each). The page decodes it
/// with `decodeMapsFrame` in live-core.js.
///
/// Binary rather than JSON because the maps are most of the answer: 16 images at 28x28 are 200 KB of
/// float32, which as JSON numbers would be about 2.5 times that and need parsing per hover.
@_spi(Testing) public enum HoverFrame {
  /// Maps whose shape and bytes disagree.
  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  /// The frame answering hover `seq` with `rows` (one SimilarityResponse per row, in order).
  public static func encode(seq: UInt32, rows: [Simlay_V1_SimilarityResponse]) throws -> ByteBuffer {
    var metaRows: [[String: Any]] = []
    var payload = 0
    for row in rows {
      let shape = row.maps.shape
      guard shape.count == 3, shape.allSatisfy({ $0 >= 0 }),
        Int(shape[0] * shape[1] * shape[2]) * 4 == row.maps.data.count
      else {
        throw Malformed(description: "maps of shape \(shape) with \(row.maps.data.count) bytes")
      }
      payload += row.maps.data.count
      let q = row.queryCells
      metaRows.append([
        "layer": row.layer, "n": shape[0], "h": shape[1], "w": shape[2],
        "queryCells": ["y0": q.y0, "x0": q.x0, "y1": q.y1, "x1": q.x1],
        "top": row.top.map {
          ["image": $0.image, "imageId": $0.imageID, "y": $0.y, "x": $0.x, "value": Double($0.value)] as [String: Any]
        },
        "warnings": row.warnings,
      ])
    }
    var meta = try JSONSerialization.data(withJSONObject: ["rows": metaRows], options: [])
    meta.append(contentsOf: [UInt8](repeating: 0x20, count: (4 - meta.count % 4) % 4))
    var buffer = ByteBufferAllocator().buffer(capacity: 8 + meta.count + payload)
    buffer.writeInteger(seq, endianness: .little)
    buffer.writeInteger(UInt32(meta.count), endianness: .little)
    buffer.writeBytes(meta)
    for row in rows { buffer.writeBytes(row.maps.data) }
    return buffer
  }
}
