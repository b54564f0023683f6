/// How an activation tensor lies on a grid of cells: which axes are the grid and which holds the
/// channels. Every layer a similarity query can name has one; other tensors (weights, logits, shapes)
/// do not.
///
/// The rule that decides a tensor's layout lives with `LayerInfo.grid`; this type only describes the
/// answer, so the similarity maths and the service never look at raw shapes.
public struct LayerGrid: Sendable, Hashable {
  /// Where the cells and channels are in the tensor.
  public enum Layout: Sendable, Hashable {
    /// [N, C, H, W]: a convolutional feature map.
    case nchw
    /// [N, H, W, C]: channels last (Swin stages, ConvNeXt's internals).
    case nhwc
    /// [N, T, D] with T = prefix + H * W: a vision transformer's tokens; the first `prefix` tokens (a class
    /// token, register tokens) are not cells, the rest are the patch grid row-major.
    case tokens(prefix: Int)
  }

  /// Where the cells and channels are.
  public var layout: Layout
  /// Channels per cell (the length of every vector).
  public var channels: Int
  /// Grid height and width in cells.
  public var height: Int
  public var width: Int

  /// A grid description.
  public init(layout: Layout, channels: Int, height: Int, width: Int) {
    self.layout = layout
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// Number of cells, height * width.
  public var cellCount: Int { height * width }

  /// A short name of the layout, as listings and the wire show it: "nchw", "nhwc" or "tokens+P".
  public var layoutName: String {
    switch layout {
    case .nchw: return "nchw"
    case .nhwc: return "nhwc"
    case .tokens(let p): return "tokens+\(p)"
    }
  }
}
