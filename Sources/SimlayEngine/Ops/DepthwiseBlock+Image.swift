import CSimlayKernels

extension DepthwiseBlock {
  /// Work memory of one image in flight: the zero-padded channels-last copy the expansion writes and the
  /// depthwise kernel reads, and the depthwise output (channels-last) the projection reads.
  struct Buffers {
    private let workMemory: BufferRecycling.Allocation
    private let paddedMemory: BufferRecycling.Allocation
    var work: UnsafeMutablePointer<Float> { workMemory.pointer }
    var padded: UnsafeMutablePointer<Float> { paddedMemory.pointer }

    init(_ block: DepthwiseBlock) {
      let w = block.depthwise.window
      var dw = w.c
      let mid = block.depthwise.outChannels
      workMemory = BufferRecycling.allocate(floats: w.outH * w.outW * mid)
      paddedMemory = BufferRecycling.allocate(floats: simlay_hwc_padded_count(&dw, Int32(mid)))
    }

    func free() {
      BufferRecycling.release(workMemory)
      BufferRecycling.release(paddedMemory)
    }
  }

  /// Up to this many input cells the block splits each GEMM over the threads; from here up it runs by bands
  /// of rows, each band's GEMMs on one thread, in two parallel loops per image where the split needs four.
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
    var dw = w.c
    let rows = Int(simlay_hwc_padded_rows(&dw))
    expand(x, rows: 0..<rows, into: buffers.padded, context: context)
    context.parallelFor(w.outH, minimumPerThread: 2) { range in
      depthwiseRows(buffers.padded, range, taps, into: buffers.work)
    }
    project(buffers.work, cells: 0..<(w.outH * w.outW), into: y, context: context)
  }

  /// Bands a block's rows are split into. Fixed by the shape, not the thread count, so that a batch's
  /// images and an image's bands share the threads the same way at every size (the results do not depend
  /// on it: the packed GEMM gives the same bits however it is split).
  static let bands = 8

  /// Band `i` of `bands` over 0..<rows (the first ones one row longer when they do not divide evenly).
  static func band(_ i: Int, of rows: Int) -> Range<Int> {
    let count = min(bands, rows)
    let (base, extra) = rows.quotientAndRemainder(dividingBy: count)
    let start = i * base + min(i, extra)
    return start..<(start + base + (i < extra ? 1 : 0))
  }

  /// The same in two parallel loops over bands of rows, each band's GEMMs on one thread: expansion into the
  /// padded copy by padded rows, then depthwise and projection by output rows.
  private func banded(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ buffers: Buffers,
    _ taps: UnsafePointer<Float>, context: ExecutionContext
  ) {
    let w = depthwise.window
    var dw = w.c
    let rows = Int(simlay_hwc_padded_rows(&dw))
    var sequential = context
    sequential.threads = 1
    context.parallelFor(min(Self.bands, rows)) { bands in
      for band in bands { expand(x, rows: Self.band(band, of: rows), into: buffers.padded, context: sequential) }
    }
    context.parallelFor(min(Self.bands, w.outH)) { bands in
      for band in bands {
        let range = Self.band(band, of: w.outH)
        depthwiseRows(buffers.padded, range, taps, into: buffers.work)
        project(
          buffers.work, cells: (range.lowerBound * w.outW)..<(range.upperBound * w.outW), into: y, context: sequential)
      }
    }
  }

  /// Padded rows `range` of the depthwise input: the expansion of the input rows they hold, written in place
  /// with its bias, clamp and function, and zeros around them.
  private func expand(
    _ x: UnsafePointer<Float>, rows range: Range<Int>, into padded: UnsafeMutablePointer<Float>,
    context: ExecutionContext
  ) {
    let w = depthwise.window
    var dw = w.c
    // Padded rows p hold input rows p - padTop.
    let (iy0, iy1) = (max(0, range.lowerBound - w.padTop), min(w.inH, range.upperBound - w.padTop))
    if iy1 > iy0 {
      paddedOffsets.withUnsafeBufferPointer { offsets in
        PackedGEMM.columns(
          expandPacked!, a: x + iy0 * w.inW, rs: 1, ks: w.inH * w.inW, m: (iy1 - iy0) * w.inW, c: padded, ldc: 0,
          rowOffsets: offsets.baseAddress! + iy0 * w.inW, epilogue: expand.epilogue, context: context)
      }
    }
    simlay_hwc_zero_border(
      padded, Int32(depthwise.outChannels), &dw, Int32(range.lowerBound), Int32(range.upperBound))
  }

  /// Output cells `cells` of the projection, from the channels-last depthwise output back to NCHW.
  private func project(
    _ work: UnsafePointer<Float>, cells: Range<Int>, into y: UnsafeMutablePointer<Float>, context: ExecutionContext
  ) {
    let mid = depthwise.outChannels
    PackedGEMM.rows(
      project.packed!, b: work + cells.lowerBound * mid, ks: 1, cs: mid, n: cells.count, c: y + cells.lowerBound,
      ldc: depthwise.window.outH * depthwise.window.outW, epilogue: project.epilogue, context: context)
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
