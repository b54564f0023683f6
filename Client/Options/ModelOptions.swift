import ArgumentParser
import SimlayCore
import SimlayEngine

/// The model and how images are prepared for it; shared by every in-process command.
struct ModelOptions: ParsableArguments {
  @Option(name: .long, help: "ONNX model file (default: models/efficientnet-lite0.onnx, made by scripts/convert_efficientnet_lite0.py).")
  var model: String?

  @Option(name: .customLong("input-size"), help: "Input height,width, for models whose file does not fix it.")
  var inputSize: String?

  @Option(help: "Per-channel mean R,G,B in 0..255 units (default: from the model's metadata, else ImageNet's).")
  var mean: String?

  @Option(help: "Per-channel std R,G,B in 0..255 units (default: from the model's metadata, else ImageNet's).")
  var std: String?

  @Option(name: .customLong("channel-order"), help: "rgb, or bgr for Caffe models (default: from metadata, else rgb).")
  var channelOrder: String?

  @Option(name: .customLong("max-pixels"), help: "Refuse images with more pixels than this (decompression bombs).")
  var maxPixels: Int = 50_000_000

  /// The model file to load.
  func modelPath() throws -> String {
    try model ?? ModelLocator.defaultModelPath()
  }

  /// Loads the model.
  func load() throws -> Model {
    try Model(contentsOf: modelPath())
  }

  /// The pipeline for `model` with this command line's overrides.
  func pipeline(for model: Model) throws -> InputPipeline {
    try InputPipeline.forModel(model, overrides: .init(
      size: try inputSize.map { s in
        let v = try Self.numbers(s, count: 2, name: "--input-size").map { Int($0) }
        return (v[0], v[1])
      },
      mean: try mean.map { try Self.numbers($0, count: 3, name: "--mean") },
      std: try std.map { try Self.numbers($0, count: 3, name: "--std") },
      channelOrder: channelOrder))
  }

  static func numbers(_ text: String, count: Int, name: String) throws -> [Float] {
    let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == count, !text.split(separator: ",").isEmpty else {
      throw CLIError("\(name) needs \(count) comma-separated numbers, got '\(text)'")
    }
    return values
  }
}
