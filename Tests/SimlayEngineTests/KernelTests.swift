import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// Each fast kernel against the plain reference kept beside it, on odd shapes that exercise the edges
/// (padding on one side only, widths that are not multiples of the vector width, stride 2 with odd sizes).
@Suite("Kernels against their references")
struct KernelTests {
  struct DepthwiseCase: CustomTestStringConvertible, Sendable {
    var c, h, w, k, s, p, d: Int
    var testDescription: String { "c\(c) \(h)x\(w) k\(k) s\(s) p\(p) d\(d)" }
  }

  @Test(arguments: [
    DepthwiseCase(c: 3, h: 13, w: 13, k: 3, s: 1, p: 1, d: 1),
    DepthwiseCase(c: 5, h: 124, w: 17, k: 3, s: 2, p: 1, d: 1),
    DepthwiseCase(c: 7, h: 13, w: 31, k: 5, s: 2, p: 2, d: 1),
    DepthwiseCase(c: 17, h: 7, w: 7, k: 5, s: 1, p: 2, d: 1),
    DepthwiseCase(c: 33, h: 14, w: 14, k: 3, s: 2, p: 0, d: 1),
    DepthwiseCase(c: 4, h: 19, w: 23, k: 3, s: 1, p: 2, d: 2),
    DepthwiseCase(c: 2, h: 29, w: 11, k: 7, s: 3, p: 3, d: 1),
    DepthwiseCase(c: 6, h: 12, w: 12, k: 4, s: 2, p: 1, d: 1),
    // Rows of 28 and 14 (blocks of 16 past the row's end), of one column, of 33 (two blocks and one).
    DepthwiseCase(c: 3, h: 28, w: 28, k: 5, s: 1, p: 2, d: 1),
    DepthwiseCase(c: 3, h: 28, w: 28, k: 5, s: 2, p: 2, d: 1),
    DepthwiseCase(c: 2, h: 5, w: 1, k: 3, s: 1, p: 1, d: 1),
    DepthwiseCase(c: 2, h: 9, w: 65, k: 3, s: 2, p: 1, d: 1),
    // Channel counts that use the channels-last kernel's 64- and 16-wide blocks and its scalar tail.
    DepthwiseCase(c: 80, h: 9, w: 7, k: 3, s: 1, p: 1, d: 1),
    DepthwiseCase(c: 124, h: 13, w: 13, k: 5, s: 2, p: 2, d: 1),
    DepthwiseCase(c: 48, h: 15, w: 17, k: 5, s: 2, p: 2, d: 1),
    DepthwiseCase(c: 32, h: 6, w: 13, k: 3, s: 1, p: 1, d: 2),
  ])
  func depthwise(_ t: DepthwiseCase) {
    let e = KernelCheck.depthwiseMaxError(
      channels: t.c, height: t.h, width: t.w, kernel: t.k, stride: t.s, pad: t.p, dilation: t.d)
    #expect(e.nchw <= 1e-5)
    #expect(e.channelsLast <= 1e-5)
  }

  @Test(arguments: [
    (3, 8, 1, 13, 13, 3, 2, 1), (6, 9, 3, 17, 11, 3, 1, 1), (16, 32, 1, 14, 14, 1, 2, 0), (4, 4, 2, 9, 23, 5, 3, 2),
    (8, 16, 1, 31, 7, 7, 2, 3),
    // The packed im2col path: a 3-channel stem (panels within one output row, stride 2), odd maps whose
    // panels straddle rows and the padding, and a depth over the kernel's 512-deep blocks.
    (3, 32, 1, 30, 30, 3, 2, 1), (5, 13, 1, 13, 124, 3, 1, 1), (64, 7, 1, 9, 11, 3, 1, 1),
  ])
  func convolution(_ cin: Int, _ cout: Int, _ group: Int, _ h: Int, _ w: Int, _ k: Int, _ s: Int, _ p: Int) {
    #expect(
      KernelCheck.convolutionMaxError(
        inChannels: cin, outChannels: cout, group: group, height: h, width: w,
        kernel: k, stride: s, pad: p) <= 1e-4)
  }

  /// Dilated windows, through OpenBLAS (grouped) and the packed im2col path (ungrouped).
  @Test(arguments: [(3, 8, 1, 17, 13, 3, 1, 2, 2), (4, 6, 2, 15, 16, 3, 2, 1, 3), (6, 5, 1, 9, 20, 5, 1, 4, 2)])
  func dilatedConvolution(
    _ cin: Int, _ cout: Int, _ group: Int, _ h: Int, _ w: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int
  ) {
    #expect(
      KernelCheck.convolutionMaxError(
        inChannels: cin, outChannels: cout, group: group, height: h, width: w,
        kernel: k, stride: s, pad: p, dilation: d) <= 1e-4)
  }

  @Test(arguments: [
    (33, 124, 13, false, false), (64, 49, 192, true, false), (40, 77, 65, false, true), (37, 41, 43, true, true),
    // One row: the matrix-vector kernels (a classifier at batch 1), both layouts of B, odd sizes.
    (1, 1000, 131, false, true), (1, 77, 65, false, false), (1, 13, 7, false, true), (1, 124, 3, true, true),
  ])
  func gemm(_ m: Int, _ n: Int, _ k: Int, _ ta: Bool, _ tb: Bool) {
    #expect(KernelCheck.gemmMaxError(m: m, n: n, k: k, transA: ta, transB: tb) <= 1e-4)
  }
}
