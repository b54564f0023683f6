import SimlayCore
import SimlayImaging
import Testing

@Suite("PhotoTransform")
struct PhotoTransformTests {
  /// A 9 x 6 photo whose every byte differs.
  static let photo = RGBImage(width: 9, height: 6, pixels: (0..<(9 * 6 * 3)).map { UInt8($0) })

  @Test("angle 0 and scale 1 give the photo back byte for byte")
  func identity() {
    #expect(PhotoTransform.rotated(Self.photo, degrees: 0, fill: [1, 2, 3]).pixels == Self.photo.pixels)
    #expect(PhotoTransform.scaled(Self.photo, scale: 1, fill: [1, 2, 3]).pixels == Self.photo.pixels)
  }

  @Test("a half turn of a non-square photo reverses its pixels, keeping each pixel's channels in order")
  func halfTurn() {
    let turned = PhotoTransform.rotated(Self.photo, degrees: 180, fill: [0, 0, 0])
    #expect(turned.width == 9 && turned.height == 6)
    for i in 0..<(9 * 6) {
      let j = 9 * 6 - 1 - i
      #expect(Array(turned.pixels[(i * 3)..<(i * 3 + 3)]) == Array(Self.photo.pixels[(j * 3)..<(j * 3 + 3)]))
    }
  }

  @Test("zooming out fills the outside with the fill pixel, rounded half away from zero")
  func fill() {
    let zoomed = PhotoTransform.scaled(Self.photo, scale: 0.25, fill: [127.5, 0.4, 300])
    // The corner's sample lies far outside the photo: the fill, rounded (128) and clamped (255).
    #expect(Array(zoomed.pixels[0..<3]) == [128, 0, 255])
  }
}
