/// Geometry of a 2-D sliding window (convolution or pooling) over one plane.
/// `package`: the kernel checks of the test-support target build windows of their own.
package struct Window2D: Sendable, Hashable {
  package var inH: Int, inW: Int
  package var kH: Int, kW: Int
  package var strideH: Int, strideW: Int
  package var dilationH: Int, dilationW: Int
  package var padTop: Int, padLeft: Int
  package var outH: Int, outW: Int

  /// The memberwise initializer, at package access.
  package init(
    inH: Int, inW: Int, kH: Int, kW: Int, strideH: Int, strideW: Int, dilationH: Int, dilationW: Int,
    padTop: Int, padLeft: Int, outH: Int, outW: Int
  ) {
    (self.inH, self.inW, self.kH, self.kW) = (inH, inW, kH, kW)
    (self.strideH, self.strideW, self.dilationH, self.dilationW) = (strideH, strideW, dilationH, dilationW)
    (self.padTop, self.padLeft, self.outH, self.outW) = (padTop, padLeft, outH, outW)
  }

  /// The output columns `ox` whose tap at kernel column `kx` lands inside the input row.
  @inline(__always)
  func validColumns(kx: Int) -> Range<Int> {
    let offset = kx * dilationW - padLeft
    let lo = offset >= 0 ? 0 : (-offset + strideW - 1) / strideW
    let last = inW - 1 - offset
    let hi = last < 0 ? 0 : Swift.min(outW, last / strideW + 1)
    return lo..<Swift.max(lo, hi)
  }
}

/// Unfolds input patches into columns so a convolution becomes one GEMM:
/// cols[(c * kH + ky) * kW + kx, oy * outW + ox] = x[c, iy, ix], zero outside the image.
package enum Im2col {
  package static func unfold(
    _ x: UnsafePointer<Float>, channels: Int, window w: Window2D, into cols: UnsafeMutablePointer<Float>,
    context: ExecutionContext? = nil
  ) {
    let rows = channels * w.kH * w.kW
    let planeOut = w.outH * w.outW
    // Rows are independent: large unfolds (the stem's 27 x 112*112) split over the engine's threads.
    let fill = { (range: Range<Int>) in
      for r in range { unfoldRow(x, row: r, window: w, into: cols + r * planeOut) }
    }
    if let context, rows * planeOut >= 1 << 16 { context.parallelFor(rows, fill) } else { fill(0..<rows) }
  }

  /// Row r = (c * kH + ky) * kW + kx of the unfolded matrix.
  private static func unfoldRow(
    _ x: UnsafePointer<Float>, row r: Int, window w: Window2D, into row: UnsafeMutablePointer<Float>
  ) {
    let (c, ky, kx) = (r / (w.kH * w.kW), (r / w.kW) % w.kH, r % w.kW)
    let plane = x + c * w.inH * w.inW
    let valid = w.validColumns(kx: kx)
    for oy in 0..<w.outH {
      let dst = row + oy * w.outW
      let iy = oy * w.strideH - w.padTop + ky * w.dilationH
      if iy < 0 || iy >= w.inH {
        dst.update(repeating: 0, count: w.outW)
        continue
      }
      let src = plane + iy * w.inW + kx * w.dilationW - w.padLeft
      for ox in 0..<valid.lowerBound { dst[ox] = 0 }
      if w.strideW == 1 {
        for ox in valid { dst[ox] = src[ox] }
      } else {
        for ox in valid { dst[ox] = src[ox * w.strideW] }
      }
      for ox in valid.upperBound..<w.outW { dst[ox] = 0 }
    }
  }
}
