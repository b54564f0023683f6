import ArgumentParser
import Foundation
import SimlayProto

/// `simlay load-model`: make simlayd load an ONNX file.
struct LoadModel: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "load-model",
    abstract: "Load an ONNX model into the daemon under a name (no-op if already loaded).",
    discussion: "PATH is read by the daemon; a relative PATH that exists here is sent as an absolute path.")

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "Name to refer to the model by (--model NAME in other commands).")
  var name: String

  @Option(help: "Path of the .onnx file on the daemon's machine.")
  var path: String

  @Option(help: "Per-channel mean R,G,B in 0..255 units, for a model without simlay.* metadata (default: its metadata, else ImageNet's).")
  var mean: String?

  @Option(help: "Per-channel std R,G,B in 0..255 units (default: its metadata, else ImageNet's).")
  var std: String?

  @Option(name: .customLong("input-size"), help: "Input height,width images are squashed to (needed when the file's is symbolic).")
  var inputSize: String?

  @Option(name: .customLong("channel-order"), help: "rgb, or bgr for Caffe models (default: its metadata, else rgb).")
  var channelOrder: String?

  func run() async throws {
    try await reportingErrors {
      var request = Simlay_V1_LoadModelRequest()
      request.name = name
      request.path = path
      if let mean { request.mean = try ModelOptions.numbers(mean, count: 3, name: "--mean") }
      if let std { request.std = try ModelOptions.numbers(std, count: 3, name: "--std") }
      if let inputSize {
        let hw = try ModelOptions.numbers(inputSize, count: 2, name: "--input-size")
        guard hw.allSatisfy({ $0 >= 1 && $0 <= 1e6 && $0 == $0.rounded() }) else {
          throw CLIError("--input-size needs two positive whole numbers H,W, got '\(inputSize)'")
        }
        (request.inputHeight, request.inputWidth) = (Int32(hw[0]), Int32(hw[1]))
      }
      if let channelOrder {
        guard ["rgb", "bgr"].contains(channelOrder.lowercased()) else {
          throw CLIError("--channel-order must be rgb or bgr, got '\(channelOrder)'")
        }
        request.channelOrder = channelOrder.lowercased()
      }
      if !path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) {
        request.path = URL(fileURLWithPath: path).standardizedFileURL.path
      }
      let info = try await connection.withDaemon { try await $0.loadModel(request) }
      let numbers = { (v: [Float]) in v.map { String(format: "%g", $0) }.joined(separator: ",") }
      print("\(info.name)  input \(info.inputHeight)x\(info.inputWidth)  mean \(numbers(info.mean))  std \(numbers(info.std))  \(info.channelOrder)  (\(info.preprocessingSource))  \(info.layers.count) layers  \(info.path)")
    }
  }
}
