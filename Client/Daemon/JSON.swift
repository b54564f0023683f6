import Foundation

/// A JSON value written with keys in the order given and floats in their shortest exact form (maps are
/// float32: printing them as Double would add noise digits). Swift's `1e-05` and `3.0` are valid JSON
/// numbers; non-finite numbers become `null`.
indirect enum JSON {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case float(Float)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  /// Compact JSON text (one line).
  var text: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d): out += d.isFinite ? d.description : "null"
    case .float(let f): out += f.isFinite ? f.description : "null"
    case .string(let s): Self.quote(s, into: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let fields):
      out += "{"
      for (i, (key, value)) in fields.enumerated() {
        if i > 0 { out += "," }
        Self.quote(key, into: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }

  private static func quote(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }

  /// A double rounded to `places` decimals (for latencies and rates).
  static func rounded(_ value: Double, _ places: Int = 3) -> JSON {
    let scale = pow(10, Double(places))
    return .double((value * scale).rounded() / scale)
  }
}
