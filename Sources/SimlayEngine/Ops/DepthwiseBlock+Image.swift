import CSimlayKernels

extension DepthwiseBlock {
  /// Work memory of one image in flight: the expansion's output (later the depthwise output, never
  /// larger) channels-last, and the zero-padded copy the depthwise kernel reads.
  struct Buffers {
    let work: UnsafeMutablePointer<Float>
    let padded: UnsafeMutablePointer<Float>

    init(_ block: DepthwiseBlock) {
      let w = block.depthwise.window
      var dw = w.c
      let mid = block.depthwise.outChannels
      work = .allocate(capacity: w.inH * w.inW * mid)
      padded = .allocate(capacity: simlay_hwc_padded_count(&dw, Int32(mid)))
    }

    func free() {
      work.deallocate()
      padded.deallocate()
    }
  }

  /// Up to this many input cells the block splits its GEMMs by columns (channels); from here up by bands
  /// of rows. Why: a band's GEMM packs the whole weight matrix again, which on 7x7 and 14x14 maps (few
  /// cells, up to 1152 channels) costs as much as the band's product; on larger maps it is small beside it,
  /// and bands need two parallel loops per image where the column split needs five.
  static let bandedCells = 28 * 28

  /// One image: x is its [cin, H, W] input, y its [cout, H', W'] output.
  func image(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ buffers: Buffers,
    _ taps: UnsafePointer<Float>, context: ExecutionContext
  ) {
    let w = depthwise.window
    if w.inH * w.inW >= Self.bandedCells {
      banded(x, into: y, buffers, taps, context: context)
      return
    }
    let (cin, mid, cout) = (expand.inChannels, depthwise.outChannels, project.outChannels)
    let (inCells, outCells) = (w.inH * w.inW, w.outH * w.outW)
    var dw = w.c
    let (work, padded) = (buffers.work, buffers.padded)
    let rowFloats = simlay_hwc_padded_count(&dw, Int32(mid)) / Int(simlay_hwc_padded_rows(&dw))
    // E[cells, mid] = X^T W_a^T: channels-last straight out of the GEMM.
    GEMM.multiply(
      transA: true, transB: true, m: inCells, n: mid, k: cin, a: x, lda: inCells,
      b: expand.weights.pointer, ldb: cin, c: work, ldc: mid, context: context)
    context.parallelFor(Int(simlay_hwc_padded_rows(&dw)), minimumPerThread: 4) { range in
      pad(work, range, into: padded, rowFloats: rowFloats)
    }
    context.parallelFor(w.outH, minimumPerThread: 2) { range in
      depthwiseRows(padded, range, taps, into: work)
    }
    // Y[cout, cells] = W_c D^T, back to NCHW.
    GEMM.multiply(
      transB: true, m: cout, n: outCells, k: mid, a: project.weights.pointer, lda: mid, b: work, ldb: mid,
      c: y, ldc: outCells, context: context)
    Epilogue.apply(
      y, channels: cout, size: outCells, bias: project.bias.map { UnsafePointer($0.pointer) },
      lo: project.lo, hi: project.hi, function: project.activation, context: context)
  }

  /// Bands a block's rows are split into. Fixed by the shape, not the thread count: each band's GEMMs round
  /// in their own way, and an image must come out the same at any thread count, alone or in a batch.
  static let bands = 8

  /// Band `i` of `bands` over 0..<rows (the first ones one row longer when they do not divide evenly).
  static func band(_ i: Int, of rows: Int) -> Range<Int> {
    let count = min(bands, rows)
    let (base, extra) = rows.quotientAndRemainder(dividingBy: count)
    let start = i * base + min(i, extra)
    return start..<(start + base + (i < extra ? 1 : 0))
  }

