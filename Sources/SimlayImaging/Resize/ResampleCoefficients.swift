/// Per-output-pixel filter taps for one axis, computed exactly like Pillow's
/// `precompute_coeffs` (libImaging/Resample.c) with its bilinear (triangle) filter.
///
/// Pillow's recipe, which every detail below mirrors because each one shows up in the output:
/// - `scale = inSize / outSize`; `filterscale = max(scale, 1)` widens the filter when
///   shrinking, which is what makes Pillow's downscaling antialiased.
/// - `support = 1 * filterscale`; `center = (xx + 0.5) * scale` (pixel centres, in input
///   coordinates).
/// - Taps cover `xmin = Int(center - support + 0.5)` ..< `xmax = Int(center + support + 0.5)`
///   (C truncation, then clamped to the image), with weights
///   `triangle((x + xmin - center + 0.5) / filterscale)` normalised to sum to 1 (unless the
///   sum is 0). Renormalising at the borders is what makes edges behave like clamping.
/// - Everything is in Double, as in Pillow; only the final weights are stored as Float.
struct ResampleCoefficients: Sendable {
  /// Number of output pixels along this axis.
  let outSize: Int
  /// Row stride of ``weights``: Pillow's `ksize = ceil(support) * 2 + 1`.
  let stride: Int
  /// First input index used by each output pixel (`xmin`).
  let starts: [Int]
  /// Number of input pixels used by each output pixel (`xmax - xmin`, at most ``stride``).
  let counts: [Int]
  /// `outSize * stride` weights; entries past `counts[i]` in row `i` are zero.
  let weights: [Float]

  /// Coefficients for resizing `inSize` pixels to `outSize` with Pillow's BILINEAR filter.
  /// Both sizes must be positive.
  init(bilinearFrom inSize: Int, to outSize: Int) {
    precondition(inSize > 0 && outSize > 0)
    // Pillow passes the box as floats (in0 = 0, in1 = inSize) and divides in double.
    let scale = Double(Float(inSize)) / Double(outSize)
    let filterscale = max(scale, 1.0)
    let support = 1.0 * filterscale
    let stride = Int(support.rounded(.up)) * 2 + 1
    let inverseFilterscale = 1.0 / filterscale

    var starts = [Int](repeating: 0, count: outSize)
    var counts = [Int](repeating: 0, count: outSize)
    var weights = [Float](repeating: 0, count: outSize * stride)
    var raw = [Double](repeating: 0, count: stride)
    for xx in 0..<outSize {
      let center = (Double(xx) + 0.5) * scale
      // Int(_:) truncates toward zero, like Pillow's (int) cast; clamping follows.
      let xmin = max(Int(center - support + 0.5), 0)
      let xmax = min(Int(center + support + 0.5), inSize)
      let count = max(xmax - xmin, 0)
      var sum = 0.0
      for x in 0..<count {
        let w = ResampleCoefficients.triangle((Double(x + xmin) - center + 0.5) * inverseFilterscale)
        raw[x] = w
        sum += w
      }
      for x in 0..<count {
        weights[xx * stride + x] = Float(sum != 0 ? raw[x] / sum : raw[x])
      }
      starts[xx] = xmin
      counts[xx] = count
    }
    self.outSize = outSize
    self.stride = stride
    self.starts = starts
    self.counts = counts
    self.weights = weights
  }

  /// Pillow's `bilinear_filter`: a triangle of half-width 1.
  @inline(__always)
  static func triangle(_ x: Double) -> Double {
    let a = abs(x)
    return a < 1.0 ? 1.0 - a : 0.0
  }

  /// First input index any output pixel reads (Pillow's `ybox_first`).
  var firstUsed: Int { starts.first ?? 0 }

  /// One past the last input index any output pixel reads (Pillow's `ybox_last`).
  var endUsed: Int { (starts.last ?? 0) + (counts.last ?? 0) }
}
