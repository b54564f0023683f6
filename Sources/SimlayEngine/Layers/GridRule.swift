/// The rule that decides whether an activation tensor is a grid of cells, and how it lies.
///
/// Shapes alone decide, given the input's height and width (`simlay layers`, ListModels and every query
/// use this one rule; DEVELOPERS.md and the README state it):
/// - `[1, T, D]` is a transformer's tokens when `T = P + h * w` for a prefix `0 <= P <= 8` (class and
///   register tokens) and a patch grid `h = floor(H_in / p)`, `w = floor(W_in / p)` of some patch size
///   `p >= 1`, with at least 2 x 2 patches; the smallest such `p` (the finest grid) wins. A flattened
///   map or transposed tokens `[1, C, P' + h' * w']` is not tokens: when its last axis fits a finer grid
///   whose patch size tiles the input exactly and the middle axis only fits a patch size that does not,
///   the tensor is refused.
/// - `[1, A, B, C]` is a grid when one reading of it has the input's proportions: NCHW (`B x C` cells of
///   `A` channels) or channels-last NHWC (`A x B` cells of `C` channels). A reading fits when, along
///   each axis, the cells times a whole stride `s` (the input size over the cells, rounded) miss the
///   input size by at most `2s + 8` pixels (valid convolutions and ceil-mode pooling lose or add a few),
///   and the strides along height and width agree within a quarter (or one pixel). When both readings
///   fit, the closer agreement wins and a tie is NCHW: a `[1, 16, 16, 16]` tensor of a square input is
///   read as NCHW.
/// - Anything else is not a grid: logits, pooled vectors, attention matrices `[1, heads, T, T]` (their
///   `T` cells per input pixel do not fit a whole stride), tensors of a batch other than the input's.
extension LayerGrid {
  /// Largest prefix of non-patch tokens a token tensor may have (a class token and up to 7 registers).
  public static let maxTokenPrefix = 8

  /// The grid `shape` lies on for an input of `inputHeight` x `inputWidth` pixels and batch `batch`, or
  /// nil when it is not a grid (see the rule above).
  public static func infer(shape: [Int], inputHeight: Int, inputWidth: Int, batch: Int = 1) -> LayerGrid? {
    guard inputHeight > 0, inputWidth > 0, shape.first == batch, shape.allSatisfy({ $0 > 0 }) else { return nil }
    switch shape.count {
    case 3:
      return tokens(count: shape[1], channels: shape[2], inputHeight: inputHeight, inputWidth: inputWidth)
    case 4:
      let nchw = misfit(height: shape[2], width: shape[3], inputHeight: inputHeight, inputWidth: inputWidth)
      let nhwc = misfit(height: shape[1], width: shape[2], inputHeight: inputHeight, inputWidth: inputWidth)
      if let b = nhwc, nchw.map({ b < $0 }) ?? true {
        return LayerGrid(layout: .nhwc, channels: shape[3], height: shape[1], width: shape[2])
      }
      return nchw == nil ? nil : LayerGrid(layout: .nchw, channels: shape[1], height: shape[2], width: shape[3])
    default:
      return nil
    }
  }

  /// The token reading of `[1, count, channels]`, if some patch size makes `count - h * w` a prefix.
  static func tokens(count: Int, channels: Int, inputHeight: Int, inputWidth: Int) -> LayerGrid? {
    guard
      let (p, h, w) = patchGrid(
        holding: count, prefixUpTo: maxTokenPrefix, inputHeight: inputHeight, inputWidth: inputWidth)
    else { return nil }
    // A flattened feature map or transposed tokens [1, C, prefix + h' * w'] (a patch embedding before
    // its transpose, attention keys) may have a middle axis that happens to fit a coarse grid. Shapes
    // cannot always tell (ViT-L/16 at 224 is [1, 197, 1024], and 1024 is a 32x32 grid of patch 7), so
    // the reversed reading wins only when it is finer and tiles the input exactly while the token
    // reading does not.
    func tiles(_ g: (p: Int, h: Int, w: Int)) -> Bool { inputHeight % g.h == 0 && inputWidth % g.w == 0 }
    if let reversed = patchGrid(
      holding: channels, prefixUpTo: maxTokenPrefix, inputHeight: inputHeight, inputWidth: inputWidth),
      reversed.p < p, tiles(reversed), !tiles((p, h, w))
    {
      return nil
    }
    return LayerGrid(layout: .tokens(prefix: count - h * w), channels: channels, height: h, width: w)
  }

  /// The finest patch grid `floor(H / p) x floor(W / p)` (at least 2 x 2) whose cells leave between 0
  /// and `prefixUpTo` of `count` tokens over, with its patch size.
  static func patchGrid(holding count: Int, prefixUpTo: Int, inputHeight: Int, inputWidth: Int) -> (
    p: Int, h: Int, w: Int
  )? {
    // Patch sizes run from fine to coarse, so cells only shrink: the first grid that fits is the answer.
    // Linear in the input size (at most a few thousand steps, once per layer at load).
    for p in 1...min(inputHeight, inputWidth) {
      let (h, w) = (inputHeight / p, inputWidth / p)
      guard h >= 2, w >= 2 else { return nil }
      let cells = h * w
      if cells > count { continue }
      return count - cells <= prefixUpTo ? (p, h, w) : nil
    }
    return nil
  }

  /// How far an `height` x `width` cell grid is from the input's proportions (0 = the same stride on both
  /// axes), or nil when it does not fit at all.
  static func misfit(height: Int, width: Int, inputHeight: Int, inputWidth: Int) -> Double? {
    func strideFits(cells: Int, pixels: Int) -> Double? {
      guard cells <= pixels + 8 else { return nil }
      let exact = Double(pixels) / Double(cells)
      let whole = max(1, exact.rounded())
      return abs(Double(pixels) - whole * Double(cells)) <= 2 * whole + 8 ? exact : nil
    }
    guard let sy = strideFits(cells: height, pixels: inputHeight),
      let sx = strideFits(cells: width, pixels: inputWidth)
    else { return nil }
    let gap = abs(sy - sx)
    guard gap <= max(1, 0.25 * min(sy, sx)) else { return nil }
    return gap / min(sy, sx)
  }
}
