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

  func run() async throws {
    try await reportingErrors {
      var request = Simlay_V1_LoadModelRequest()
      request.name = name
      request.path = path
      if !path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) {
        request.path = URL(fileURLWithPath: path).standardizedFileURL.path
      }
      let info = try await connection.withDaemon { try await $0.loadModel(request) }
      print("\(info.name)  input \(info.inputHeight)x\(info.inputWidth)  \(info.layers.count) layers  \(info.path)")
    }
  }
}
