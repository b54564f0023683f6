import SimlayCore
import Testing

@Suite("TopMatches")
struct TopMatchesTests {
  /// The reference: every cell, sorted by value (decreasing) then flat index, filtered, cut to k.
  static func reference(
    _ maps: [Float], n: Int, h: Int, w: Int, k: Int, perMap: Bool, exclusion: TopExclusion?
  ) -> [TopMatch] {
    let groups = perMap ? (0..<n).map { [$0] } : [Array(0..<n)]
    return groups.flatMap { images -> [TopMatch] in
      var all: [(Int, TopMatch)] = []
      for i in images {
        for y in 0..<h {
          for x in 0..<w {
            let flat = (i * h + y) * w + x
            guard !maps[flat].isNaN, exclusion?.excludes(image: i, y: y, x: x) != true else { continue }
            all.append((flat, TopMatch(image: i, y: y, x: x, value: maps[flat])))
          }
        }
      }
      all.sort { $0.1.value != $1.1.value ? $0.1.value > $1.1.value : $0.0 < $1.0 }
      return all.prefix(k).map(\.1)
    }
  }

  /// Seeded values quantised to `levels` steps (many ties), with some NaN.
  static func maps(count: Int, seed: UInt64, levels: Float) -> [Float] {
    var s = seed
    return (0..<count).map { i in
      s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      if i % 17 == 5 { return .nan }
      return (Float(s >> 40) / Float(1 << 24) * levels).rounded(.down) / levels
    }
  }

  /// Maps, k and quantisation levels of one case.
  struct Case: Sendable, CustomTestStringConvertible {
    var n: Int, k: Int, levels: Int
    var testDescription: String { "n=\(n) k=\(k) levels=\(levels)" }
  }

  @Test(
    "equals sorting every cell, ties by lower map, then y, then x",
    arguments: [
      Case(n: 1, k: 1, levels: 1), Case(n: 3, k: 7, levels: 4), Case(n: 4, k: 50, levels: 3),
      Case(n: 2, k: 1024, levels: 255), Case(n: 5, k: 13, levels: 1),
    ])
  func matchesSort(_ c: Case) {
    let (n, k, levels) = (c.n, c.k, c.levels)
    let (h, w) = (7, 5)
    let m = Self.maps(count: n * h * w, seed: UInt64(n * 131 + k), levels: Float(levels))
    for perMap in [false, true] {
      let got = TopMatches.select(maps: m, count: n, height: h, width: w, k: k, perMap: perMap)
      #expect(got == Self.reference(m, n: n, h: h, w: w, k: k, perMap: perMap, exclusion: nil))
    }
  }

  @Test("the exclusion is a Chebyshev neighbourhood of the query rectangle on the listed maps only")
  func exclusion() {
    let (n, h, w) = (3, 6, 6)
    let m = Self.maps(count: n * h * w, seed: 99, levels: 16)
    let cases = [
      TopExclusion(images: [1], y0: 2, x0: 3, y1: 3, x1: 4, radius: 0),
      TopExclusion(images: [0, 2], y0: 0, x0: 0, y1: 1, x1: 1, radius: 2),
      TopExclusion(images: [2], y0: 1, x0: 1, y1: 3, x1: 4, radius: 1),
    ]
    for e in cases {
      let got = TopMatches.select(maps: m, count: n, height: h, width: w, k: 20, exclusion: e)
      #expect(got == Self.reference(m, n: n, h: h, w: w, k: 20, perMap: false, exclusion: e))
      #expect(!got.contains { e.excludes(image: $0.image, y: $0.y, x: $0.x) })
    }
    let square = TopExclusion(images: [0], y0: 2, x0: 2, y1: 3, x1: 3, radius: 1)
    #expect(square.excludes(image: 0, y: 1, x: 3) && square.excludes(image: 0, y: 3, x: 1))
    #expect(!square.excludes(image: 0, y: 0, x: 2) && !square.excludes(image: 1, y: 2, x: 2))
  }

  @Test("k beyond the cells left answers all of them; k of 0 or a size mismatch answers none")
  func edges() {
    let m: [Float] = [0.5, .nan, 0.75, 0.5]
    let all = TopMatches.select(maps: m, count: 1, height: 1, width: 4, k: 10)
    #expect(all.map(\.x) == [2, 0, 3])
    #expect(TopMatches.select(maps: m, count: 1, height: 1, width: 4, k: 0).isEmpty)
    #expect(TopMatches.select(maps: m, count: 2, height: 1, width: 4, k: 3).isEmpty)
  }
}
