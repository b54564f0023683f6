import ArgumentParser
import SimlayCore

/// How images are prepared for a model without simlay.* metadata: shared by the in-process commands
/// (through `ModelOptions`) and `load-model`, which sends the same flags to the daemon.
struct PreprocessingOptions: ParsableArguments {
  @Option(
    name: .customLong("input-size"),
    help: "Input height,width images are squashed to, for models whose file does not fix it.")
  var inputSize: String?

  @Option(help: "Per-channel mean R,G,B in 0..255 units (default: from the model's metadata, else ImageNet's).")
  var mean: String?

  @Option(help: "Per-channel std R,G,B in 0..255 units (default: from the model's metadata, else ImageNet's).")
  var std: String?

  @Option(name: .customLong("channel-order"), help: "rgb, or bgr for Caffe models (default: from metadata, else rgb).")
  var channelOrder: String?

  /// The flags as pipeline overrides (nil where not given); a malformed list is a CLIError naming the flag.
  func overrides() throws -> InputPipeline.Overrides {
    InputPipeline.Overrides(
      size: try inputSize.map { s in
        let v = try Self.numbers(s, count: 2, name: "--input-size")
        // Checked before Int(_:), which traps on values out of its range.
        guard v.allSatisfy({ $0 >= 1 && $0 <= 1e6 && $0 == $0.rounded() }) else {
          throw CLIError("--input-size needs two positive whole numbers H,W, got '\(s)'")
        }
        return (Int(v[0]), Int(v[1]))
      },
      mean: try mean.map { try Self.numbers($0, count: 3, name: "--mean") },
      std: try std.map { try Self.numbers($0, count: 3, name: "--std") },
      channelOrder: channelOrder)
  }

  /// `count` comma-separated numbers, or a CLIError naming the flag.
  static func numbers(_ text: String, count: Int, name: String) throws -> [Float] {
    let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == count, !text.split(separator: ",").isEmpty else {
      throw CLIError("\(name) needs \(count) comma-separated numbers, got '\(text)'")
    }
    return values
  }
}
