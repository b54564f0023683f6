import CSimlayKernels

/// The per-channel tail of a convolution: add the bias, clamp (a fused Relu or Clip), then an optional
/// element-wise function (a fused Sigmoid, SiLU, HardSwish, Gelu...; see Fusion), on data the GEMM has
/// just written.
enum Epilogue {
  /// For each of `channels` planes of `size` floats: x = f(min(max(x + bias[c], lo), hi)).
  /// Large tensors split over the context's threads by channel.
  static func apply(
    _ data: UnsafeMutablePointer<Float>, channels: Int, size: Int, bias: UnsafePointer<Float>?,
    lo: Float, hi: Float, function f: PointwiseFunction = .identity, context: ExecutionContext? = nil
  ) {
    let plain = f.kind == SIMLAY_ACT_IDENTITY
    if bias == nil && lo == -.infinity && hi == .infinity && plain { return }
    func run(_ range: Range<Int>) {
      let (p, b) = (data + range.lowerBound * size, bias.map { $0 + range.lowerBound })
      if plain {
        simlay_bias_clamp(p, Int32(range.count), size, b, lo, hi)
      } else {
        simlay_bias_activation(p, Int32(range.count), size, b, lo, hi, f.kind, f.alpha, f.beta)
      }
    }
    // A transcendental function costs ~10x a clamp per element, so it is worth splitting at a tenth of the size.
    guard let context, channels * size >= (plain ? 1 << 15 : 1 << 12) else {
      run(0..<channels)
      return
    }
    context.parallelFor(channels) { run($0) }
  }
}
