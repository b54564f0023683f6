/// The per-channel tail of a convolution: add the bias, then clamp (a fused Relu or Clip).
enum Epilogue {
  /// For each of `channels` planes of `size` floats: x = min(max(x + bias[c], lo), hi).
  static func apply(_ data: UnsafeMutablePointer<Float>, channels: Int, size: Int, bias: UnsafePointer<Float>?,
                    lo: Float, hi: Float) {
    let clamp = lo > -.infinity || hi < .infinity
    if bias == nil && !clamp { return }
    for c in 0..<channels {
      let p = data + c * size
      let b = bias?[c] ?? 0
      if clamp {
        for i in 0..<size { p[i] = Swift.min(Swift.max(p[i] + b, lo), hi) }
      } else {
        for i in 0..<size { p[i] += b }
      }
    }
  }
}
