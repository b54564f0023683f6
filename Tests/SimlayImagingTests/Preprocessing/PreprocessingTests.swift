import SimlayImaging
import Testing

@Suite("Preprocessing")
struct PreprocessingTests {
  let image = try! ImageDecoder.decode(contentsOf: Fixtures.path("rgb8.png"))

  @Test func applyIsResizeThenNormalise() {
    let pre = Preprocessing(width: 19, height: 31, mean: [100, 120, 140], std: [50, 60, 70])
    let resized = Resampler.resizeBilinear(image, width: 19, height: 31)
    let expected = resized.enumerated().map { i, v in
      let c = i / (19 * 31)
      return (v - pre.mean[c]) / pre.std[c]
    }
    let out = pre.apply(to: image)
    #expect(out.count == pre.elementCount)
    #expect(out == expected)
  }

  @Test func identityStatisticsAtNativeSizeGiveRawPixels() {
    let pre = Preprocessing(width: 37, height: 23, mean: [0, 0, 0], std: [1, 1, 1])
    #expect(pre.apply(to: image) == planar(image.pixels))
  }

  @Test func normalisesConstantImageToKnownValues() {
    let gray = RGBImage(width: 8, height: 8, filledWith: (red: 255, green: 128, blue: 0))
    let pre = Preprocessing.imageNet(width: 4, height: 2)
    let out = pre.apply(to: gray)
    let expected: [Float] = [(255 - 123.675) / 58.395, (128 - 116.28) / 57.12, (0 - 103.53) / 57.375]
    for c in 0..<3 {
      #expect(out[(c * 8)..<((c + 1) * 8)].allSatisfy { abs($0 - expected[c]) < 1e-5 })
    }
  }

  @Test func batchConcatenatesApply() throws {
    let other = try ImageDecoder.decode(contentsOf: Fixtures.path("small.png"))
    let pre = Preprocessing.imageNet(width: 16, height: 12)
    let batch = pre.batch([image, other, image])
    #expect(batch.count == 3 * pre.elementCount)
    #expect(Array(batch[0..<pre.elementCount]) == pre.apply(to: image))
    #expect(Array(batch[pre.elementCount..<(2 * pre.elementCount)]) == pre.apply(to: other))
    #expect(Array(batch[(2 * pre.elementCount)...]) == pre.apply(to: image))
    #expect(pre.batch([]).isEmpty)
  }

  @Test func imageNetPreset() {
    let pre = Preprocessing.imageNet()
    #expect(pre.width == 224 && pre.height == 224)
    #expect(pre.mean == [123.675, 116.28, 103.53])
    #expect(pre.std == [58.395, 57.12, 57.375])
    #expect(throws: Never.self) { try pre.validate() }
  }

  @Test(
    "validate rejects bad configurations",
    arguments: [
      Preprocessing(width: 0, height: 224, mean: [0, 0, 0], std: [1, 1, 1]),
      Preprocessing(width: 224, height: -1, mean: [0, 0, 0], std: [1, 1, 1]),
      Preprocessing(width: 224, height: 224, mean: [0, 0], std: [1, 1, 1]),
      Preprocessing(width: 224, height: 224, mean: [0, 0, 0], std: [1, 0, 1]),
      Preprocessing(width: 224, height: 224, mean: [.nan, 0, 0], std: [1, 1, 1]),
    ])
  func validateRejects(_ pre: Preprocessing) {
    let error = #expect(throws: ImagingError.self) { try pre.validate() }
    #expect(error?.code == .invalidArgument)
  }
}
