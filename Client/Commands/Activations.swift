import ArgumentParser
import Foundation
import SimlayEngine
import SimlayImaging

/// `simlay activations`: run the model and save chosen layers as .npy.
struct Activations: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a model and write DIR/NAME.npy (float32, the tensor's ONNX shape) for each layer.",
    discussion: """
      Names containing '/' are written with '/' replaced by '_'. With --from-daemon, simlayd computes them \
      (its model --model NAME, default its default model; its preprocessing; its cache): the same files, for \
      the layers `simlay layers` lists for a daemon model.
      """)

  @OptionGroup var modelOptions: ModelOptions

  @OptionGroup var connection: ConnectionOptions

  @Flag(
    name: .customLong("from-daemon"),
    help: "Ask simlayd at --server (--model = the daemon's model name) instead of running the model here.")
  var fromDaemon = false

  @Option(name: .customLong("image"), help: "Image file (PNG or JPEG); repeat for a batch.")
  var images: [String] = []

  @Option(name: .customLong("input-npy"), help: "Already preprocessed float32 [N,3,H,W] input; skips preprocessing.")
  var inputNpy: String?

  @Option(name: .customLong("layer"), help: "Tensor to save (see `simlay layers`); repeatable.")
  var layers: [String] = []

  @Flag(name: .customLong("all-layers"), help: "Save every named tensor.")
  var allLayers = false

  @Option(help: "Output directory (created if missing).")
  var out: String

  @Option(help: "Threads for the forward pass.")
  var threads: Int = 1

  func validate() throws {
    guard images.isEmpty != (inputNpy == nil) else {
      throw ValidationError("give --image FILE... or --input-npy X.npy (one of them)")
    }
    guard !layers.isEmpty || allLayers else { throw ValidationError("name at least one --layer (or --all-layers)") }
    if fromDaemon, inputNpy != nil || allLayers {
      throw ValidationError(
        "--from-daemon takes --image files and named --layer tensors (not --input-npy, --all-layers)")
    }
  }

  func run() async throws {
    try await reportingErrors {
      if fromDaemon {
        try await DaemonActivations(
          connection: connection, model: modelOptions.model ?? "", images: images, layers: layers, out: out
        ).run()
        return
      }
      let model = try modelOptions.load()
      let input: Tensor
      if let inputNpy {
        input = try NPY.read(inputNpy)
        guard input.rank == 4 else { throw CLIError("\(inputNpy) has shape \(input.shape); expected [N,3,H,W]") }
      } else {
        let pipeline = try modelOptions.pipeline(for: model)
        let decoded = try images.map { try ImageDecoder.decode(contentsOf: $0, maxPixels: modelOptions.maxPixels) }
        input = pipeline.tensor(for: decoded)
      }
      var names = layers
      if allLayers { names = try model.layers(inputShape: input.shape).map(\.name) }
      let values = try model.run(input, keep: names, context: ExecutionContext(threads: threads))
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      for name in names {
        let file = (out as NSString).appendingPathComponent(name.replacingOccurrences(of: "/", with: "_") + ".npy")
        try NPY.write(values[name]!, to: file)
      }
    }
  }
}
