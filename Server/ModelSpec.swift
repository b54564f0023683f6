import Foundation
import SimlayCore
import SimlayEngine

/// One `--model` argument: `NAME=PATH[,mean=R:G:B][,std=R:G:B][,size=H:W][,order=rgb|bgr]`. The options give
/// the preprocessing of a model whose file carries no simlay.* metadata (R:G:B in 0..255 units; `;` may
/// separate the numbers too). A comma inside PATH is kept unless what follows it starts an option.
struct ModelSpec {
  var name: String
  var path: String
  var overrides = InputPipeline.Overrides()

  static let keys = ["mean", "std", "size", "order"]

  /// A model with the file's own preprocessing.
  init(name: String, path: String) {
    self.name = name
    self.path = path
  }

  /// Parses one `--model` value; errors name the part that is wrong.
  init(parsing spec: String) throws {
    guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
      throw DaemonError("--model needs NAME=PATH.onnx[,mean=R:G:B,std=R:G:B,size=H:W,order=rgb|bgr], got '\(spec)'")
    }
    name = String(spec[..<eq])
    var parts = spec[spec.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    var pathParts = [parts.removeFirst()]
    while let next = parts.first, !Self.keys.contains(where: { next.hasPrefix($0 + "=") }) {
      pathParts.append(parts.removeFirst())
    }
    path = pathParts.joined(separator: ",")
    // "a.onnx,colour=rgb": no such file with a comma, but a file before it, so the rest was meant as options.
    if pathParts.count > 1, !FileManager.default.fileExists(atPath: path),
      FileManager.default.fileExists(atPath: pathParts[0])
    {
      throw DaemonError("--model \(name): unknown option '\(pathParts[1])' (use mean=, std=, size=, order=)")
    }
    for option in parts {
      let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
      guard kv.count == 2, Self.keys.contains(kv[0]) else {
        throw DaemonError("--model \(name): unknown option '\(option)' (use mean=, std=, size=, order=)")
      }
      let numbers = kv[1].split(whereSeparator: { $0 == ":" || $0 == ";" }).map {
        Float($0.trimmingCharacters(in: .whitespaces))
      }
      func values(_ count: Int) throws -> [Float] {
        guard numbers.count == count, numbers.allSatisfy({ $0?.isFinite == true }) else {
          throw DaemonError("--model \(name): \(kv[0]) needs \(count) numbers separated by ':', got '\(kv[1])'")
        }
        return numbers.map { $0! }
      }
      switch kv[0] {
      case "mean": overrides.mean = try values(3)
      case "std":
        let v = try values(3)
        guard v.allSatisfy({ $0 > 0 }) else {
          throw DaemonError("--model \(name): std values must be positive, got '\(kv[1])'")
        }
        overrides.std = v
      case "size":
        let v = try values(2)
        guard v.allSatisfy({ $0 >= 1 && $0 <= Float(EngineLimits.maxInputSide) && $0 == $0.rounded() }) else {
          throw DaemonError(
            "--model \(name): size needs two whole numbers in 1...\(EngineLimits.maxInputSide), got '\(kv[1])'")
        }
        overrides.size = (Int(v[0]), Int(v[1]))
      default:
        let order = kv[1].lowercased()
        guard order == "rgb" || order == "bgr" else {
          throw DaemonError("--model \(name): order must be rgb or bgr, got '\(kv[1])'")
        }
        overrides.channelOrder = order
      }
    }
  }
}
