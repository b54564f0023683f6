import CSimlayKernels

/// The per-channel tail of a convolution: add the bias, then clamp (a fused Relu or Clip).
enum Epilogue {
  /// For each of `channels` planes of `size` floats: x = min(max(x + bias[c], lo), hi).
  /// Large tensors split over the context's threads by channel.
  static func apply(
    _ data: UnsafeMutablePointer<Float>, channels: Int, size: Int, bias: UnsafePointer<Float>?,
    lo: Float, hi: Float, context: ExecutionContext? = nil
  ) {
    if bias == nil && lo == -.infinity && hi == .infinity { return }
    guard let context, channels * size >= 1 << 15 else {
      simlay_bias_clamp(data, Int32(channels), size, bias, lo, hi)
      return
    }
    context.parallelFor(channels) { range in
      simlay_bias_clamp(
        data + range.lowerBound * size, Int32(range.count), size, bias.map { $0 + range.lowerBound }, lo, hi)
    }
  }
}
