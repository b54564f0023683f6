import Foundation
import SimlayClient
import SimlayProto

extension MapStack {
  /// One line per map: `NAME  min=... max=...  argmax=Y,X`.
  func summaryLines(names: [String], indent: String = "") -> [String] {
    let nameWidth = names.map(\.count).max() ?? 0
    return (0..<count).map { i in
      let m = map(i)
      var (lo, hi, best) = (Float.infinity, -Float.infinity, m.startIndex)
      for j in m.indices {
        lo = min(lo, m[j])
        if m[j] > hi { (hi, best) = (m[j], j) }
      }
      let cell = best - m.startIndex
      let name = (i < names.count ? names[i] : "#\(i)").padding(toLength: nameWidth, withPad: " ", startingAt: 0)
      let argmax = "\(cell / max(width, 1)),\(cell % max(width, 1))"
      let stats = m.isEmpty ? "empty" : String(format: "min=%.4f  max=%.4f", lo, hi) + "  argmax=\(argmax)"
      return "\(indent)\(name)  \(stats)"
    }
  }
}
