@_spi(Testing) import SimlayImaging
import Testing

@Suite("LineChart")
struct LineChartTests {
  static func count(_ color: LineChart.Color, in image: RGBImage) -> Int {
    stride(from: 0, to: image.pixels.count, by: 3).filter {
      image.pixels[$0] == color.red && image.pixels[$0 + 1] == color.green && image.pixels[$0 + 2] == color.blue
    }.count
  }

  @Test("lines, markers and legend in each series' colour; gaps and an empty series draw no line")
  func seriesDrawn() {
    let (a, b, c): (LineChart.Color, LineChart.Color, LineChart.Color) = ((200, 0, 0), (0, 0, 200), (0, 150, 0))
    let full = LineChart.Series(
      name: "eye", color: a, points: [(0, 1), (90, 0.5), (180, 0.2), (270, 0.6), (360, 0.95)])
    let gappy = LineChart.Series(
      name: "grass", color: b, points: [(0, 1), (90, nil), (180, .nan), (270, 0.9), (360, 0.97)])
    let none = LineChart.Series(name: "none", color: c, points: [(0, nil), (90, nil)])
    let image = LineChart(
      xLabel: "angle (degrees)", yLabel: "similarity", series: [full, gappy, none], width: 640, height: 400
    ).render()
    #expect(image.width == 640 && image.height == 400)
    let (na, nb, nc) = (Self.count(a, in: image), Self.count(b, in: image), Self.count(c, in: image))
    // The legend alone is a 2 x 19 line and a 7 x 7 marker (< 100 pixels); full lines across ~450 pixels draw far more.
    #expect(nc > 0 && nc < 100)
    #expect(na > 1000)
    #expect(nb > 100 && nb < na, "the gap from 0 to 270 is not drawn")
  }

  @Test("ticks: the caller's step, or 1-2-5 steps covering the data, labelled with the decimals they need")
  func ticks() {
    let angles = ChartAxis.ticks(lo: 0, hi: 360, step: 90)
    #expect(angles.labels == ["0", "90", "180", "270", "360"])
    let similarity = ChartAxis.ticks(lo: 0.42, hi: 0.97, step: nil)
    #expect(similarity.labels == ["0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"])
    let flat = ChartAxis.ticks(lo: 1, hi: 1, step: nil)
    #expect(flat.lo < 1 && flat.hi > 1)
  }
}
