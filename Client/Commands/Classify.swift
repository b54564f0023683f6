import ArgumentParser
import Foundation
import SimlayCore
import SimlayEngine
import SimlayImaging

/// `simlay classify`: top-k classes per image.
struct Classify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Classify images: the top classes of each.")

  @OptionGroup var modelOptions: ModelOptions

  @Option(name: .customLong("image"), parsing: .upToNextOption, help: "Image files.")
  var images: [String]

  @Option(help: "Labels file, one class name a line (default: the model's own labels).")
  var labels: String?

  @Option(help: "How many classes to show per image.")
  var top: Int = 5

  @Option(help: "Output tensor holding the class scores (default: the model's first output).")
  var output: String?

  func run() async throws {
    try await reportingErrors {
      let model = try modelOptions.load()
      let pipeline = try modelOptions.pipeline(for: model)
      let decoded = try images.map { try ImageDecoder.decode(contentsOf: $0, maxPixels: modelOptions.maxPixels) }
      guard let outputName = output ?? model.outputNames.first else { throw CLIError("the model has no output") }
      let result = try model.run(pipeline.tensor(for: decoded), keep: [outputName])
      let logits = result[outputName]!
      let classifier = try Classifier(model: model, labelsFile: labels, classes: logits.count / max(decoded.count, 1))
      for (file, predictions) in zip(images, classifier.top(logits, max(top, 1))) {
        print(file)
        for p in predictions {
          print(String(format: "  %.4f  %4d  %@", p.probability, p.index, p.label))
        }
      }
    }
  }
}
