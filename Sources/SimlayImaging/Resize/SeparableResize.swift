/// The two-pass (horizontal, then vertical) resampling engine behind ``Resampler``.
///
/// Layout: sources are interleaved RGB bytes or planar Float; the intermediate and the output
/// are planar Float (`[channel][row][column]`). The pass order and the row window follow
/// Pillow's `ImagingResampleInner`: a pass is skipped when its axis keeps its size, and the
/// horizontal pass only produces the rows the vertical pass will read.
///
/// All loops run on raw pointers whose extents are established up front (coefficient tables
/// are built for exactly these sizes), which is what makes `-Ounchecked` safe here.
enum SeparableResize {
  /// Where a horizontal pass reads its input from.
  enum Source {
    /// Interleaved 8-bit RGB, `width * height * 3` bytes.
    case rgb(UnsafeBufferPointer<UInt8>)
    /// Planar Float, `channels * width * height` values.
    case planar(UnsafeBufferPointer<Float>, channels: Int)

    var channels: Int {
      switch self {
      case .rgb: 3
      case .planar(_, let channels): channels
      }
    }
  }

  /// Resizes `source` (`width` x `height`) to `outWidth` x `outHeight`, writing planar Float
  /// into `out` (which must hold `channels * outWidth * outHeight` values). All sizes must be
  /// positive and the buffers exactly sized; callers check that.
  static func resize(
    _ source: Source, width: Int, height: Int,
    outWidth: Int, outHeight: Int, into out: UnsafeMutableBufferPointer<Float>,
    bandFloats: Int = Resampler.defaultBandFloats
  ) {
    let channels = source.channels
    let needHorizontal = outWidth != width
    let needVertical = outHeight != height
    let horizontal = needHorizontal ? ResampleCoefficients(bilinearFrom: width, to: outWidth) : nil

    guard needVertical else {
      // Only the horizontal pass (or a plain conversion): write straight into the output.
      horizontalPass(
        source, width: width, height: height, rows: 0..<height, coefficients: horizontal,
        outWidth: outWidth, into: out.baseAddress!)
      return
    }

    let vertical = ResampleCoefficients(bilinearFrom: height, to: outHeight)
    // By bands of output rows whose source rows' horizontal pass fits in `bandFloats` (at least one row): the whole
    // intermediate of a 512x512 photo was 1.4 MB, a fresh mapping page-faulted in for every image
    // (a quarter of AddImages' page faults); a band stays in cache. The rows two bands share are
    // resized twice (about 8% more horizontal work at 512 -> 224); each value is computed as before.
    let bands = outputBands(vertical, floatsPerRow: channels * outWidth, bandFloats: bandFloats)
    let capacity = bands.map { channels * $0.source.count * outWidth }.max() ?? 0
    let temporary = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1))
    defer { temporary.deallocate() }
    for band in bands {
      horizontalPass(
        source, width: width, height: height, rows: band.source, coefficients: horizontal,
        outWidth: outWidth, into: temporary)
      verticalPass(
        temporary, channels: channels, width: outWidth, firstRow: band.source.lowerBound,
        rowCount: band.source.count, outRows: band.output, coefficients: vertical, into: out.baseAddress!)
    }
  }

  /// Consecutive output rows grouped so that the source rows each group reads, times `floatsPerRow`,
  /// stay within `bandFloats` (at least one output row per band).
  static func outputBands(_ k: ResampleCoefficients, floatsPerRow: Int, bandFloats: Int) -> [(
    output: Range<Int>, source: Range<Int>
  )] {
    var bands: [(output: Range<Int>, source: Range<Int>)] = []
    var y0 = 0
    while y0 < k.outSize {
      var (lo, hi) = (k.starts[y0], k.starts[y0] + k.counts[y0])
      var y1 = y0 + 1
      while y1 < k.outSize {
        let (l, h) = (min(lo, k.starts[y1]), max(hi, k.starts[y1] + k.counts[y1]))
        if (h - l) * floatsPerRow > bandFloats { break }
        (lo, hi, y1) = (l, h, y1 + 1)
      }
      bands.append((y0..<y1, lo..<max(lo, hi)))
      y0 = y1
    }
    return bands
  }

  /// Produces planar rows `rows` of the horizontally resized image (or, with no coefficients,
  /// the same rows converted to planar Float) into `out`, each plane `rows.count * outWidth`.
  private static func horizontalPass(
    _ source: Source, width: Int, height: Int, rows: Range<Int>,
    coefficients: ResampleCoefficients?, outWidth: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let plane = rows.count * outWidth
    switch (source, coefficients) {
    case (.rgb(let src), nil):
      for (r, y) in rows.enumerated() {
        var p = src.baseAddress! + y * width * 3
        let o = out + r * outWidth
        for x in 0..<width {
          o[x] = Float(p[0])
          o[plane + x] = Float(p[1])
          o[2 * plane + x] = Float(p[2])
          p += 3
        }
      }
    case (.planar(let src, let channels), nil):
      for c in 0..<channels {
        (out + c * plane).update(
          from: src.baseAddress! + (c * height + rows.lowerBound) * width, count: plane)
      }
    case (.rgb(let src), let k?):
      k.weights.withUnsafeBufferPointer { weights in
        k.starts.withUnsafeBufferPointer { starts in
          k.counts.withUnsafeBufferPointer { counts in
            for (r, y) in rows.enumerated() {
              let row = src.baseAddress! + y * width * 3
              let o = out + r * outWidth
              for xx in 0..<outWidth {
                let w = weights.baseAddress! + xx * k.stride
                var p = row + starts[xx] * 3
                var s0: Float = 0
                var s1: Float = 0
                var s2: Float = 0
                for i in 0..<counts[xx] {
                  let wi = w[i]
                  s0 += Float(p[0]) * wi
                  s1 += Float(p[1]) * wi
                  s2 += Float(p[2]) * wi
                  p += 3
                }
                o[xx] = s0
                o[plane + xx] = s1
                o[2 * plane + xx] = s2
              }
            }
          }
        }
      }
    case (.planar(let src, let channels), let k?):
      k.weights.withUnsafeBufferPointer { weights in
        k.starts.withUnsafeBufferPointer { starts in
          k.counts.withUnsafeBufferPointer { counts in
            for c in 0..<channels {
              for (r, y) in rows.enumerated() {
                let row = src.baseAddress! + (c * height + y) * width
                let o = out + c * plane + r * outWidth
                for xx in 0..<outWidth {
                  let w = weights.baseAddress! + xx * k.stride
                  let p = row + starts[xx]
                  var s: Float = 0
                  for i in 0..<counts[xx] { s += p[i] * w[i] }
                  o[xx] = s
                }
              }
            }
          }
        }
      }
    }
  }

  /// Vertical pass producing output rows `outRows` from planar rows `firstRow ..< firstRow + rowCount`
  /// held in `src` (which must cover every row those output rows read).
  /// Rows are combined whole (`dst += w * row`), so the inner loop is a contiguous
  /// multiply-add the compiler vectorises; the tap order matches Pillow's summation order.
  private static func verticalPass(
    _ src: UnsafeMutablePointer<Float>, channels: Int, width: Int, firstRow: Int, rowCount: Int,
    outRows: Range<Int>, coefficients k: ResampleCoefficients, into out: UnsafeMutablePointer<Float>
  ) {
    let srcPlane = rowCount * width
    let outPlane = k.outSize * width
    k.weights.withUnsafeBufferPointer { weights in
      for c in 0..<channels {
        for yy in outRows {
          let dst = out + c * outPlane + yy * width
          let w = weights.baseAddress! + yy * k.stride
          let base = src + c * srcPlane + (k.starts[yy] - firstRow) * width
          let count = k.counts[yy]
          guard count > 0 else {
            dst.update(repeating: 0, count: width)
            continue
          }
          let w0 = w[0]
          for x in 0..<width { dst[x] = base[x] * w0 }
          for i in 1..<count {
            let wi = w[i]
            let row = base + i * width
            for x in 0..<width { dst[x] += row[x] * wi }
          }
        }
      }
    }
  }
}
