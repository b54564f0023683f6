import ArgumentParser
import Foundation
import SimlayClient
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

  @OptionGroup var preprocessing: PreprocessingOptions

  func run() async throws {
    try await reportingErrors {
      var request = Simlay_V1_LoadModelRequest()
      request.name = name
      request.path = path
      let given = try preprocessing.overrides()
      if let mean = given.mean { request.mean = mean }
      if let std = given.std { request.std = std }
      if let (h, w) = given.size { (request.inputHeight, request.inputWidth) = (Int32(h), Int32(w)) }
      if let channelOrder = given.channelOrder {
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
      print(
        "\(info.name)  input \(info.inputHeight)x\(info.inputWidth)  mean \(numbers(info.mean))  std \(numbers(info.std))  \(info.channelOrder)  (\(info.preprocessingSource))  \(info.layers.count) layers  \(info.path)"
      )
    }
  }
}
