import CSimlayKernels

/// Depthwise convolution: one kH x kW filter per channel. GEMM is the wrong tool here (K = kH*kW is tiny),
/// so the C kernel pads the plane once and sums all taps of an output row in registers, vectorised
/// across the row.
package enum Depthwise {
  /// One channel plane, by the C kernel. `weights` holds kH*kW taps; the output is clamped to lo...hi.
  /// `scratch` must hold `scratchCount(window)` floats.
  package static func plane(
    _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: Float, window w: Window2D,
    lo: Float, hi: Float, into y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    var cw = w.c
    simlay_depthwise_plane(x, weights, bias, &cw, lo, hi, y, scratch)
  }

  /// Scratch floats `plane` needs.
  package static func scratchCount(_ w: Window2D) -> Int {
    var cw = w.c
    return simlay_depthwise_scratch(&cw)
  }

  /// The direct definition, kept beside the fast kernel for tests.
  package static func referencePlane(
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

extension Window2D {
  /// The C kernels' view of the window.
  package var c: simlay_window {
    simlay_window(
      in_h: Int32(inH), in_w: Int32(inW), k_h: Int32(kH), k_w: Int32(kW), stride_h: Int32(strideH),
      stride_w: Int32(strideW), dilation_h: Int32(dilationH), dilation_w: Int32(dilationW),
      pad_top: Int32(padTop), pad_left: Int32(padLeft), out_h: Int32(outH), out_w: Int32(outW))
  }
}
