import CSimlayKernels
import SimlayEngine

/// Compares each fast kernel with the plain reference kept beside it, on caller-chosen shapes. Lives in a
/// test-support target (only test targets depend on it) and reaches the kernels through their `package`
/// access, since the tests build in release mode without `@testable`.
public enum KernelCheck {
  /// A deterministic pseudo-random fill in [-1, 1).
  static func fill(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 0.0
    }.map { $0 > 1 ? $0 - 2 : $0 }
  }

  /// Max |fast - reference| of depthwise convolution over `channels` planes, for both fast kernels
  /// (row-wise NCHW and channels-last, the latter with and without its 8-cell AVX-512 kernel), with a ReLU6
  /// clamp.
  public static func depthwiseMaxError(
    channels: Int, height: Int, width: Int, kernel: Int, stride: Int, pad: Int,
    dilation: Int = 1
  ) -> (nchw: Float, channelsLast: Float) {
    let extent = dilation * (kernel - 1) + 1
    let w = Window2D(
      inH: height, inW: width, kH: kernel, kW: kernel, strideH: stride, strideW: stride,
      dilationH: dilation, dilationW: dilation, padTop: pad, padLeft: pad,
      outH: (height + 2 * pad - extent) / stride + 1, outW: (width + 2 * pad - extent) / stride + 1)
    let x = fill(channels * height * width, seed: 1)
    let wt = fill(channels * kernel * kernel, seed: 2)
    let bias = fill(channels, seed: 3)
    let outPlane = w.outH * w.outW
    let inPlane = height * width
    let taps = kernel * kernel
    var ref = [Float](repeating: 0, count: channels * outPlane)
    var fast = ref
    var last = ref
    var narrow = ref
    // Scratch starts as NaN, as a reused buffer would hold anything: a cell the kernels read without
    // writing it first shows in the output.
    let scratch = [Float](repeating: .nan, count: Depthwise.scratchCount(w))
    var cw = w.c
    var lastScratch = [Float](repeating: .nan, count: simlay_depthwise_hwc_scratch(&cw, Int32(channels)))
    let tapsMajor = (0..<(taps * channels)).map { wt[($0 % channels) * taps + $0 / channels] }
    x.withUnsafeBufferPointer { xp in
      wt.withUnsafeBufferPointer { wp in
        for c in 0..<channels {
          ref.withUnsafeMutableBufferPointer {
            Depthwise.referencePlane(
              xp.baseAddress! + c * inPlane, weights: wp.baseAddress! + c * taps, bias: bias[c], window: w,
              lo: 0, hi: 6, into: $0.baseAddress! + c * outPlane)
          }
          fast.withUnsafeMutableBufferPointer { out in
            var s = scratch
            s.withUnsafeMutableBufferPointer {
              Depthwise.plane(
                xp.baseAddress! + c * inPlane, weights: wp.baseAddress! + c * taps, bias: bias[c], window: w,
                lo: 0, hi: 6, into: out.baseAddress! + c * outPlane, scratch: $0.baseAddress!)
            }
          }
        }
        last.withUnsafeMutableBufferPointer { out in
          simlay_depthwise_hwc(
            xp.baseAddress!, Int32(channels), tapsMajor, Int32(channels), bias, &cw, 0, 6,
            out.baseAddress!, &lastScratch)
        }
        // Again without the 8-cell AVX-512 kernel (this thread only), so that the blocks AVX2 machines run
        // are checked here too.
        _ = simlay_depthwise_use_wide_cells(0)
        defer { _ = simlay_depthwise_use_wide_cells(1) }
        lastScratch = [Float](repeating: .nan, count: lastScratch.count)
        narrow.withUnsafeMutableBufferPointer { out in
          simlay_depthwise_hwc(
            xp.baseAddress!, Int32(channels), tapsMajor, Int32(channels), bias, &cw, 0, 6,
            out.baseAddress!, &lastScratch)
        }
      }
    }
    // A NaN counts as the worst difference (max() of floats would skip it).
    func maxDiff(_ a: [Float]) -> Float { zip(a, ref).map { abs($0 - $1).isNaN ? .infinity : abs($0 - $1) }.max() ?? 0 }
    return (maxDiff(fast), max(maxDiff(last), maxDiff(narrow)))
  }

  /// Max |im2col + GEMM convolution - direct convolution| for a grouped, strided, padded 2-D convolution,
  /// and for ungrouped ones also of the packed GEMM's im2col path.
  public static func convolutionMaxError(
    inChannels: Int, outChannels: Int, group: Int, height: Int, width: Int,
    kernel: Int, stride: Int, pad: Int, dilation: Int = 1
  ) -> Float {
    let extent = dilation * (kernel - 1) + 1
    let w = Window2D(
      inH: height, inW: width, kH: kernel, kW: kernel, strideH: stride, strideW: stride,
      dilationH: dilation, dilationW: dilation, padTop: pad, padLeft: pad,
      outH: (height + 2 * pad - extent) / stride + 1, outW: (width + 2 * pad - extent) / stride + 1)
    let cg = inChannels / group
    let mg = outChannels / group
    let k = cg * kernel * kernel
    let x = fill(inChannels * height * width, seed: 4)
    let wt = fill(outChannels * k, seed: 5)
    let outPlane = w.outH * w.outW
    var fast = [Float](repeating: 0, count: outChannels * outPlane)
    var cols = [Float](repeating: 0, count: k * outPlane)
    x.withUnsafeBufferPointer { xp in
      for g in 0..<group {
        cols.withUnsafeMutableBufferPointer {
          Im2col.unfold(xp.baseAddress! + g * cg * height * width, channels: cg, window: w, into: $0.baseAddress!)
        }
        fast.withUnsafeMutableBufferPointer { out in
          GEMM.multiply(
            m: mg, n: outPlane, k: k, a: wt.withUnsafeBufferPointer { $0.baseAddress! } + g * mg * k, lda: k,
            b: cols.withUnsafeBufferPointer { $0.baseAddress! }, ldb: outPlane, c: out.baseAddress! + g * mg * outPlane,
            ldc: outPlane)
        }
      }
    }
    // Ungrouped convolutions run on the packed GEMM, packing the unfolded columns straight from the image.
    var packed = fast
    if group == 1 {
      let weights = wt.withUnsafeBufferPointer {
        PackedWeights($0.baseAddress!, channels: outChannels, depth: k, side: .rows)
      }
      x.withUnsafeBufferPointer { xp in
        packed.withUnsafeMutableBufferPointer { out in
          PackedGEMM.rows(
            weights, im2col: xp.baseAddress!, channels: inChannels, window: w, c: out.baseAddress!,
            epilogue: GEMMEpilogue(), context: ExecutionContext(threads: 2))
        }
      }
    }
    var worst: Float = 0
    for m in 0..<outChannels {
      let g = m / mg
      for oy in 0..<w.outH {
        for ox in 0..<w.outW {
          var acc: Float = 0
          for c in 0..<cg {
            for ky in 0..<kernel {
              for kx in 0..<kernel {
                let iy = oy * stride - pad + ky * dilation
                let ix = ox * stride - pad + kx * dilation
                if iy < 0 || iy >= height || ix < 0 || ix >= width { continue }
                acc += wt[((m * cg + c) * kernel + ky) * kernel + kx] * x[((g * cg + c) * height + iy) * width + ix]
              }
            }
          }
          let i = (m * w.outH + oy) * w.outW + ox
          worst = max(worst, abs(acc - fast[i]), abs(acc - packed[i]))
        }
      }
    }
    return worst
  }

  /// Max |OpenBLAS - reference loop| of a product large enough to take the OpenBLAS path.
  public static func gemmMaxError(m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> Float {
    let a = fill(m * k, seed: 6)
    let b = fill(k * n, seed: 7)
    var c1 = fill(m * n, seed: 8)
    var c2 = c1
    let (lda, ldb) = (transA ? m : k, transB ? k : n)
    c1.withUnsafeMutableBufferPointer { c in
      GEMM.multiply(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
        beta: 0.25, c: c.baseAddress!, ldc: n)
    }
    c2.withUnsafeMutableBufferPointer { c in
      GEMM.reference(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
        beta: 0.25, c: c.baseAddress!, ldc: n)
    }
    // A NaN counts as the worst difference (max() of floats would skip it).
    return zip(c1, c2).map { abs($0 - $1).isNaN ? .infinity : abs($0 - $1) }.max() ?? 0
  }
}
