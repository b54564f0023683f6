import CSimlayKernels
import Foundation
import Testing

/// The vectorised erf and Gelu (erf.c) against libm's erff, the plain reference, on odd lengths (the
/// vector loop's tail) over the range where erf changes and beyond its clamp.
@Suite("erf and Gelu kernels")
struct ErfTests {
  static func inputs(_ n: Int) -> [Float] {
    (0..<n).map { i in -7 + 14 * Float(i) / Float(max(n - 1, 1)) }
  }

  @Test(arguments: [1, 13, 124, 1001, 100_003])
  func erf(_ n: Int) {
    let x = Self.inputs(n)
    var y = [Float](repeating: .nan, count: n)
    simlay_erf(x, &y, n)
    // A NaN (an unwritten slot) counts as infinite: max() of floats would skip it.
    let worst = zip(x, y).map { abs($1 - erff($0)) }.map { $0.isNaN ? .infinity : $0 }.max()!
    #expect(worst < 5e-7, "max |erf - erff| = \(worst)")
  }

  @Test(arguments: [13, 124, 100_003])
  func gelu(_ n: Int) {
    let x = Self.inputs(n)
    var y = [Float](repeating: .nan, count: n)
    simlay_gelu(x, &y, n)
    let r = Float(1 / 2.0.squareRoot())
    // Absolute error: x times erf's error, at most 7 * 5e-7 / 2 over this range.
    let worst = zip(x, y).map { abs($1 - 0.5 * $0 * (1 + erff($0 * r))) }.map { $0.isNaN ? .infinity : $0 }.max()!
    #expect(worst < 2e-6, "max |gelu - reference| = \(worst)")
  }
}
