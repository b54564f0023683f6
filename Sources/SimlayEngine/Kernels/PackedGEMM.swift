import CSimlayKernels

/// A convolution's weights [channels, depth] packed once, at compile time, into the panels
/// `simlay_gemm_packed` reads: as the left operand (C[channels, n] = W B, panels of 6 channels) or as the
/// right one (C[m, channels] = A W^T, panels of 16 channels).
package struct PackedWeights: Sendable {
  /// Whether the weights' channels are C's rows or its columns.
  package enum Side: Sendable { case rows, columns }

  let panels: Tensor
  let channels: Int
  let depth: Int
  let side: Side

  /// Channels per panel.
  var lanes: Int { Int(side == .rows ? SIMLAY_GEMM_MR : SIMLAY_GEMM_NR) }
  /// Panels the packed weights hold.
  var panelCount: Int { (channels + lanes - 1) / lanes }

  /// Packs `w`, row-major [channels, depth].
  package init(_ w: UnsafePointer<Float>, channels: Int, depth: Int, side: Side) {
    (self.channels, self.depth, self.side) = (channels, depth, side)
    let (c, d) = (Int32(channels), Int32(depth))
    switch side {
    case .rows:
      panels = Tensor(shape: [simlay_gemm_packed_a_count(c, d)]) { simlay_gemm_pack_a(w, depth, 1, c, d, $0) }
    case .columns:
      panels = Tensor(shape: [simlay_gemm_packed_b_count(c, d)]) { simlay_gemm_pack_b(w, 1, depth, d, c, $0) }
    }
  }
}

/// What a packed product does to each element it writes: f(clamp(x + bias, lo, hi)), the bias per weight
/// channel.
package struct GEMMEpilogue {
  package var bias: UnsafePointer<Float>?
  package var lo: Float
  package var hi: Float
  package var function: PointwiseFunction

  package init(
    bias: UnsafePointer<Float>? = nil, lo: Float = -.infinity, hi: Float = .infinity,
    function: PointwiseFunction = .identity
  ) {
    (self.bias, self.lo, self.hi, self.function) = (bias, lo, hi, function)
  }
}

