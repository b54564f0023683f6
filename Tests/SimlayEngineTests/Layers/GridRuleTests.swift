import SimlayEngine
import Testing

/// The grid rule on the shapes real models produce (torchvision, DINOv2, Swin), and on the tensors it
/// must refuse (attention matrices, logits, other batches).
@Suite("LayerGrid.infer")
struct GridRuleTests {
  func grid(_ shape: [Int], _ h: Int = 224, _ w: Int = 224) -> LayerGrid? {
    LayerGrid.infer(shape: shape, inputHeight: h, inputWidth: w)
  }

  @Test("vision transformer tokens: class and register prefixes, patch 16 and 14, non-square inputs")
  func tokens() {
    #expect(grid([1, 197, 768]) == LayerGrid(layout: .tokens(prefix: 1), channels: 768, height: 14, width: 14))
    #expect(grid([1, 196, 768]) == LayerGrid(layout: .tokens(prefix: 0), channels: 768, height: 14, width: 14))
    // DINOv2 ViT-S/14 at 224: 16x16 patches, a class token and 4 registers.
    #expect(grid([1, 261, 384]) == LayerGrid(layout: .tokens(prefix: 5), channels: 384, height: 16, width: 16))
    #expect(
      grid([1, 1 + 14 * 20, 768], 224, 320)
        == LayerGrid(layout: .tokens(prefix: 1), channels: 768, height: 14, width: 20))
    // 9 extra tokens is more than any prefix the rule allows.
    #expect(grid([1, 196 + 9, 768]) == nil)
    // The transposed patch embedding [1, D, T] and pooled tokens are not grids.
    #expect(grid([1, 768, 196]) == nil)
    #expect(grid([1, 1, 768]) == nil)
  }

  @Test("4-D tensors: NCHW feature maps (valid convolutions too), channels-last stages")
  func fourD() {
    #expect(grid([1, 64, 112, 112])?.layout == .nchw)
    #expect(grid([1, 2048, 7, 7])?.layout == .nchw)
    for (c, s) in [(64, 147), (192, 35), (768, 17), (2048, 8)] {
      #expect(
        grid([1, c, s, s], 299, 299) == LayerGrid(layout: .nchw, channels: c, height: s, width: s),
        "inception \(c)x\(s)")
    }
    #expect(grid([1, 256, 7, 10], 224, 320) == LayerGrid(layout: .nchw, channels: 256, height: 7, width: 10))
    #expect(grid([1, 56, 56, 96]) == LayerGrid(layout: .nhwc, channels: 96, height: 56, width: 56))
    #expect(grid([1, 7, 7, 768]) == LayerGrid(layout: .nhwc, channels: 768, height: 7, width: 7))
    #expect(grid([1, 7, 10, 768], 224, 320) == LayerGrid(layout: .nhwc, channels: 768, height: 7, width: 10))
    // Both readings fit exactly: NCHW wins.
    #expect(grid([1, 16, 16, 16], 64, 64)?.layout == .nchw)
  }

  @Test("not grids: attention matrices, logits, reshaped heads, another batch, empty dims")
  func refused() {
    #expect(grid([1, 12, 197, 197]) == nil)
    #expect(grid([1, 197, 12, 64]) == nil)
    #expect(grid([1, 1000]) == nil)
    #expect(grid([2, 64, 56, 56]) == nil)
    #expect(grid([64, 3, 49, 49]) == nil)
    #expect(grid([1, 0, 56, 56]) == nil)
    #expect(grid([1, 64, 56, 56], 0, 0) == nil)
  }
}

@Suite("LayerGrid.infer on flattened maps")
struct FlattenedMapTests {
  @Test("flattened maps and transposed tokens are not tokens; ViT-L (D = 1024 = 32*32) still is")
  func flattened() {
    // [1, 24, 80] at 64x80: 24 tokens would be a 4x6 grid (patch 13), but 80 is exactly the 8x10 grid.
    #expect(LayerGrid.infer(shape: [1, 24, 80], inputHeight: 64, inputWidth: 80) == nil)
    #expect(LayerGrid.infer(shape: [1, 80, 24], inputHeight: 64, inputWidth: 80)?.layout == .tokens(prefix: 0))
    #expect(
      LayerGrid.infer(shape: [1, 1025, 1024], inputHeight: 448, inputWidth: 448)
        == LayerGrid(layout: .tokens(prefix: 1), channels: 1024, height: 32, width: 32))
    // ViT-L/16 at 224: 1024 channels would also be a 32x32 grid of patch 7; both tile 224, tokens win.
    #expect(
      LayerGrid.infer(shape: [1, 197, 1024], inputHeight: 224, inputWidth: 224)
        == LayerGrid(layout: .tokens(prefix: 1), channels: 1024, height: 14, width: 14))
    // Transposed tokens (attention keys) [1, D, T] with T = 3 + 8*10 at 64x80 are not a 4x6 grid.
    #expect(LayerGrid.infer(shape: [1, 24, 83], inputHeight: 64, inputWidth: 80) == nil)
  }
}