  /// The same in two parallel loops over bands of rows, each band's GEMMs on one thread: expansion and
  /// padded copy by padded rows, then depthwise, projection and epilogue by output rows.
  private func banded(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ buffers: Buffers,
    _ taps: UnsafePointer<Float>, context: ExecutionContext
  ) {
    let w = depthwise.window
    let (cin, mid, inCells) = (expand.inChannels, depthwise.outChannels, w.inH * w.inW)
    var dw = w.c
    let (work, padded) = (buffers.work, buffers.padded)
    let rows = Int(simlay_hwc_padded_rows(&dw))
    let rowFloats = simlay_hwc_padded_count(&dw, Int32(mid)) / rows
    var sequential = context
    sequential.threads = 1
    context.parallelFor(min(Self.bands, rows)) { bands in
      for band in bands {
        // Padded rows p hold input rows p - padTop: this band's expansion is exactly the rows it pads.
        let range = Self.band(band, of: rows)
        let (iy0, iy1) = (max(0, range.lowerBound - w.padTop), min(w.inH, range.upperBound - w.padTop))
        if iy1 > iy0 {
          GEMM.multiply(
            transA: true, transB: true, m: (iy1 - iy0) * w.inW, n: mid, k: cin, a: x + iy0 * w.inW, lda: inCells,
            b: expand.weights.pointer, ldb: cin, c: work + iy0 * w.inW * mid, ldc: mid, context: sequential)
        }
        pad(work, range, into: padded, rowFloats: rowFloats)
      }
    }
    context.parallelFor(min(Self.bands, w.outH)) { bands in
      for band in bands { project(band: Self.band(band, of: w.outH), padded, taps, work: work, into: y, sequential) }
    }
  }

  /// Phase two of `banded` for output rows `range`: depthwise into `work`, projection back to NCHW, epilogue.
  private func project(
    band range: Range<Int>, _ padded: UnsafeMutablePointer<Float>, _ taps: UnsafePointer<Float>,
    work: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, _ sequential: ExecutionContext
  ) {
    let w = depthwise.window
    let (mid, cout, outCells) = (depthwise.outChannels, project.outChannels, w.outH * w.outW)
    depthwiseRows(padded, range, taps, into: work)
    let (c0, cells) = (range.lowerBound * w.outW, range.count * w.outW)
    GEMM.multiply(
      transB: true, m: cout, n: cells, k: mid, a: project.weights.pointer, lda: mid, b: work + c0 * mid, ldb: mid,
      c: y + c0, ldc: outCells, context: sequential)
    let bias = project.bias.map { UnsafePointer($0.pointer) }
    for ch in 0..<cout {
      Epilogue.apply(
        y + ch * outCells + c0, channels: 1, size: cells, bias: bias.map { $0 + ch }, lo: project.lo,
        hi: project.hi, function: project.activation)
    }
  }

  /// Padded rows `range` from the expansion's output: bias, clamp and the expansion's function.
  private func pad(
    _ work: UnsafeMutablePointer<Float>, _ range: Range<Int>, into padded: UnsafeMutablePointer<Float>,
    rowFloats: Int
  ) {
    var cw = depthwise.window.c
    simlay_hwc_pad_bias_clamp(
      work, Int32(depthwise.outChannels), &cw, expand.bias.map { UnsafePointer($0.pointer) }, expand.lo, expand.hi,
      Int32(range.lowerBound), Int32(range.upperBound), padded)
    expand.activate(padded + range.lowerBound * rowFloats, count: range.count * rowFloats)
  }

  /// Depthwise output rows `range` (channels-last) with its fused function.
  private func depthwiseRows(
    _ padded: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ taps: UnsafePointer<Float>,
    into work: UnsafeMutablePointer<Float>
  ) {
    var cw = depthwise.window.c
    let mid = depthwise.outChannels
    simlay_depthwise_hwc_rows(
      padded, Int32(mid), taps, Int32(mid), depthwise.bias.map { UnsafePointer($0.pointer) }, &cw, depthwise.lo,
      depthwise.hi, Int32(range.lowerBound), Int32(range.upperBound), work)
    let rowFloats = depthwise.window.outW * mid
    depthwise.activate(work + range.lowerBound * rowFloats, count: range.count * rowFloats)
  }
}
