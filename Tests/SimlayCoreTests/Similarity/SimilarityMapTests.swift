import SimlayCore
import Testing

@Suite("SimilarityMap")
struct SimilarityMapTests {
  static let shapes = [
    GridShape(height: 13, width: 7, depth: 37), GridShape(height: 1, width: 1, depth: 5),
    GridShape(height: 28, width: 28, depth: 40), GridShape(height: 7, width: 7, depth: 1280),
  ]

  /// Queries a hover can produce: cells of the grid itself, a cell of another image's grid, a region
  /// mean, and vectors far larger or smaller than the activations.
  static func queries(for grid: ActivationGrid, other: ActivationGrid, rng: inout SeededGenerator) -> [(
    String, [Float]
  )] {
    let (h, w) = (grid.height, grid.width)
    return [
      ("first cell", grid.vector(y: 0, x: 0)),
      ("last cell", grid.vector(y: h - 1, x: w - 1)),
      ("middle cell", grid.vector(y: h / 2, x: w / 2)),
      ("other grid's cell", other.vector(y: other.height - 1, x: 0)),
      ("region mean", grid.meanVector(y0: 0, x0: 0, y1: (h + 1) / 2, x1: w)),
      ("large", TestData.floats(grid.depth, scale: 1000, using: &rng)),
      ("small", TestData.floats(grid.depth, scale: 1e-3, using: &rng)),
    ]
  }