/// Products with packed weights on the engine's pool. Work is split into chunks of the activation operand
/// sized to stay in L2 (each packed once by the thread that runs it), and, when those are fewer than the
/// threads want, into groups of weight panels. Any split gives the same bits (see simlay_gemm_packed).
package enum PackedGEMM {
  /// Floats of one depth block (the kernel's, up to 512 deep) of a packed activation chunk: ~256 KB, what
  /// one core's L2 holds beside the weights' panel.
  static let chunkFloats = 1 << 16

  /// Floats of a convolution's product read in place (see `direct`) held at once: 4 MB, a whole image's
  /// at 224x224 (EfficientNet-Lite0's largest, its stem's, is 32 x 12,767), bands of rows beyond.
  package static let productFloats = 1 << 20

  /// C[channels, n] = W B + epilogue, where B(p, j) = b[p * ks + j * cs] for p < depth, times scale[p] when
  /// given (see simlay_gemm_pack_b_scaled); row ch of C at c + ch * ldc.
  package static func rows(
    _ w: PackedWeights, b: UnsafePointer<Float>, ks: Int, cs: Int, n: Int, c: UnsafeMutablePointer<Float>,
    ldc: Int, scale: UnsafePointer<Float>? = nil, epilogue: GEMMEpilogue, context: ExecutionContext?
  ) {
    if n == 1 {
      column(w, b: b, ks: ks, c: c, ldc: ldc, scale: scale, epilogue: epilogue, context: context)
      return
    }
    rows(w, n: n, c: c, ldc: ldc, epilogue: epilogue, context: context) { columns, packed in
      let (from, depth, count) = (b + columns.lowerBound * cs, Int32(w.depth), Int32(columns.count))
      if let scale {
        simlay_gemm_pack_b_scaled(from, ks, cs, depth, count, scale, packed)
      } else {
        simlay_gemm_pack_b(from, ks, cs, depth, count, packed)
      }
    }
  }

  /// C's one column (n = 1, a 1x1 convolution of a pooled vector) by simlay_gemv_packed, the same bits as
  /// the tiles, in groups of 8 panels (the kernel's unit) shared over the pool when there are at least
  /// 128K multiply-adds (a 960 x 240 squeeze-and-excitation layer is 230K: 70 us on one thread).
  private static func column(
    _ w: PackedWeights, b: UnsafePointer<Float>, ks: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
    scale: UnsafePointer<Float>?, epilogue: GEMMEpilogue, context: ExecutionContext?
  ) {
    precondition(w.side == .rows)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, w.depth)) { x in
      let x = x.baseAddress!
      // The column contiguous, gated as simlay_gemm_pack_b_scaled gates it (the same product).
      if let scale {
        for p in 0..<w.depth { x[p] = b[p * ks] * scale[p] }
      } else {
        for p in 0..<w.depth { x[p] = b[p * ks] }
      }
      let group = 8  // GEMV_PANELS
      let units = (w.panelCount + group - 1) / group
      let body = { (range: Range<Int>) in
        let first = range.lowerBound * group
        let rows = min(w.channels, range.upperBound * group * w.lanes) - first * w.lanes
        var e = epilogue.c(offset: first * w.lanes, perColumn: false)
        simlay_gemv_packed(
          Int32(rows), Int32(w.depth), w.panels.pointer, Int32(w.panelCount), Int32(first), x,
          c + first * w.lanes * ldc, ldc, &e)
      }
      let perUnit = group * w.lanes * max(1, w.depth)
      if let context, w.channels * w.depth >= 1 << 17 {
        context.parallelFor(units, minimumPerThread: max(1, (1 << 16) / perUnit), body)
      } else {
        body(0..<units)
      }
    }
  }

  /// The same for a convolution over x ([channels, H, W]) by im2col, never unfolding the matrix: read in
  /// place (see `direct`) through a product buffer of about `productFloats` floats, or with `inPlace` false
  /// (the tests' reference; the same bits) its columns packed per chunk straight from the image.
  package static func rows(
    _ w: PackedWeights, im2col x: UnsafePointer<Float>, channels: Int, window: Window2D,
    c: UnsafeMutablePointer<Float>, epilogue: GEMMEpilogue, context: ExecutionContext?, inPlace: Bool = true,
    productFloats: Int = productFloats
  ) {
    if inPlace {
      direct(
        w, x, channels: channels, window: window, c: c, epilogue: epilogue, context: context,
        productFloats: productFloats)
      return
    }
    var cw = window.c
    let n = window.outH * window.outW
    rows(w, n: n, c: c, ldc: n, epilogue: epilogue, context: context) { columns, packed in
      simlay_gemm_pack_b_im2col(x, Int32(channels), &cw, Int32(columns.lowerBound), Int32(columns.count), packed)
    }
  }

  /// A convolution reading its im2col matrix in place from a zero-padded copy of x, split into phase planes
  /// for strides over 1 (see simlay_direct_pad): no pack per chunk, for a product over a few more columns
  /// (each row's seam) and a copy of C that drops them. Same bits as the packed path.
  private static func direct(
    _ w: PackedWeights, _ x: UnsafePointer<Float>, channels: Int, window: Window2D, c: UnsafeMutablePointer<Float>,
    epilogue: GEMMEpilogue, context: ExecutionContext?, productFloats: Int
  ) {
    precondition(w.side == .rows && w.depth == channels * window.kH * window.kW)
    var cw = window.c
    let padded = simlay_direct_padded_count(&cw, Int32(channels))
    if simlay_direct_columns(&cw) == 0 || w.channels == 0 { return }
    // The product goes through a buffer by bands of output rows, at most productFloats (or one row) each:
    // a whole large image's would double the memory of the output for a moment.
    let width = Int(simlay_direct_width(&cw))
    let bandRows = min(window.outH, max(1, productFloats / max(1, w.channels * width)))
    let bandColumns = (bandRows - 1) * width + window.outW
    let (planeMemory, productMemory) = (
      BufferRecycling.allocate(floats: padded), BufferRecycling.allocate(floats: w.channels * bandColumns)
    )
    let (planes, product) = (planeMemory.pointer, productMemory.pointer)
    var offsets = [Int32](repeating: 0, count: w.depth)
    defer {
      BufferRecycling.release(planeMemory)
      BufferRecycling.release(productMemory)
    }
    (planes + (padded - 2 * Int(SIMLAY_GEMM_NR))).initialize(repeating: 0, count: 2 * Int(SIMLAY_GEMM_NR))
    simlay_direct_offsets(Int32(channels), &cw, &offsets)
    // Each range reads its own copy of the window: the closures run on several threads at once.
    forEach(channels, context: context) {
      var cw = window.c
      simlay_direct_pad(x, Int32($0.lowerBound), Int32($0.upperBound), &cw, planes)
    }
    for oy0 in stride(from: 0, to: window.outH, by: bandRows) {
      let oy1 = min(window.outH, oy0 + bandRows)
      let (j0, columns) = (oy0 * width, (oy1 - oy0 - 1) * width + window.outW)
      offsets.withUnsafeBufferPointer { offsets in
        tasks(w, extent: columns, context: context, packs: false) { range, rows, _ in
          var e = epilogue.c(offset: rows.lowerBound, perColumn: false)
          simlay_gemm_packed_direct(
            Int32(rows.count), Int32(range.count), Int32(w.depth), w.panels.pointer, Int32(w.panelCount),
            Int32(rows.lowerBound / w.lanes), planes + j0 + range.lowerBound, offsets.baseAddress,
            product + rows.lowerBound * columns + range.lowerBound, columns, &e)
        }
      }
      forEach(w.channels, context: context) {
        var cw = window.c
        simlay_direct_compact(
          product, columns, Int32($0.lowerBound), Int32($0.upperBound), Int32(oy0), Int32(oy1), &cw, c)
      }
    }
  }

  /// Copies over `count` planes, on the pool when there are enough to share.
  private static func forEach(_ count: Int, context: ExecutionContext?, _ body: (Range<Int>) -> Void) {
    if let context { context.parallelFor(count, minimumPerThread: 16, body) } else { body(0..<count) }
  }

  /// C[channels, n] = W B + epilogue, with `pack(columns, buffer)` packing B's columns.
  private static func rows(
    _ w: PackedWeights, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue,
    context: ExecutionContext?, pack: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    precondition(w.side == .rows)
    tasks(w, extent: n, context: context) { columns, channels, packed in
      let packed = packed!
      pack(columns, packed)
      var e = epilogue.c(offset: channels.lowerBound, perColumn: false)
      simlay_gemm_packed(
        Int32(channels.count), Int32(columns.count), Int32(w.depth), w.panels.pointer, Int32(w.panelCount),
        Int32(channels.lowerBound / w.lanes), packed, Int32(panels(columns.count, Int(SIMLAY_GEMM_NR))), 0,
        c + channels.lowerBound * ldc + columns.lowerBound, ldc, nil, &e, 0)
    }
  }

  /// C[m, channels] = A W^T + epilogue, where A(i, p) = a[i * rs + p * ks] for p < depth; row i of C at
  /// c + rowOffsets[i] (dropped when negative) or, without offsets, at c + i * ldc.
  package static func columns(
    _ w: PackedWeights, a: UnsafePointer<Float>, rs: Int, ks: Int, m: Int, c: UnsafeMutablePointer<Float>,
    ldc: Int, rowOffsets: UnsafePointer<Int>? = nil, epilogue: GEMMEpilogue, context: ExecutionContext?
  ) {
    precondition(w.side == .columns)
    tasks(w, extent: m, context: context) { rows, channels, packed in
      let packed = packed!
      simlay_gemm_pack_a(a + rows.lowerBound * rs, rs, ks, Int32(rows.count), Int32(w.depth), packed)
      var e = epilogue.c(offset: channels.lowerBound, perColumn: true)
      let offsets = rowOffsets.map { $0 + rows.lowerBound }
      simlay_gemm_packed(
        Int32(rows.count), Int32(channels.count), Int32(w.depth), packed,
        Int32(panels(rows.count, Int(SIMLAY_GEMM_MR))),
        0, w.panels.pointer, Int32(w.panelCount), Int32(channels.lowerBound / w.lanes),
        (offsets == nil ? c + rows.lowerBound * ldc : c) + channels.lowerBound, ldc, offsets, &e, 1)
    }
  }

  /// Runs `body(activations, channels, buffer)` over chunks of the activation operand's `extent` rows or
  /// columns times groups of weight channels, on the pool; `buffer` holds the chunk packed.
  ///
  /// A chunk is a multiple of the kernel's panel, at most 512 columns or 384 rows and ~chunkFloats floats
  /// per depth block, and the chunks are balanced (49 columns in chunks of 48 would leave a chunk of one
  /// that costs a whole pass over the weights). Weights split into groups of panels only when there are
  /// fewer chunks than two per thread, each group packing the chunk again.
  private static func tasks(
    _ w: PackedWeights, extent: Int, context: ExecutionContext?, packs: Bool = true,
    _ body: (Range<Int>, Range<Int>, UnsafeMutablePointer<Float>?) -> Void
  ) {
    if extent == 0 || w.channels == 0 { return }
    let (mr, nr) = (Int(SIMLAY_GEMM_MR), Int(SIMLAY_GEMM_NR))
    let (unit, channelUnit, most) = w.side == .rows ? (nr, mr, 512) : (mr, nr, 384)
    let size = min(max(unit, chunkFloats / min(max(w.depth, 1), 512) / unit * unit), most)
    let chunks = (extent + size - 1) / size
    let chunk = ((extent + chunks - 1) / chunks + unit - 1) / unit * unit
    let panels = (w.channels + channelUnit - 1) / channelUnit
    let threads = context?.threads ?? 1
    // Two tasks per thread balance the load when one is descheduled, but each group packs the chunk again:
    // worth it for small packs (EfficientNet-Lite0's 14x14 blocks, 2t: 11.9 against 15.2 ms a pass with one
    // task per thread), not for a 512-channel 3x3 convolution's 1.2 MB im2col pack (resnet18, 2t: 45.0
    // against 51.1 ms with two).
    let perThread = !packs || chunk * w.depth <= chunkFloats ? 2 : 1
    let wanted = perThread * threads
    let groups = threads > 1 && chunks < wanted ? min(panels, (wanted + chunks - 1) / chunks) : 1
    let capacity = chunk * w.depth
    func task(_ t: Int) {
      let (i, g) = t.quotientAndRemainder(dividingBy: groups)
      let p = range(g, of: groups, panels)
      let channels = (p.lowerBound * channelUnit)..<min(w.channels, p.upperBound * channelUnit)
      let buffer = packs ? BufferRecycling.allocate(floats: capacity) : nil
      defer { buffer.map(BufferRecycling.release) }
      body((i * chunk)..<min(extent, (i + 1) * chunk), channels, buffer?.pointer)
    }
    if let context, threads > 1, chunks * groups > 1 {
      context.parallelFor(chunks * groups) { for t in $0 { task(t) } }
    } else {
      for t in 0..<(chunks * groups) { task(t) }
    }
  }

  /// Panels of `lanes` that hold `count` rows or columns.
  private static func panels(_ count: Int, _ lanes: Int) -> Int { (count + lanes - 1) / lanes }

  /// Group `i` of `count` over 0..<total.
  private static func range(_ i: Int, of count: Int, _ total: Int) -> Range<Int> {
    let (base, extra) = total.quotientAndRemainder(dividingBy: count)
    let start = i * base + min(i, extra)
    return start..<(start + base + (i < extra ? 1 : 0))
  }
}

extension GEMMEpilogue {
  /// The C struct for weight channels from `offset` on.
  fileprivate func c(offset: Int, perColumn: Bool) -> simlay_gemm_epilogue {
    simlay_gemm_epilogue(
      bias: bias.map { $0 + offset }, bias_per_column: perColumn ? 1 : 0, lo: lo, hi: hi, kind: function.kind,
      alpha: function.alpha, beta: function.beta)
  }
}
