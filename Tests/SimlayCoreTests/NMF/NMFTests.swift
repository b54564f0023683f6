@_spi(Testing) import SimlayCore
import Testing

@Suite("NMF")
struct NMFTests {
  /// A rows x columns matrix W0 H0 of exact non-negative rank `rank`, from a fixed seed.
  static func lowRank(rows: Int, columns: Int, rank: Int, seed: UInt64) -> NMFMatrix {
    var rng = TestRandom(seed: seed)
    let w = (0..<(rows * rank)).map { _ in Float(rng.unit()) }
    let h = (0..<(rank * columns)).map { _ in rng.unit() < 0.5 ? 0 : Float(rng.unit()) }
    var a = [Float](repeating: 0, count: rows * columns)
    for i in 0..<rows {
      for j in 0..<columns { for t in 0..<rank { a[i * columns + j] += w[i * rank + t] * h[t * columns + j] } }
    }
    return NMFMatrix(rows: rows, columns: columns, values: a)
  }

  /// ||A - W H|| / ||A|| recomputed from the returned factors, in double.
  static func relativeError(_ a: NMFMatrix, _ r: NMF.Result) -> Double {
    var (num, den) = (0.0, 0.0)
    for i in 0..<a.rows {
      for j in 0..<a.columns {
        var wh = 0.0
        for t in 0..<r.k { wh += Double(r.w[i * r.k + t]) * Double(r.h[t * a.columns + j]) }
        let v = Double(a.values[i * a.columns + j])
        num += (v - wh) * (v - wh)
        den += v * v
      }
    }
    return (num / den).squareRoot()
  }

  @Test("recovers an exactly low-rank non-negative matrix", arguments: [(124, 13, 3), (60, 40, 5), (7, 31, 2)])
  func recoversLowRank(shape: (Int, Int, Int)) throws {
    let a = Self.lowRank(rows: shape.0, columns: shape.1, rank: shape.2, seed: 7)
    let r = try NMF.factor(a, options: .init(k: shape.2, maxIterations: 500, tolerance: 1e-9))
    #expect(r.relativeError < 0.02)
    #expect(abs(Self.relativeError(a, r) - r.relativeError) < 1e-4)
  }

  @Test("factors are non-negative, H rows unit length, groups are W's row argmax, strengths in [0, 1]")
  func resultInvariants() throws {
    let a = Self.lowRank(rows: 90, columns: 24, rank: 4, seed: 3)
    let r = try NMF.factor(a, options: .init(k: 4))
    #expect(r.w.allSatisfy { $0 >= 0 } && r.h.allSatisfy { $0 >= 0 })
    for t in 0..<4 {
      let norm = (0..<24).reduce(0.0) { $0 + Double(r.h[t * 24 + $1] * r.h[t * 24 + $1]) }.squareRoot()
      #expect(abs(norm - 1) < 1e-5)
    }
    var best = [Float](repeating: 0, count: 4)
    for i in 0..<90 {
      let row = Array(r.w[(i * 4)..<(i * 4 + 4)])
      let g = Int(r.groups[i])
      #expect(row[g] == row.max()!)
      #expect(r.strength[i] >= 0 && r.strength[i] <= 1)
      best[g] = max(best[g], r.strength[i])
    }
    for g in Set(r.groups.map(Int.init)) { #expect(best[g] == 1) }
  }

  @Test("deterministic: same input and options give bit-identical answers; seeds matter only for random init")
  func determinism() throws {
    let a = Self.lowRank(rows: 50, columns: 20, rank: 3, seed: 11)
    for initialization in [NMFInitialization.nndsvda, .nndsvd, .random(seed: 42)] {
      let (r1, r2) = (
        try NMF.factor(a, options: .init(k: 3, initialization: initialization)),
        try NMF.factor(a, options: .init(k: 3, initialization: initialization))
      )
      #expect(r1.w == r2.w && r1.h == r2.h && r1.iterations == r2.iterations)
    }
    let other = try NMF.factor(a, options: .init(k: 3, maxIterations: 3, initialization: .random(seed: 43)))
    let first = try NMF.factor(a, options: .init(k: 3, maxIterations: 3, initialization: .random(seed: 42)))
    #expect(other.w != first.w)
  }

  @Test("more iterations never raise the error")
  func monotone() throws {
    let a = Self.lowRank(rows: 80, columns: 30, rank: 6, seed: 5)
    var previous = Double.infinity
    for budget in [1, 2, 5, 20, 80] {
      let e = try NMF.factor(a, options: .init(k: 4, maxIterations: budget, tolerance: 0)).relativeError
      #expect(e <= previous + 1e-6)
      previous = e
    }
  }

  @Test("bad parameters are refused with a message naming them")
  func badParameters() {
    let a = Self.lowRank(rows: 10, columns: 4, rank: 2, seed: 1)
    #expect(throws: NMFError.self) { try NMF.factor(a, options: .init(k: 5)) }
    #expect(throws: NMFError.self) { try NMF.factor(a, options: .init(k: 0)) }
    #expect(throws: NMFError.self) { try NMF.factor(a, options: .init(k: 2, maxIterations: 0)) }
    let zeros = NMFMatrix(rows: 3, columns: 3, values: [Float](repeating: 0, count: 9))
    #expect(throws: NMFError.self) { try NMF.factor(zeros, options: .init(k: 1)) }
    do {
      _ = try NMF.factor(a, options: .init(k: 7))
    } catch {
      #expect(error.message.contains("k = 7"))
    }
  }
}

/// Uniform doubles in [0, 1) from the suite's seeded generator.
typealias TestRandom = SeededGenerator

extension SeededGenerator {
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
