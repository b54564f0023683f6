import CSimlayKernels

/// The per-channel tail of a convolution: add the bias, then clamp (a fused Relu or Clip).
enum Epilogue {
  /// For each of `channels` planes of `size` floats: x = min(max(x + bias[c], lo), hi).
  static func apply(_ data: UnsafeMutablePointer<Float>, channels: Int, size: Int, bias: UnsafePointer<Float>?,
                    lo: Float, hi: Float) {
    if bias == nil && lo == -.infinity && hi == .infinity { return }
    simlay_bias_clamp(data, Int32(channels), size, bias, lo, hi)
  }
}
