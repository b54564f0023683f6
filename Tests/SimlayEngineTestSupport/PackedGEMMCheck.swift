import CSimlayKernels
import SimlayEngine

/// Checks the packed-weight GEMM (PackedGEMM) against a plain double-precision loop with the same epilogue,
/// and that its bits do not depend on the thread count.
package enum PackedGEMMCheck {
  /// One product: weights [channels, depth]; the activation operand `cells` long, laid out channels-last
  /// (each cell's depth values contiguous) or depth-major (each depth step's cells contiguous).
  package struct Case: Sendable {
    package var channels, cells, depth: Int
    /// Weights are C's rows (C[channels, cells], NCHW output) or its columns (C[cells, channels]).
    package var weightsAreRows: Bool
    package var channelsLast: Bool
    /// For columns: write every third row to a scattered offset and drop every seventh (row offsets).
    package var scattered: Bool = false
    package var function: PointwiseFunction = .identity

    package init(
      _ channels: Int, _ cells: Int, _ depth: Int, rows: Bool, channelsLast: Bool, scattered: Bool = false,
      function: PointwiseFunction = .identity
    ) {
      (self.channels, self.cells, self.depth) = (channels, cells, depth)
      (weightsAreRows, self.channelsLast, self.scattered, self.function) = (rows, channelsLast, scattered, function)
    }

    package var testDescription: String {
      "\(weightsAreRows ? "rows" : "columns") \(channels)x\(cells)x\(depth)\(channelsLast ? " hwc" : "")"
        + "\(scattered ? " offsets" : "") f\(function.kind)"
    }
  }

  /// Worst |fast - reference| / (sum over the depth of |a b| + 1) over C, and whether 1, 2 and 3 threads
  /// gave the same bits.
  package static func run(_ t: Case) -> (error: Double, sameAtAnyThreadCount: Bool) {
    let (m, n) = t.weightsAreRows ? (t.channels, t.cells) : (t.cells, t.channels)
    let w = KernelCheck.fill(t.channels * t.depth, seed: 11)
    let x = KernelCheck.fill(t.cells * t.depth, seed: 12)
    let bias = KernelCheck.fill(t.channels, seed: 13)
    // The activation operand's element (cell, p).
    let (cellStride, depthStride) = t.channelsLast ? (t.depth, 1) : (1, t.cells)
    func xv(_ cell: Int, _ p: Int) -> Float { x[cell * cellStride + p * depthStride] }
    // Row i of C: i * n, or for scattered columns a permuted slot (and -1 for dropped rows).
    let offsets: [Int] = (0..<m).map { i in
      guard t.scattered else { return i * n }
      if i % 7 == 3 { return -1 }
      return ((i * 5) % m) * n
    }
    let (lo, hi): (Float, Float) = (-1.5, 2)
    var results: [[Float]] = []
    let packed = w.withUnsafeBufferPointer {
      PackedWeights($0.baseAddress!, channels: t.channels, depth: t.depth, side: t.weightsAreRows ? .rows : .columns)
    }
    for threads in 1...3 {
      var c = [Float](repeating: .nan, count: m * n)
      let context = ExecutionContext(threads: threads)
      bias.withUnsafeBufferPointer { bp in
        let e = GEMMEpilogue(bias: bp.baseAddress!, lo: lo, hi: hi, function: t.function)
        x.withUnsafeBufferPointer { xp in
          c.withUnsafeMutableBufferPointer { cp in
            if t.weightsAreRows {
              PackedGEMM.rows(
                packed, b: xp.baseAddress!, ks: depthStride, cs: cellStride, n: n, c: cp.baseAddress!, ldc: n,
                epilogue: e, context: context)
            } else {
              offsets.withUnsafeBufferPointer { op in
                PackedGEMM.columns(
                  packed, a: xp.baseAddress!, rs: cellStride, ks: depthStride, m: m, c: cp.baseAddress!, ldc: n,
                  rowOffsets: t.scattered ? op.baseAddress! : nil, epilogue: e, context: context)
              }
            }
          }
        }
      }
      results.append(c)
    }
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        let (ch, cell) = t.weightsAreRows ? (i, j) : (j, i)
        var (sum, scale) = (0.0, 1.0)
        for p in 0..<t.depth {
          let product = Double(w[ch * t.depth + p]) * Double(xv(cell, p))
          (sum, scale) = (sum + product, scale + abs(product))
        }
        let clamped = Float(min(max(sum + Double(bias[ch]), Double(lo)), Double(hi)))
        var expected: Float = 0
        simlay_activation([clamped], &expected, 1, t.function.kind, t.function.alpha, t.function.beta)
        let slot = offsets[i]
        if slot < 0 { continue }
        worst = max(worst, abs(Double(results[0][slot + j]) - Double(expected)) / scale)
      }
    }
    // A dropped row's slot must stay untouched: the slots no row maps to hold NaN still.
    if t.scattered {
      let written = Set(offsets.filter { $0 >= 0 })
      for slot in stride(from: 0, to: m * n, by: n) where !written.contains(slot) {
        if !results[0][slot].isNaN { worst = .infinity }
      }
    }
    let same = results.dropFirst().allSatisfy { r in zip(r, results[0]).allSatisfy { $0.bitPattern == $1.bitPattern } }
    return (worst, same)
  }
}
