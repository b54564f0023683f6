import Foundation
import SimlayProto

/// A wire tensor whose shape and payload disagree (or whose shape is not the one expected).
public struct WireTensorError: Error, CustomStringConvertible, Equatable {
  /// One line naming the shape and the payload size.
  public var description: String

  /// An error with the given one-line description.
  public init(_ description: String) { self.description = description }
}

extension Simlay_V1_FloatTensor {
  /// Packs floats little-endian, row-major (the wire format simlay.proto documents).
  public init(shape: [Int], values: [Float]) {
    self.init()
    self.shape = shape.map(Int64.init)
    // The payload is little-endian on the wire; swap on a big-endian host rather than copy raw memory.
    var bytes = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    self.data = bytes
  }

  /// The shape as `Int`s.
  public var dimensions: [Int] { shape.map { Int(clamping: $0) } }

  /// The floats, checked against the shape: every dimension non-negative and 4 bytes per element.
  /// `rank`, when given, is the number of dimensions the caller expects.
  public func floats(rank: Int? = nil) throws -> [Float] {
    let dims = dimensions
    let count = try Self.elementCount(dims, rank: rank)
    guard count <= Int.max / 4, data.count == count * 4 else {
      throw WireTensorError("malformed float tensor: shape \(dims), \(data.count) bytes (expected 4 per element)")
    }
    var bits = [UInt32](repeating: 0, count: count)
    bits.withUnsafeMutableBytes { dst in data.withUnsafeBytes { src in dst.copyMemory(from: src) } }
    return bits.map { Float(bitPattern: UInt32(littleEndian: $0)) }
  }

  /// The element count of `dims`, or a `WireTensorError` for a negative dimension, an overflowing
  /// product or a rank other than `rank`.
  static func elementCount(_ dims: [Int], rank: Int?) throws -> Int {
    if let rank, dims.count != rank {
      throw WireTensorError("malformed tensor: shape \(dims), expected \(rank) dimensions")
    }
    var count = 1
    for d in dims {
      guard d >= 0 else { throw WireTensorError("malformed tensor: negative dimension in shape \(dims)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else { throw WireTensorError("malformed tensor: shape \(dims) is too large") }
      count = product
    }
    return count
  }
}

extension Simlay_V1_Int32Tensor {
  /// A tensor of `values` with `shape` (row-major).
  public init(shape: [Int], values: [Int32]) {
    self.init()
    self.shape = shape.map(Int64.init)
    self.values = values
  }

  /// The shape as `Int`s.
  public var dimensions: [Int] { shape.map { Int(clamping: $0) } }

  /// The values, checked against the shape (see `Simlay_V1_FloatTensor.floats(rank:)`).
  public func checkedValues(rank: Int? = nil) throws -> [Int32] {
    let dims = dimensions
    let count = try Simlay_V1_FloatTensor.elementCount(dims, rank: rank)
    guard values.count == count else {
      throw WireTensorError("malformed int32 tensor: shape \(dims), \(values.count) values (expected \(count))")
    }
    return values
  }
}
