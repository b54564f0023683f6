/// Depthwise convolution: one kH x kW filter per channel. GEMM is the wrong tool here (K = kH*kW is tiny),
/// so each output row is accumulated tap by tap as contiguous (or strided) AXPYs that the compiler
/// vectorises, while the row stays in L1.
enum Depthwise {
  /// One channel plane. `weights` holds kH*kW taps. The output is clamped to lo...hi.
  static func plane(
    _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: Float, window w: Window2D,
    lo: Float, hi: Float, into y: UnsafeMutablePointer<Float>
  ) {
    let columns = (0..<w.kW).map { w.validColumns(kx: $0) }
    for oy in 0..<w.outH {
      let row = y + oy * w.outW
      row.update(repeating: bias, count: w.outW)
      for ky in 0..<w.kH {
        let iy = oy * w.strideH - w.padTop + ky * w.dilationH
        if iy < 0 || iy >= w.inH { continue }
        let inRow = x + iy * w.inW
        for kx in 0..<w.kW {
          let tap = weights[ky * w.kW + kx]
          let valid = columns[kx]
          let src = inRow + kx * w.dilationW - w.padLeft
          if w.strideW == 1 {
            for ox in valid { row[ox] += tap * src[ox] }
          } else if w.strideW == 2 {
            for ox in valid { row[ox] += tap * src[2 * ox] }
          } else {
            for ox in valid { row[ox] += tap * src[ox * w.strideW] }
          }
        }
      }
      if lo > -.infinity || hi < .infinity {
        for ox in 0..<w.outW { row[ox] = Swift.min(Swift.max(row[ox], lo), hi) }
      }
    }
  }

  /// The direct definition, kept beside the fast kernel for tests.
  static func referencePlane(
    _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: Float, window w: Window2D,
    lo: Float, hi: Float, into y: UnsafeMutablePointer<Float>
  ) {
    for oy in 0..<w.outH {
      for ox in 0..<w.outW {
        var acc = bias
        for ky in 0..<w.kH {
          for kx in 0..<w.kW {
            let iy = oy * w.strideH - w.padTop + ky * w.dilationH
            let ix = ox * w.strideW - w.padLeft + kx * w.dilationW
            if iy >= 0 && iy < w.inH && ix >= 0 && ix < w.inW { acc += weights[ky * w.kW + kx] * x[iy * w.inW + ix] }
          }
        }
        y[oy * w.outW + ox] = Swift.min(Swift.max(acc, lo), hi)
      }
    }
  }
}
