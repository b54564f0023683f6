import Foundation
import SimlayImaging
import Testing

@Suite("Render timing")
struct RenderTimingTests {
  /// One tile of a grid: a 14x14 layer map over a 256x256 image, outlined. Asserts only in
  /// optimised builds (debug Swift is 10-50x slower); the target is well under the 5 ms bound.
  @Test(arguments: Colormap.allCases, MapResize.allCases)
  func tileRendersQuickly(_ colormap: Colormap, _ upsample: MapResize) {
    let image = Probe.noise(width: 256, height: 256)
    let map = Probe.randomValues(14 * 14)
    let style = OverlayStyle(colormap: colormap, upsample: upsample)
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<30 {
      let start = DispatchTime.now().uptimeNanoseconds
      let out = OverlayRenderer.render(
        image: image, map: map, mapHeight: 14, mapWidth: 14, style: style, outline: CellRect(y: 4, x: 9))
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
      checksum &+= Int(out.pixels[out.pixels.count / 2])
    }
    print("render 14x14 -> 256x256 \(colormap) \(upsample): best of 30 = \(best) ms (checksum \(checksum))")
    #if !DEBUG
      #expect(best < 5, "best run took \(best) ms")
    #endif
  }

  /// A full response: 4 images x 5 layers of 256-pixel tiles with titles.
  @Test func gridComposesQuickly() {
    let tile = Probe.noise(width: 256, height: 192)
    var best = Double.infinity
    for _ in 0..<10 {
      let start = DispatchTime.now().uptimeNanoseconds
      var grid = GridComposer(rows: 5, columns: 4)
      grid.columnTitles = (0..<4).map { "image \($0)" }
      grid.rowTitles = (0..<5).map { "mixed\($0)a" }
      for r in 0..<5 { for c in 0..<4 { grid.set(row: r, column: c, tile: tile) } }
      let image = grid.compose()
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
      #expect(image.width > 4 * 256)
    }
    print("compose 5x4 grid of 256x192 tiles: best of 10 = \(best) ms")
    #if !DEBUG
      #expect(best < 20, "best run took \(best) ms")
    #endif
  }
}
