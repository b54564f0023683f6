import SimlayImaging
import Testing

@Suite("CropAndResize")
struct CropAndResizeTests {
  static func ramp(height h: Int, width w: Int, channels: Int = 1) -> PlanarImage {
    PlanarImage(
      channels: channels, height: h, width: w,
      values: (0..<(channels * h * w)).map { i in Float((i / (h * w)) * 1000 + ((i / w) % h) * 100 + i % w) })
  }

  @Test("the full box at the input's size is the identity", arguments: [(1, 1), (5, 5), (7, 12), (224, 224)])
  func fullBoxIsIdentity(height h: Int, width w: Int) {
    let image = PlanarImage(
      channels: 3, height: h, width: w, values: (0..<(3 * h * w)).map { Float($0 % 251) * 0.37 - 20 })
    #expect(CropAndResize.apply(image, box: .full, fill: .constant(99, channels: 3)) == image)
    #expect(CropAndResize.apply(image, box: .centred(scale: 1), fill: .constant(99, channels: 3)) == image)
  }

  @Test("centred boxes have side 1/scale")
  func centredBoxes() {
    #expect(CropAndResize.Box.centred(scale: 2).array == [0.25, 0.25, 0.75, 0.75])
    #expect(CropAndResize.Box.centred(scale: 0.5).array == [-0.5, -0.5, 1.5, 1.5])
  }

  @Test("a zoom-out box fills outside the image and subsamples inside")
  func zoomOut() {
    let image = Self.ramp(height: 5, width: 5, channels: 2)
    let out = CropAndResize.apply(image, box: .centred(scale: 0.5), fill: TransformFill(values: [-1, -2]))
    // Rows sample -2, 0, 2, 4, 6 (TensorFlow: y0 * (H-1) + oy * (y1-y0) * (H-1) / (H-1)): a ring of fill.
    for c in 0..<2 {
      for y in 0..<5 {
        for x in 0..<5 {
          if y == 0 || y == 4 || x == 0 || x == 4 {
            #expect(out[c, y, x] == (c == 0 ? -1 : -2), "(\(c), \(y), \(x))")
          } else {
            #expect(out[c, y, x] == image[c, 2 * (y - 1), 2 * (x - 1)], "(\(c), \(y), \(x))")
          }
        }
      }
    }
  }

  @Test("a zoom-in box interpolates between pixels (TensorFlow's lerp)")
  func zoomIn() {
    let image = Self.ramp(height: 5, width: 5)
    let out = CropAndResize.apply(image, box: .centred(scale: 2), fill: .constant(-1, channels: 1))
    // Rows and columns sample 1, 1.5, 2, 2.5, 3; the ramp is 100 y + x, which bilinear reproduces.
    for y in 0..<5 {
      for x in 0..<5 { #expect(out[0, y, x] == Float(100 * (1 + 0.5 * Double(y)) + 1 + 0.5 * Double(x))) }
    }
  }

  @Test("an output of one row samples the box's centre; other sizes follow TensorFlow's spacing")
  func outputSizes() {
    let image = Self.ramp(height: 5, width: 9)
    let one = CropAndResize.apply(
      image, box: CropAndResize.Box(y0: 0, x0: 0, y1: 1, x1: 0.5), height: 1, width: 3, fill: .constant(-1, channels: 1)
    )
    // Row 0.5 * (0 + 1) * 4 = 2; columns 0, 2, 4 (x1 = 0.5 of 8).
    #expect(one.values == [200, 202, 204])
    let flipped = CropAndResize.apply(
      image, box: CropAndResize.Box(y0: 1, x0: 1, y1: 0, x1: 0), fill: .constant(-1, channels: 1))
    #expect(flipped[0, 0, 0] == image[0, 4, 8] && flipped[0, 4, 8] == image[0, 0, 0])
  }
}
