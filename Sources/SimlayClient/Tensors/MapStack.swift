import Foundation
import SimlayProto
import SimlayWire

/// A `[N, H, W]` stack of similarity maps from the wire (`FloatTensor`: little-endian float32, row-major).
public struct MapStack: Sendable, Equatable {
  /// N: the number of maps (one per target image or query).
  public let count: Int
  /// H: rows of each map.
  public let height: Int
  /// W: columns of each map.
  public let width: Int
  /// All maps, row-major.
  public let values: [Float]

  /// The maps of a wire tensor; a tensor that is not `[N, H, W]` with 4 bytes per element is a `ClientError`.
  public init(_ tensor: Simlay_V1_FloatTensor) throws {
    let floats: [Float]
    do {
      floats = try tensor.floats(rank: 3)
    } catch {
      throw ClientError(
        .malformedAnswer, "simlayd sent a malformed map tensor: shape \(tensor.dimensions), \(tensor.data.count) bytes")
    }
    let shape = tensor.dimensions
    (count, height, width) = (shape[0], shape[1], shape[2])
    values = floats
  }

  /// The shape, for messages and JSON.
  public var shape: [Int] { [count, height, width] }

  /// Map `i` (row-major H x W).
  public func map(_ i: Int) -> ArraySlice<Float> {
    values[(i * height * width)..<((i + 1) * height * width)]
  }

  /// The maps as nested arrays `[N][H][W]`.
  public var nested: [[[Float]]] {
    (0..<count).map { i in
      let m = map(i)
      return (0..<height).map { y in
        let row = m.startIndex + y * width
        return Array(m[row..<(row + width)])
      }
    }
  }
}
