import Foundation
import SimlayProto

/// One top-K match in `simlay similarity --json`: `{"image": i, "y": y, "x": x, "value": v}`, `image` the
/// index into the IMAGE list.
struct MatchJSON: Encodable {
  var image: Int32
  var y: Int32
  var x: Int32
  var value: JSONFloat

  init(_ m: Simlay_V1_Match) {
    (image, y, x, value) = (m.image, m.y, m.x, JSONFloat(value: m.value))
  }
}

/// `simlay similarity --csv`: the top-K matches, one row each, in the answer's order.
enum TopCSV {
  static let header = "rank,image,name,y,x,value"

  /// The CSV text; names are quoted when they hold a comma, a quote or a line break.
  static func text(_ top: [Simlay_V1_Match], names: [String]) -> String {
    var lines = [header]
    for (rank, m) in top.enumerated() {
      let name = Int(m.image) < names.count ? names[Int(m.image)] : ""
      lines.append("\(rank),\(m.image),\(quoted(name)),\(m.y),\(m.x),\(m.value)")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func quoted(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// One line per match for stdout: `#RANK  NAME  y=Y x=X  value=V`.
  static func lines(_ top: [Simlay_V1_Match], names: [String]) -> [String] {
    top.enumerated().map { rank, m in
      let name = Int(m.image) < names.count ? names[Int(m.image)] : "#\(m.image)"
      return "#\(rank)  \(name)  y=\(m.y) x=\(m.x)  value=\(String(format: "%.4f", m.value))"
    }
  }
}
