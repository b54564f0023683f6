import SimlayCore
import Testing

/// A seeded generator (SplitMix64), so every run sees the same "random" activations.
struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A grid size used as a test argument.
struct GridShape: Sendable, CustomTestStringConvertible {
  var height: Int, width: Int, depth: Int
  var testDescription: String { "\(height)x\(width)x\(depth)" }
  var count: Int { height * width * depth }
}

/// Random test data.
enum TestData {
  /// `count` values uniform in [-scale, scale].
  static func floats(_ count: Int, scale: Float = 1, using rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) }
  }

  /// A grid of values uniform in [-scale, scale]; with `relu`, negatives become 0, as after a ReLU,
  /// which gives the sparse non-negative vectors real layers produce.
  static func grid(_ s: GridShape, scale: Float = 1, relu: Bool = false, using rng: inout SeededGenerator)
    -> ActivationGrid
  {
    var chw = floats(s.count, scale: scale, using: &rng)
    if relu { chw = chw.map { max($0, 0) } }
    return ActivationGrid(height: s.height, width: s.width, depth: s.depth, chw: chw)
  }

  /// Every cell's raw vector, row-major.
  static func cells(_ g: ActivationGrid) -> [[Float]] {
    (0..<g.height).flatMap { y in (0..<g.width).map { x in g.vector(y: y, x: x) } }
  }
}

/// The formulas, in double precision, straight from the raw vectors: what the BLAS paths must match.
enum Reference {
  static func dot(_ u: [Float], _ v: [Float]) -> Double { zip(u, v).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
  static func norm(_ v: [Float]) -> Double { dot(v, v).squareRoot() }

  /// sum |u_i v_i|: the scale a float dot product's rounding error is proportional to. Relative error
  /// against the result itself is meaningless where positive and negative terms cancel to near 0.
  static func absDot(_ u: [Float], _ v: [Float]) -> Double {
    zip(u, v).reduce(0) { $0 + abs(Double($1.0) * Double($1.1)) }
  }

  static func similarity(_ u: [Float], _ v: [Float], _ metric: SimilarityMetric) -> Double {
    switch metric {
    case .cosine: return dot(u, v) / ((norm(u) + 1e-4) * (norm(v) + 1e-4))
    case .dot: return dot(u, v)
    case .euclidean:
      return -zip(u, v).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }.squareRoot()
    }
  }

  /// Whether `got` is within the stated tolerance of the reference: 1e-5 absolute for cosine, 1e-5
  /// relative for euclidean, 1e-5 relative to sum |u_i v_i| for dot.
  static func matches(_ got: Float, _ u: [Float], _ v: [Float], _ metric: SimilarityMetric) -> Bool {
    let ref = similarity(u, v, metric)
    guard got.isFinite else { return false }
    let err = abs(Double(got) - ref)
    switch metric {
    case .cosine: return err <= 1e-5
    case .dot: return err <= 1e-5 * max(absDot(u, v), 1e-30)
    case .euclidean: return ref == 0 ? abs(got) <= 1e-6 : err <= 1e-5 * abs(ref)
    }
  }

  /// The mean of `vectors`, in double.
  static func mean(_ vectors: [[Float]]) -> [Double] {
    var sum = [Double](repeating: 0, count: vectors.first?.count ?? 0)
    for v in vectors { for (i, x) in v.enumerated() { sum[i] += Double(x) } }
    return sum.map { $0 / Double(vectors.count) }
  }
}
