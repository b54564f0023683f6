/// The bounds a model file and an input size must stay within. Model files are untrusted input (a daemon
/// loads what clients name), so every number that sizes an allocation or a loop is checked against these
/// before it is used, and exceeding one is an `EngineError` naming the limit, never a trap.
public enum EngineLimits {
  /// Largest tensor of the plan, in bytes (2 GiB: 536,870,912 float32 elements). A batch of 64 images at
  /// VGG16's first layer (64 x 64 x 224 x 224 floats) takes 0.8 GiB.
  public static let maxTensorBytes = 1 << 31
  /// Largest input height or width (pixels).
  public static let maxInputSide = 16384
  /// Largest absolute value of a window attribute (pads, strides, kernel_shape, dilations) or of a pad.
  public static let maxWindowValue = 1 << 16
  /// Largest model file (protobuf's own 2 GiB message limit).
  public static let maxModelFileBytes = (1 << 31) - 1

  /// Attributes that size windows and paddings: bounded by `maxWindowValue` at import.
  static let windowAttributes: Set<String> = [
    "pads", "strides", "kernel_shape", "dilations", "output_padding", "paddings",
  ]

  /// The element count of `shape`, or nil when a dimension is negative or the product overflows Int.
  public static func elementCount(_ shape: [Int]) -> Int? {
    guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
    if shape.contains(0) { return 0 }
    var n = 1
    for d in shape {
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      n = p
    }
    return n
  }

  /// Throws unless a tensor of `shape` with `elementBytes`-byte elements fits `maxTensorBytes`. `what`
  /// names the tensor in the message ("tensor 'w'", "output 'y' of Conv node 'c'").
  static func checkSize(_ shape: [Int], elementBytes: Int = 4, _ what: @autoclosure () -> String) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw EngineError(.invalidModel, "\(what()) has a negative dimension in \(shape)")
    }
    // Each dimension is bounded too, so that a zero elsewhere cannot hide one of 2^62 from shape arithmetic.
    guard let n = elementCount(shape), n <= maxTensorBytes / elementBytes,
      shape.allSatisfy({ $0 <= maxTensorBytes / elementBytes })
    else {
      throw EngineError(
        .invalidModel,
        "\(what()) of shape \(shape) exceeds the limit of \(maxTensorBytes >> 20) MiB per tensor (EngineLimits.maxTensorBytes)"
      )
    }
  }
}
