import SimlayCore
import SimlayEngine
import Testing

@Suite("ActivationGrid")
struct ActivationGridTests {
  /// A value that encodes its own NCHW position (exact in Float: below 2^24).
  static func code(n: Int, d: Int, y: Int, x: Int) -> Float { Float(n * 1_000_000 + d * 10_000 + y * 100 + x) }

  static func codedTensor(batch: Int, depth: Int, height: Int, width: Int) -> Tensor {
    var values: [Float] = []
    for n in 0..<batch {
      for d in 0..<depth {
        for y in 0..<height {
          for x in 0..<width {
            values.append(code(n: n, d: d, y: y, x: x))
          }
        }
      }
    }
    return Tensor(shape: [batch, depth, height, width], floats: values)
  }

  @Test("from NCHW: vector(y:x:) is the tensor's [n, :, y, x]", arguments: [0, 1])
  func transposesTensor(batchIndex: Int) {
    let (d, h, w) = (37, 13, 7)
    let grid = ActivationGrid(tensor: Self.codedTensor(batch: 2, depth: d, height: h, width: w), batchIndex: batchIndex)
    #expect((grid.height, grid.width, grid.depth, grid.cellCount) == (h, w, d, h * w))
    for y in 0..<h {
      for x in 0..<w {
        #expect(
          grid.vector(y: y, x: x) == (0..<d).map { Self.code(n: batchIndex, d: $0, y: y, x: x) }, "cell (\(y), \(x))")
      }
    }
  }

  @Test("channels-last and token tensors build the same grid as the NCHW tensor they transpose", arguments: [0, 1])
  func otherLayouts(batchIndex: Int) {
    let (d, h, w, prefix) = (13, 5, 7, 3)
    let nchw = Self.codedTensor(batch: 2, depth: d, height: h, width: w)
    let reference = TestData.cells(ActivationGrid(tensor: nchw, batchIndex: batchIndex))
    // The same values as [N, H, W, C] and as [N, P + H*W, C] behind `prefix` tokens of -1.
    var nhwc: [Float] = []
    var tokens: [Float] = []
    for n in 0..<2 {
      tokens += [Float](repeating: -1, count: prefix * d)
      for y in 0..<h {
        for x in 0..<w {
          for c in 0..<d {
            nhwc.append(Self.code(n: n, d: c, y: y, x: x))
            tokens.append(Self.code(n: n, d: c, y: y, x: x))
          }
        }
      }
    }
    let lastGrid = LayerGrid(layout: .nhwc, channels: d, height: h, width: w)
    let tokenGrid = LayerGrid(layout: .tokens(prefix: prefix), channels: d, height: h, width: w)
    let fromNHWC = ActivationGrid(
      tensor: Tensor(shape: [2, h, w, d], floats: nhwc), grid: lastGrid, batchIndex: batchIndex)
    let fromTokens = ActivationGrid(
      tensor: Tensor(shape: [2, prefix + h * w, d], floats: tokens), grid: tokenGrid, batchIndex: batchIndex)
    let fromNCHW = ActivationGrid(
      tensor: nchw, grid: LayerGrid(layout: .nchw, channels: d, height: h, width: w), batchIndex: batchIndex)
    #expect(TestData.cells(fromNHWC) == reference)
    #expect(TestData.cells(fromTokens) == reference)
    #expect(TestData.cells(fromNCHW) == reference)
    #expect(tokenGrid.layoutName == "tokens+3" && lastGrid.layoutName == "nhwc" && tokenGrid.cellCount == h * w)
  }

  @Test("the batch index defaults to 0, and chw planes build the same grid")
  func chwMatchesTensor() {
    let (d, h, w) = (40, 28, 28)  // deeper than the 32-wide transpose tile, in both directions
    let tensor = Self.codedTensor(batch: 2, depth: d, height: h, width: w)
    let fromTensor = ActivationGrid(tensor: tensor)
    let plane = Array(tensor.floats[0..<(d * h * w)])
    let fromCHW = ActivationGrid(height: h, width: w, depth: d, chw: plane)
    #expect(TestData.cells(fromTensor) == TestData.cells(fromCHW))
    #expect(fromTensor.vector(y: 27, x: 3) == (0..<d).map { Self.code(n: 0, d: $0, y: 27, x: 3) })
  }

  @Test("norms are the raw vectors' Euclidean norms")
  func norms() {
    var rng = SeededGenerator(seed: 3)
    let grid = TestData.grid(GridShape(height: 7, width: 7, depth: 1280), scale: 4, using: &rng)
    for y in 0..<7 {
      for x in 0..<7 {
        let ref = Reference.norm(grid.vector(y: y, x: x))
        #expect(abs(Double(grid.norm(y: y, x: x)) - ref) <= 1e-6 * ref)
      }
    }
    #expect(ActivationGrid(height: 1, width: 1, depth: 3, chw: [0, 0, 0]).norm(y: 0, x: 0) == 0)
  }

  @Test("byteCount covers raw and normalised rows, the norms, and the channel-major copies of thin grids")
  func byteCount() {
    // Under half as many channels as cells: the channel-major copies of raw and normalised exist too.
    let thin = ActivationGrid(height: 28, width: 28, depth: 40, chw: [Float](repeating: 1, count: 28 * 28 * 40))
    #expect(thin.byteCount == (4 * 28 * 28 * 40 + 28 * 28) * 4)
    let square = ActivationGrid(height: 14, width: 14, depth: 112, chw: [Float](repeating: 1, count: 14 * 14 * 112))
    #expect(square.byteCount == (2 * 14 * 14 * 112 + 14 * 14) * 4)
    let deep = ActivationGrid(height: 7, width: 7, depth: 1280, chw: [Float](repeating: 1, count: 7 * 7 * 1280))
    #expect(deep.byteCount == (2 * 7 * 7 * 1280 + 7 * 7) * 4)
  }

  @Test("meanVector is the mean of the region's vectors")
  func meanVector() {
    var rng = SeededGenerator(seed: 5)
    let grid = TestData.grid(GridShape(height: 13, width: 7, depth: 37), scale: 2, using: &rng)
    let regions = [(0, 0, 13, 7), (2, 1, 5, 6), (12, 6, 13, 7), (4, 0, 5, 7), (0, 3, 13, 4)]
    for (y0, x0, y1, x1) in regions {
      let vectors = (y0..<y1).flatMap { y in (x0..<x1).map { x in grid.vector(y: y, x: x) } }
      let got = grid.meanVector(y0: y0, x0: x0, y1: y1, x1: x1)
      #expect(got.count == 37)
      #expect(
        zip(got, Reference.mean(vectors)).allSatisfy { abs(Double($0.0) - $0.1) <= 1e-6 },
        "region \(y0),\(x0)..<\(y1),\(x1)")
    }
    #expect(grid.meanVector(y0: 3, x0: 4, y1: 4, x1: 5) == grid.vector(y: 3, x: 4))
  }
}
