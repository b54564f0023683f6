import SimlayEngine
import SimlayEngineTestSupport
import Testing

/// The packed-weight GEMM against a double-precision loop on odd shapes: panels that do not fill (13
/// channels, 124 cells), one row or column, depths over the kernel's 512-deep blocks, channels-last
/// activations (the 8x8-transposing pack), scattered output rows, and fused functions.
@Suite("Packed GEMM against its reference")
struct PackedGEMMTests {
  @Test(arguments: [
    PackedGEMMCheck.Case(13, 124, 7, rows: true, channelsLast: false),
    PackedGEMMCheck.Case(1, 1, 1, rows: true, channelsLast: false),
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
}

extension PackedGEMMCheck.Case: CustomTestStringConvertible {}
