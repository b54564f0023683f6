import Foundation
import SimlayImaging
import Testing

@Suite("Resize timing")
struct ResizeTimingTests {
  /// The hot path of request handling: a camera-sized image down to a 224x224 network input.
  /// Asserts only in optimised builds (debug Swift is 10-50x slower); the bound is loose
  /// (the target is well under 5 ms) so a busy CI machine does not make it flaky.
  @Test func photoToNetworkInputIsFast() {
    let (w, h) = (512, 600)
    let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) }
    let image = RGBImage(width: w, height: h, pixels: pixels)
    var best = Double.infinity
    var checksum: Float = 0
    for _ in 0..<30 {
      let start = DispatchTime.now().uptimeNanoseconds
      let out = Resampler.resizeBilinear(image, width: 224, height: 224)
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
      checksum += out[out.count / 2]
    }
    print("resizeBilinear 512x600 -> 224x224: best of 30 = \(best) ms (checksum \(checksum))")
    #if !DEBUG
      #expect(best < 20, "best run took \(best) ms")
    #endif
  }
}
