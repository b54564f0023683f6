/// Element types the engine computes with. Float tensors carry activations and weights; int64 tensors carry
/// shapes and indices, which only shape arithmetic (Shape, Gather, Reshape targets...) consumes.
public enum DataType: String, Sendable, Hashable, CustomStringConvertible {
  case float32
  case int64

  public var description: String { rawValue }
}

/// An immutable n-dimensional array in row-major (C) order.
///
/// Float data lives in a reference-counted, 64-byte aligned buffer so that views such as Reshape or Flatten
/// share it without copying; int64 data is small (shapes, indices) and lives in a Swift array.
public struct Tensor: Sendable {
  /// Dimensions, outermost first. A scalar has an empty shape.
  public let shape: [Int]
  /// The element type.
  public let dataType: DataType
  let buffer: FloatBuffer?
  /// The elements of an int64 tensor (empty for float tensors).
  public let int64s: [Int64]

  /// A float tensor sharing `buffer`.
  init(shape: [Int], buffer: FloatBuffer) {
    precondition(buffer.count == shape.reduce(1, *), "buffer size does not match shape \(shape)")
    self.shape = shape
    self.dataType = .float32
    self.buffer = buffer
    self.int64s = []
  }

  /// A float tensor with a fresh buffer, filled by `body` (which receives uninitialised memory).
  init(shape: [Int], initializingWith body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
    let buffer = FloatBuffer(count: shape.reduce(1, *))
    try body(buffer.pointer)
    self.init(shape: shape, buffer: buffer)
  }

  /// A float tensor holding `values` (count must equal the product of `shape`).
  public init(shape: [Int], floats values: [Float]) {
    let buffer = FloatBuffer(count: values.count)
    values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: values.count) }
    self.init(shape: shape, buffer: buffer)
  }

  /// A float tensor whose every element `body` writes (it receives uninitialised memory): no intermediate
  /// array to copy from.
  public static func writing(shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows
    -> Tensor
  {
    let count = shape.reduce(1, *)
    return try Tensor(shape: shape, initializingWith: { try body(UnsafeMutableBufferPointer(start: $0, count: count)) })
  }

  /// The float tensors `parts`, all of one shape [1, ...] or [b, ...], joined along their first axis.
  public static func batch(_ parts: [Tensor]) -> Tensor {
    precondition(!parts.isEmpty && parts.allSatisfy { $0.dataType == .float32 && $0.rank > 0 })
    let inner = Array(parts[0].shape.dropFirst())
    precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == inner }, "batch: parts differ in shape")
    if parts.count == 1 { return parts[0] }
    return Tensor(
      shape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner,
      initializingWith: { out in
        var at = out
        for part in parts {
          at.update(from: part.pointer, count: part.count)
          at += part.count
        }
      })
  }

  /// A float tensor filled with zeros.
  public static func zeros(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape) { $0.initialize(repeating: 0, count: shape.reduce(1, *)) }
  }

  /// An int64 tensor.
  public init(shape: [Int], int64s values: [Int64]) {
    precondition(values.count == shape.reduce(1, *), "value count does not match shape \(shape)")
    self.shape = shape
    self.dataType = .int64
    self.buffer = nil
    self.int64s = values
  }

  /// Number of elements.
  public var count: Int { shape.reduce(1, *) }

  /// Number of dimensions.
  public var rank: Int { shape.count }

  /// The elements as floats (int64 tensors are converted).
  public var floats: [Float] {
    if let buffer { return Array(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count)) }
    return int64s.map { Float($0) }
  }

  /// The same data under another shape of equal element count: no copy.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
    if let buffer { return Tensor(shape: newShape, buffer: buffer) }
    return Tensor(shape: newShape, int64s: int64s)
  }

  /// Read-only access to float elements.
  public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    guard let buffer else { preconditionFailure("withFloats on an int64 tensor") }
    return try body(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count))
  }

  /// Pointer to the float elements; valid while the tensor is alive.
  var pointer: UnsafeMutablePointer<Float> { buffer!.pointer }

  /// The elements of an int64 (or integral float) tensor as Ints, for shape arithmetic.
  var ints: [Int] {
    dataType == .int64 ? int64s.map { Int($0) } : floats.map { Int($0) }
  }

  /// Bytes the tensor's data occupies.
  public var byteCount: Int { dataType == .int64 ? count * 8 : count * 4 }
}

/// A 64-byte aligned float allocation, freed when the last tensor sharing it goes away.
final class FloatBuffer: @unchecked Sendable {
  // Sendable by convention: a buffer is written only while its tensor is being produced, before any other
  // thread can see it, and read-only afterwards.
  let pointer: UnsafeMutablePointer<Float>
  let count: Int
  private let allocation: BufferRecycling.Allocation

  init(count: Int) {
    self.count = count
    allocation = BufferRecycling.allocate(floats: count)
    pointer = allocation.pointer
  }

  deinit { BufferRecycling.release(allocation) }
}

/// The static description of a value: element type and shape.
public struct TensorType: Sendable, Hashable, CustomStringConvertible {
  /// The element type.
  public var dataType: DataType
  /// The dimensions.
  public var shape: [Int]

  /// Creates a type.
  public init(_ dataType: DataType, _ shape: [Int]) {
    self.dataType = dataType
    self.shape = shape
  }

  /// Number of elements.
  public var count: Int { shape.reduce(1, *) }

  public var description: String { "\(dataType)\(shape)" }
}

extension Tensor {
  /// The tensor's static type.
  public var type: TensorType { TensorType(dataType, shape) }
}
