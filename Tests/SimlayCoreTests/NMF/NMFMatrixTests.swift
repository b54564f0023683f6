@_spi(Testing) import SimlayCore
import Testing

@Suite("NMFMatrix and the SVD behind NNDSVD")
struct NMFMatrixTests {
  /// Two 2x3 grids of depth 2 with known signs.
  static let grids = [
    ActivationGrid(height: 2, width: 3, depth: 2, chw: [1, -2, 3, 0, 5, -6, -1, 2, 0, 4, -5, 6]),
    ActivationGrid(height: 2, width: 3, depth: 2, chw: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  ]

  @Test("refuse names the layer and the minimum")
  func refuse() {
    do {
      _ = try NMFMatrix.stacking(Self.grids, policy: .refuse, layer: "blocks.4")
      Issue.record("negative data was accepted")
    } catch {
      #expect(error.code == .negativeValues)
      #expect(error.message.contains("blocks.4") && error.message.contains("-6"))
    }
  }

  @Test("rows are image-major then y, x; clamp and split follow the definitions")
  func policies() throws {
    let clamp = try NMFMatrix.stacking(Self.grids, policy: .clamp, layer: "l")
    let split = try NMFMatrix.stacking(Self.grids, policy: .split, layer: "l")
    #expect(clamp.rows == 12 && clamp.columns == 2 && split.columns == 4)
    for (g, grid) in Self.grids.enumerated() {
      for y in 0..<2 {
        for x in 0..<3 {
          let row = g * 6 + y * 3 + x
          let v = grid.vector(y: y, x: x)
          for c in 0..<2 {
            #expect(clamp.values[row * 2 + c] == max(v[c], 0))
            #expect(split.values[row * 4 + c] == max(v[c], 0))
            #expect(split.values[row * 4 + 2 + c] == max(-v[c], 0))
          }
        }
      }
    }
  }

  @Test("Jacobi eigen-decomposition: A v = lambda v, eigenvalues descending", arguments: [3, 7, 16])
  func eigen(size n: Int) {
    var rng = TestRandom(seed: UInt64(n))
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in i..<n {
        let v = rng.unit() - 0.5
        (a[i * n + j], a[j * n + i]) = (v, v)
      }
    }
    let (values, vectors) = SymmetricEigen.decompose(a, size: n)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
    for j in 0..<n {
      for i in 0..<n {
        let av = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * vectors[$1 * n + j] }
        #expect(abs(av - values[j] * vectors[i * n + j]) < 1e-9)
      }
    }
  }

  @Test("the randomized SVD finds the singular values of a known rank-3 matrix")
  func truncatedSVD() {
    // A = 9 u1 v1^T + 4 u2 v2^T + 1 u3 v3^T with orthonormal u (columns of a Hadamard-like basis).
    let (n, d) = (8, 6)
    let u: [[Double]] = [[1, 1, 1, 1, 1, 1, 1, 1], [1, -1, 1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1, -1, -1]].map {
      $0.map { $0 / 8.0.squareRoot() }
    }
    let v: [[Double]] = [[1, 1, 1, 1, 1, 1], [1, -1, 1, -1, 1, -1], [1, 1, -2, 1, 1, -2]].map { r in
      let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return r.map { $0 / norm }
    }
    let s = [9.0, 4.0, 1.0]
    var a = [Float](repeating: 0, count: n * d)
    for i in 0..<n { for j in 0..<d { a[i * d + j] = Float((0..<3).reduce(0.0) { $0 + s[$1] * u[$1][i] * v[$1][j] }) } }
    let svd = NMF.truncatedSVD(NMFMatrix(rows: n, columns: d, values: a), rank: 3)
    for j in 0..<3 { #expect(abs(svd.s[j] - s[j]) < 1e-4) }
  }
}
