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
  /// and both tile widths gave the same bits. Toggles the tile width: callers run one case at a time.
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
    // The 6x32 tile (where the CPU has AVX-512) and the 6x16 one must agree too.
    defer { _ = simlay_gemm_use_wide_tiles(1) }
    for (threads, wide) in [(1, true), (2, true), (3, true), (2, false)] {
      _ = simlay_gemm_use_wide_tiles(wide ? 1 : 0)
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

extension PackedGEMMCheck {
  /// One im2col packing: `channels` planes of `window`'s input, the columns j0..<j0+n of the unfolded matrix.
  package struct Im2colCase: Sendable {
    package var window: Window2D
    package var channels, j0, n: Int

    /// A window of kernel k, stride s, dilation d and padding (top, left, bottom, right) over an h x w input;
    /// n nil takes every column from j0 on.
    package init(
      _ h: Int, _ w: Int, channels: Int, k: (Int, Int), stride: (Int, Int) = (1, 1), dilation: (Int, Int) = (1, 1),
      pad: (Int, Int, Int, Int) = (0, 0, 0, 0), j0: Int = 0, n: Int? = nil
    ) {
      let outH = (h + pad.0 + pad.2 - dilation.0 * (k.0 - 1) - 1) / stride.0 + 1
      let outW = (w + pad.1 + pad.3 - dilation.1 * (k.1 - 1) - 1) / stride.1 + 1
      window = Window2D(
        inH: h, inW: w, kH: k.0, kW: k.1, strideH: stride.0, strideW: stride.1, dilationH: dilation.0,
        dilationW: dilation.1, padTop: pad.0, padLeft: pad.1, outH: outH, outW: outW)
      (self.channels, self.j0) = (channels, j0)
      self.n = n ?? outH * outW - j0
    }

    package var testDescription: String {
      let w = window
      return "\(channels)x\(w.inH)x\(w.inW) k\(w.kH)x\(w.kW) s\(w.strideH),\(w.strideW) d\(w.dilationH),\(w.dilationW)"
        + " pad \(w.padTop),\(w.padLeft) columns \(j0)+\(n)"
    }
  }

  /// Whether the vector im2col packer writes the plain one's panels bit for bit, every slot included (the
  /// two start from different fillings, so a slot either leaves unwritten differs).
  package static func im2colPacksAgree(_ t: Im2colCase) -> Bool {
    let x = KernelCheck.fill(t.channels * t.window.inH * t.window.inW, seed: 21)
    let count = simlay_gemm_packed_b_count(Int32(t.n), Int32(t.channels * t.window.kH * t.window.kW))
    var fast = [Float](repeating: .nan, count: count)
    var plain = [Float](repeating: 7, count: count)
    var w = t.window.c
    simlay_gemm_pack_b_im2col(x, Int32(t.channels), &w, Int32(t.j0), Int32(t.n), &fast)
    simlay_gemm_pack_b_im2col_plain(x, Int32(t.channels), &w, Int32(t.j0), Int32(t.n), &plain)
    return zip(fast, plain).allSatisfy { $0.bitPattern == $1.bitPattern }
  }

  /// Whether the convolution reading the padded image in place gives the packed path's bits, with either
  /// tile width, at 1 and 2 threads, and through a product buffer of one output row at a time.
  package static func inPlaceMatchesPacked(_ t: Im2colCase) -> Bool {
    let outChannels = 13
    let depth = t.channels * t.window.kH * t.window.kW
    let x = KernelCheck.fill(t.channels * t.window.inH * t.window.inW, seed: 31)
    let w = KernelCheck.fill(outChannels * depth, seed: 32)
    let bias = KernelCheck.fill(outChannels, seed: 33)
    let packed = w.withUnsafeBufferPointer {
      PackedWeights($0.baseAddress!, channels: outChannels, depth: depth, side: .rows)
    }
    let cells = t.window.outH * t.window.outW
    defer { _ = simlay_gemm_use_wide_tiles(1) }
    var results: [[Float]] = []
    // (in place, wide tiles, threads, product buffer: whole or a row at a time)
    let whole = PackedGEMM.productFloats
    let configurations = [
      (false, true, 1, whole), (true, true, 1, whole), (true, false, 1, whole), (true, true, 2, whole),
      (true, true, 2, 1), (false, false, 2, whole),
    ]
    for (inPlace, wide, threads, productFloats) in configurations {
      _ = simlay_gemm_use_wide_tiles(wide ? 1 : 0)
      var c = [Float](repeating: .nan, count: outChannels * cells)
      bias.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          PackedGEMM.rows(
            packed, im2col: x, channels: t.channels, window: t.window, c: cp.baseAddress!,
            epilogue: GEMMEpilogue(bias: bp.baseAddress!, lo: -1, hi: 1.5, function: .silu),
            context: ExecutionContext(threads: threads), inPlace: inPlace, productFloats: productFloats)
        }
      }
      results.append(c)
    }
    return results.allSatisfy { r in zip(r, results[0]).allSatisfy { $0.bitPattern == $1.bitPattern && !$0.isNaN } }
  }
}

extension PackedGEMMCheck {
  /// Whether a product with one column (simlay_gemv_packed) gives the bits the tiles give the same column
  /// of a two-column product, gated or not, at 1 and 2 threads and both tile widths; B's column read with a
  /// stride (a channel of [depth, 2]).
  package static func columnMatchesTiles(
    channels: Int, depth: Int, function: PointwiseFunction, bias: Bool, gated: Bool
  ) -> Bool {
    let w = KernelCheck.fill(channels * depth, seed: 41)
    let x = KernelCheck.fill(depth * 2, seed: 42)
    let biases = KernelCheck.fill(channels, seed: 43)
    let gate = KernelCheck.fill(depth, seed: 44)
    let packed = w.withUnsafeBufferPointer {
      PackedWeights($0.baseAddress!, channels: channels, depth: depth, side: .rows)
    }
    defer { _ = simlay_gemm_use_wide_tiles(1) }
    var agree = true
    for (threads, wide) in [(1, true), (2, true), (1, false)] {
      _ = simlay_gemm_use_wide_tiles(wide ? 1 : 0)
      var (one, two) = (
        [Float](repeating: .nan, count: channels), [Float](repeating: .nan, count: channels * 2)
      )
      let context = ExecutionContext(threads: threads)
      biases.withUnsafeBufferPointer { bp in
        gate.withUnsafeBufferPointer { gp in
          let e = GEMMEpilogue(bias: bias ? bp.baseAddress! : nil, lo: -1.5, hi: 2, function: function)
          let scale = gated ? gp.baseAddress! : nil
          PackedGEMM.rows(
            packed, b: x, ks: 2, cs: 1, n: 1, c: &one, ldc: 1, scale: scale, epilogue: e, context: context)
          PackedGEMM.rows(
            packed, b: x, ks: 2, cs: 1, n: 2, c: &two, ldc: 2, scale: scale, epilogue: e, context: context)
        }
      }
      for ch in 0..<channels where one[ch].bitPattern != two[ch * 2].bitPattern || one[ch].isNaN { agree = false }
    }
    return agree
  }
}
