import Foundation
import SimlayEngine

/// Top-k classification from a model's logits (or probabilities).
public struct Classifier: Sendable {
  /// One ranked class.
  public struct Prediction: Sendable, Equatable {
    /// Class index in the model's output.
    public var index: Int
    /// Softmax probability.
    public var probability: Float
    /// Human-readable label, or "class N".
    public var label: String
  }

  /// Class names by index.
  public let labels: [String]

  /// Labels from a file (one a line; a first line `background` before exactly `classes` more is skipped),
  /// else the model's `simlay.labels` metadata, else none.
  public init(model: Model, labelsFile: String?, classes: Int) throws {
    if let labelsFile {
      guard let text = try? String(contentsOfFile: labelsFile, encoding: .utf8) else {
        throw EngineError(.io, "cannot read labels file '\(labelsFile)'")
      }
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      }
      while lines.last == "" { lines.removeLast() }
      if lines.count == classes + 1 { lines.removeFirst() }
      labels = lines
    } else if let meta = model.metadata["simlay.labels"] {
      labels = meta.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    } else {
      labels = []
    }
  }

  /// The `top` most likely classes of each row of `logits` ([N, classes], or any shape with N first).
  /// Softmax is applied unless the row already sums to 1 with no negative entries.
  public func top(_ logits: Tensor, _ top: Int) -> [[Prediction]] {
    let n = logits.shape.first ?? 1
    let classes = logits.count / max(n, 1)
    let values = logits.floats
    return (0..<n).map { row in
      let x = Array(values[(row * classes)..<((row + 1) * classes)])
      let sum = x.reduce(0, +)
      var p = x
      if !(x.allSatisfy { $0 >= 0 } && abs(sum - 1) < 1e-3) {
        let m = x.max() ?? 0
        let e = x.map { expf($0 - m) }
        let total = e.reduce(0, +)
        p = e.map { $0 / total }
      }
      return p.enumerated().sorted { $0.element > $1.element }.prefix(top).map {
        Prediction(
          index: $0.offset, probability: $0.element,
          label: $0.offset < labels.count ? labels[$0.offset] : "class \($0.offset)")
      }
    }
  }
}
