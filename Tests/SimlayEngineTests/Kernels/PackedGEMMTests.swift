import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// The packed-weight GEMM against a double-precision loop on odd shapes: panels that do not fill (13
/// channels, 124 cells), one row or column, depths over the kernel's 512-deep blocks, channels-last
/// activations (the 8x8-transposing pack), scattered output rows, and fused functions.
// Serialized: the cases switch the tile width, a process-wide setting.
@Suite("Packed GEMM against its reference", .serialized)
struct PackedGEMMTests {
  @Test(arguments: [
    PackedGEMMCheck.Case(13, 124, 7, rows: true, channelsLast: false),
    PackedGEMMCheck.Case(1, 1, 1, rows: true, channelsLast: false),
    PackedGEMMCheck.Case(124, 1, 1153, rows: true, channelsLast: false, function: .hardSigmoid(1 / 6, 0.5)),
    PackedGEMMCheck.Case(13, 1, 7, rows: true, channelsLast: true),
    PackedGEMMCheck.Case(24, 49, 1152, rows: true, channelsLast: true),
    PackedGEMMCheck.Case(7, 33, 513, rows: true, channelsLast: true),
    PackedGEMMCheck.Case(40, 200, 19, rows: true, channelsLast: true, function: .silu),
    PackedGEMMCheck.Case(6, 16, 8, rows: true, channelsLast: true),
    PackedGEMMCheck.Case(67, 1031, 3, rows: true, channelsLast: false, function: .hardSwish),
    PackedGEMMCheck.Case(13, 124, 7, rows: false, channelsLast: false),
    PackedGEMMCheck.Case(96, 397, 16, rows: false, channelsLast: false, scattered: true),
    PackedGEMMCheck.Case(17, 5, 1100, rows: false, channelsLast: true),
    PackedGEMMCheck.Case(1152, 49, 192, rows: false, channelsLast: false, scattered: true, function: .sigmoid),
    PackedGEMMCheck.Case(1, 13, 2, rows: false, channelsLast: true),
  ])
  func packed(_ t: PackedGEMMCheck.Case) {
    let r = PackedGEMMCheck.run(t)
    // Float sums against double ones: within 1e-6 of the sum of |a b| (a depth of 1152 in single precision
    // rounds to a few 1e-7 of it in the worst elements seen).
    #expect(r.error <= 1e-6)
    #expect(r.sameAtAnyThreadCount)
  }

  /// One column (a 1x1 convolution of a pooled vector, simlay_gemv_packed) against the tiles' bits for it:
  /// channels that leave a group of panels part full (13, 124, 250 = 41 panels and 4 rows), depths of one,
  /// odd ones and over a 512-deep block, with and without bias, gate and function.
  @Test(arguments: [
    (13, 7, PointwiseFunction.identity, true, false), (124, 1153, .sigmoid, true, true),
    (250, 960, .hardSwish, false, false), (1, 1, .identity, true, true), (48, 513, .silu, true, false),
    (960, 240, .hardSigmoid(1 / 6, 0.5), true, true),
  ])
  func oneColumn(_ t: (Int, Int, PointwiseFunction, Bool, Bool)) {
    #expect(
      PackedGEMMCheck.columnMatchesTiles(channels: t.0, depth: t.1, function: t.2, bias: t.3, gated: t.4),
      "\(t.0) channels, depth \(t.1)")
  }

  /// The vector im2col packer against the plain one, bit for bit: panels straddling output rows (a 56-wide
  /// map), rows narrower than a panel (up to 16 runs in one), taps off every border, strides 2 and 3
  /// (gathers), dilation, asymmetric padding and column ranges that start and end mid-panel.
  @Test(arguments: [
    PackedGEMMCheck.Im2colCase(56, 56, channels: 3, k: (3, 3), pad: (1, 1, 1, 1), j0: 40, n: 300),
    PackedGEMMCheck.Im2colCase(13, 17, channels: 5, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(3, 1, channels: 2, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(7, 7, channels: 4, k: (3, 3), pad: (1, 1, 1, 1), j0: 5, n: 37),
    PackedGEMMCheck.Im2colCase(15, 15, channels: 3, k: (3, 3), stride: (2, 2), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(23, 29, channels: 3, k: (7, 7), stride: (2, 2), pad: (3, 3, 3, 3), j0: 17, n: 124),
    PackedGEMMCheck.Im2colCase(11, 13, channels: 2, k: (3, 3), dilation: (2, 3), pad: (2, 3, 2, 3)),
    PackedGEMMCheck.Im2colCase(9, 31, channels: 3, k: (1, 5), stride: (1, 3), pad: (0, 2, 0, 1)),
    PackedGEMMCheck.Im2colCase(12, 10, channels: 1, k: (2, 2), pad: (0, 0, 1, 1)),
    PackedGEMMCheck.Im2colCase(4, 40, channels: 6, k: (5, 5), pad: (4, 4, 4, 4), j0: 1),
  ])
  func im2colPacking(_ t: PackedGEMMCheck.Im2colCase) {
    #expect(PackedGEMMCheck.im2colPacksAgree(t))
  }

  /// Convolutions read in place from a padded copy (phase planes for strides over 1) against the packed
  /// path, bit for bit: seams between rows, a last pair of panels that does not fill, strides 2 and 3,
  /// dilation with and without a stride, and asymmetric padding.
  @Test(arguments: [
    PackedGEMMCheck.Im2colCase(56, 56, channels: 3, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(13, 17, channels: 5, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(3, 1, channels: 2, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(7, 7, channels: 70, k: (3, 3), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(11, 13, channels: 2, k: (3, 3), dilation: (2, 3), pad: (2, 3, 2, 3)),
    PackedGEMMCheck.Im2colCase(12, 10, channels: 1, k: (2, 2), pad: (0, 0, 1, 1)),
    PackedGEMMCheck.Im2colCase(4, 40, channels: 6, k: (5, 5), pad: (4, 4, 4, 4)),
    PackedGEMMCheck.Im2colCase(9, 9, channels: 4, k: (3, 3)),
    PackedGEMMCheck.Im2colCase(15, 15, channels: 3, k: (3, 3), stride: (2, 2), pad: (1, 1, 1, 1)),
    PackedGEMMCheck.Im2colCase(23, 29, channels: 3, k: (7, 7), stride: (2, 2), pad: (3, 3, 3, 3)),
    PackedGEMMCheck.Im2colCase(9, 31, channels: 3, k: (1, 5), stride: (1, 3), pad: (0, 2, 0, 1)),
    PackedGEMMCheck.Im2colCase(17, 14, channels: 2, k: (3, 3), stride: (2, 2), dilation: (2, 3), pad: (2, 1, 2, 3)),
    PackedGEMMCheck.Im2colCase(8, 8, channels: 40, k: (3, 3), stride: (2, 2)),
    PackedGEMMCheck.Im2colCase(10, 11, channels: 2, k: (2, 2), stride: (3, 2), pad: (0, 1, 0, 0)),
  ])
  func inPlaceConvolution(_ t: PackedGEMMCheck.Im2colCase) {
    #expect(PackedGEMMCheck.inPlaceMatchesPacked(t))
  }
}

extension PackedGEMMCheck.Case: CustomTestStringConvertible {}
extension PackedGEMMCheck.Im2colCase: CustomTestStringConvertible {}
