/// What NMF does with negative values (NMF factors non-negative matrices only).
public enum NMFPolicy: String, Sendable, CaseIterable {
  /// Refuse data with any negative value.
  case refuse
  /// Factor max(x, 0).
  case clamp
  /// Factor [max(x, 0), max(-x, 0)]: twice the columns, positive parts first.
  case split
}

/// Why a factorisation could not run.
public struct NMFError: Error, CustomStringConvertible, Sendable {
  /// Kinds of failure.
  public struct Code: Hashable, Sendable {
    let name: String
    /// The data has negative values and the policy is `refuse`.
    public static let negativeValues = Code(name: "negativeValues")
    /// k, the iteration budget or the tolerance is out of range for the data.
    public static let invalidParameters = Code(name: "invalidParameters")
    /// The caller cancelled the factorisation (its `CancellationFlag` was set) between two iterations.
    public static let cancelled = Code(name: "cancelled")
  }

  /// The kind of failure.
  public var code: Code
  /// One line naming what was wrong.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}

/// A dense row-major matrix of non-negative values: the rows NMF groups (positions), the columns it
/// factors (channels).
public struct NMFMatrix: Sendable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// rows * columns values, row-major.
  public let values: [Float]

  /// Wraps row-major values; traps on a size mismatch. Negative values are the caller's to prevent.
  public init(rows: Int, columns: Int, values: [Float]) {
    precondition(
      rows >= 0 && columns >= 0 && values.count == rows * columns,
      "NMFMatrix: \(values.count) values for \(rows) x \(columns)")
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// Every cell of every grid as a row (image-major, then y, then x), channels as columns, with the
  /// negative values handled by `policy`. The grids must share their depth.
  public static func stacking(_ grids: [ActivationGrid], policy: NMFPolicy, layer: String) throws(NMFError) -> NMFMatrix
  {
    guard let depth = grids.first?.depth else { return NMFMatrix(rows: 0, columns: 0, values: []) }
    precondition(grids.allSatisfy { $0.depth == depth }, "grids of one layer share their depth")
    let rows = grids.reduce(0) { $0 + $1.cellCount }
    var minimum = Float.infinity
    for g in grids { minimum = min(minimum, g.raw.min() ?? .infinity) }
    switch policy {
    case .refuse:
      guard minimum >= 0 else {
        throw NMFError(
          .negativeValues,
          "layer '\(layer)' has negative activations (minimum \(minimum)); NMF needs non-negative data: choose the policy clamp (max(x, 0)) or split ([max(x, 0), max(-x, 0)])"
        )
      }
      return NMFMatrix(rows: rows, columns: depth, values: grids.flatMap(\.raw))
    case .clamp:
      return NMFMatrix(rows: rows, columns: depth, values: grids.flatMap { $0.raw.map { max($0, 0) } })
    case .split:
      var values = [Float](repeating: 0, count: rows * 2 * depth)
      var r = 0
      for g in grids {
        g.raw.withUnsafeBufferPointer { src in
          for cell in 0..<g.cellCount {
            let base = r * 2 * depth
            for c in 0..<depth {
              let v = src[cell * depth + c]
              if v > 0 { values[base + c] = v } else { values[base + depth + c] = -v }
            }
            r += 1
          }
        }
      }
      return NMFMatrix(rows: rows, columns: 2 * depth, values: values)
    }
  }

  /// The mean of all values.
  var mean: Double {
    values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
  }

  /// The squared Frobenius norm.
  var squaredNorm: Double {
    values.reduce(0.0) { $0 + Double($1) * Double($1) }
  }
}
