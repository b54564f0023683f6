import SimlayImaging
import Testing

@Suite("RGBImage")
struct RGBImageTests {
  @Test func validatingInitRejectsWrongByteCount() {
    #expect(throws: ImagingError.self) {
      _ = try RGBImage(validatingWidth: 2, height: 2, pixels: [UInt8](repeating: 0, count: 11))
    }
    let error = #expect(throws: ImagingError.self) {
      _ = try RGBImage(validatingWidth: -1, height: 2, pixels: [])
    }
    #expect(error?.code == .invalidArgument)
    let ok = try? RGBImage(validatingWidth: 2, height: 2, pixels: [UInt8](repeating: 7, count: 12))
    #expect(ok == RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 7, count: 12)))
  }

  @Test func filledImageHasTheColourEverywhere() {
    let image = RGBImage(width: 3, height: 2, filledWith: (red: 1, green: 2, blue: 3))
    #expect(image.pixels == [UInt8](repeating: 0, count: 6).flatMap { _ in [1, 2, 3] as [UInt8] })
    #expect(image.isWellFormed)
  }

  @Test func mutatingPixelCountIsDetected() {
    var image = RGBImage(width: 1, height: 1, filledWith: (red: 0, green: 0, blue: 0))
    image.pixels.append(9)
    #expect(!image.isWellFormed)
  }
}
