import Foundation
import SimlayEngine

/// Finds the default model, `models/efficientnet-lite0.onnx`, which scripts/convert_efficientnet_lite0.py
/// writes into the repository.
public enum ModelLocator {
  /// The default model's path relative to the repository root.
  public static let defaultRelativePath = "models/efficientnet-lite0.onnx"

  /// `$SIMLAY_MODEL` if set; else `models/efficientnet-lite0.onnx` under the working directory or under
  /// any parent of the executable's directory (so `.build/release/simlay` finds the repository's copy).
  public static func defaultModelPath() throws -> String {
    if let env = ProcessInfo.processInfo.environment["SIMLAY_MODEL"], !env.isEmpty { return env }
    var candidates = [FileManager.default.currentDirectoryPath]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
      candidates.append(dir.path)
      dir = dir.deletingLastPathComponent()
    }
    for base in candidates {
      let path = (base as NSString).appendingPathComponent(defaultRelativePath)
      if FileManager.default.fileExists(atPath: path) { return path }
    }
    throw EngineError(
      .io,
      "no model named and the default model \(defaultRelativePath) was not found; create it with scripts/convert_efficientnet_lite0.py or pass --model"
    )
  }
}
