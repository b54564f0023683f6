import ArgumentParser
import SimlayCore
import SimlayEngine

/// The model and how images are prepared for it; shared by every in-process command.
struct ModelOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "ONNX model file (default: models/efficientnet-lite0.onnx, made by scripts/convert_efficientnet_lite0.py).")
  var model: String?

  @OptionGroup var preprocessing: PreprocessingOptions

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
    try InputPipeline.forModel(model, overrides: preprocessing.overrides())
  }

  static func numbers(_ text: String, count: Int, name: String) throws -> [Float] {
    try PreprocessingOptions.numbers(text, count: count, name: name)
  }
}