  @Test("compute matches the double-precision formula", arguments: SimilarityMetric.allCases, shapes)
  func matchesReference(metric: SimilarityMetric, shape: GridShape) {
    var rng = SeededGenerator(seed: UInt64(shape.count))
    for relu in [false, true] {
      let grid = TestData.grid(shape, relu: relu, using: &rng)
      let other = TestData.grid(
        GridShape(height: shape.height + 2, width: shape.width + 1, depth: shape.depth), scale: 3, using: &rng)
      let cells = TestData.cells(grid)
      for (name, u) in Self.queries(for: grid, other: other, rng: &rng) {
        let map = SimilarityMap.compute(query: QueryVector(u), grid: grid, metric: metric)
        #expect(map.count == shape.height * shape.width)
        let bad = zip(map, cells).enumerated().filter { !Reference.matches($0.element.0, u, $0.element.1, metric) }
        #expect(
          bad.isEmpty,
          "\(name), relu \(relu): \(bad.count) cells off, first \(bad.first.map { "cell \($0.offset): \($0.element.0) vs \(Reference.similarity(u, $0.element.1, metric))" } ?? "")"
        )
      }
    }
  }

  @Test(
    "into: fills the caller's buffer like compute, overwriting what was there", arguments: SimilarityMetric.allCases)
  func intoBuffer(metric: SimilarityMetric) {
    var rng = SeededGenerator(seed: 7)
    let grid = TestData.grid(GridShape(height: 13, width: 7, depth: 37), using: &rng)
    let q = QueryVector(grid.vector(y: 4, x: 2))
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: grid.cellCount)
    defer { buffer.deallocate() }
    // NaN garbage: BLAS with beta = 0 must not be trusted to ignore it.
    buffer.initialize(repeating: .nan)
    SimilarityMap.compute(query: q, grid: grid, metric: metric, into: buffer)
    #expect(Array(buffer) == SimilarityMap.compute(query: q, grid: grid, metric: metric))
  }

  @Test("a cell is maximally similar to itself")
  func selfSimilarity() {
    var rng = SeededGenerator(seed: 11)
    for shape in Self.shapes {
      // Scale 10 makes most norms >= 20; cosine at the query cell is (|v| / (|v| + 1e-4))^2, which is
      // within 1e-5 of 1 only from |v| ~ 20 up: the epsilon deliberately damps near-zero vectors.
      let grid = TestData.grid(shape, scale: 10, using: &rng)
      var checkedLarge = 0
      for y in 0..<grid.height {
        for x in 0..<grid.width {
          let q = QueryVector(grid.vector(y: y, x: x))
          let cell = y * grid.width + x
          let cosine = SimilarityMap.compute(query: q, grid: grid, metric: .cosine)[cell]
          let n = Double(grid.norm(y: y, x: x))
          #expect(abs(Double(cosine) - (n / (n + 1e-4)) * (n / (n + 1e-4))) <= 1e-6, "\(shape) cell \(cell)")
          if n >= 20 {
            #expect(abs(cosine - 1) <= 1e-5, "\(shape) cell \(cell): \(cosine) for |v| = \(n)")
            checkedLarge += 1
          }
          #expect(SimilarityMap.compute(query: q, grid: grid, metric: .euclidean)[cell] == 0)
        }
      }
      #expect(checkedLarge >= grid.cellCount / 2, "\(shape): too few non-tiny vectors to test")
    }
  }

  @Test("all-zero vectors give cosine 0, never NaN", arguments: SimilarityMetric.allCases)
  func zeroVectors(metric: SimilarityMetric) {
    var rng = SeededGenerator(seed: 13)
    var chw = TestData.floats(3 * 4 * 5, using: &rng)
    for d in 0..<5 { chw[d * 12 + 6] = 0 }  // cell (1, 2) is all zero
    let grid = ActivationGrid(height: 3, width: 4, depth: 5, chw: chw)
    let cells = TestData.cells(grid)
    for u in [[Float](repeating: 0, count: 5), grid.vector(y: 0, x: 0)] {
      let map = SimilarityMap.compute(query: QueryVector(u), grid: grid, metric: metric)
      #expect(map.allSatisfy { $0.isFinite })
      #expect(Reference.matches(map[6], u, cells[6], metric))
      if metric == .cosine { #expect(map[6] == 0) }
      if metric != .euclidean && u.allSatisfy({ $0 == 0 }) { #expect(map.allSatisfy { $0 == 0 }) }
    }
  }

  @Test("degenerate grids: no channels, no cells", arguments: SimilarityMetric.allCases)
  func degenerate(metric: SimilarityMetric) {
    let flat = ActivationGrid(height: 2, width: 3, depth: 0, chw: [])
    #expect(
      SimilarityMap.compute(query: QueryVector([]), grid: flat, metric: metric) == [Float](repeating: 0, count: 6))
    #expect(SimilarityMap.allPairs(source: flat, target: flat, metric: metric) == [Float](repeating: 0, count: 36))
    #expect(flat.norm(y: 1, x: 2) == 0 && flat.meanVector(y0: 0, x0: 0, y1: 2, x1: 3).isEmpty)
    let empty = ActivationGrid(height: 0, width: 3, depth: 4, chw: [])
    #expect(SimilarityMap.compute(query: QueryVector([1, 2, 3, 4]), grid: empty, metric: metric).isEmpty)
  }

  @Test("allPairs row r is compute for the query at cell r", arguments: SimilarityMetric.allCases)
  func allPairs(metric: SimilarityMetric) {
    var rng = SeededGenerator(seed: 17)
    let source = TestData.grid(GridShape(height: 13, width: 7, depth: 37), using: &rng)
    let target = TestData.grid(GridShape(height: 9, width: 11, depth: 37), scale: 2, relu: true, using: &rng)
    let targetCells = TestData.cells(target)
    for (a, b, bCells) in [(source, target, targetCells), (source, source, TestData.cells(source))] {
      let pairs = SimilarityMap.allPairs(source: a, target: b, metric: metric)
      #expect(pairs.count == a.cellCount * b.cellCount)
      for r in 0..<a.cellCount {
        let u = a.vector(y: r / a.width, x: r % a.width)
        let row = Array(pairs[(r * b.cellCount)..<((r + 1) * b.cellCount)])
        let map = SimilarityMap.compute(query: QueryVector(u), grid: b, metric: metric)
        switch metric {
        // The same loop in both: bit-identical.
        case .euclidean: #expect(row == map, "row \(r)")
        // gemm and gemv sum in different orders: compare each with the formula.
        case .cosine, .dot:
          #expect(zip(row, bCells).allSatisfy { Reference.matches($0.0, u, $0.1, metric) }, "row \(r)")
          #expect(zip(row, map).allSatisfy { abs($0.0 - $0.1) <= 1e-4 * max(1, abs($0.1)) }, "row \(r)")
        }
      }
    }
  }

  @Test("QueryVector normalises by |u| + 1e-4")
  func queryVector() {
    var rng = SeededGenerator(seed: 19)
    let u = TestData.floats(37, scale: 5, using: &rng)
    let q = QueryVector(u)
    #expect(q.raw == u)
    let n = Reference.norm(u) + 1e-4
    #expect(zip(q.normalized, u).allSatisfy { abs(Double($0.0) - Double($0.1) / n) <= 1e-7 })
    #expect(QueryVector([0, 0, 0]).normalized == [0, 0, 0])
  }
}
