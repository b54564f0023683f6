import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay models`: the models simlayd holds.
struct Models: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the daemon's models: name, input size, layer count, file; '*' marks the default.")

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "Print the ListModels response as JSON.")
  var json = false

  func run() async throws {
    try await reportingErrors {
      let response = try await connection.withDaemon { try await $0.listModels() }
      if json {
        print(try response.jsonString())
        return
      }
      let width = response.models.map(\.name.count).max() ?? 0
      for model in response.models {
        let mark = model.name == response.defaultModel ? "*" : " "
        let name = model.name.padding(toLength: width, withPad: " ", startingAt: 0)
        print(
          "\(mark) \(name)  input \(model.inputHeight)x\(model.inputWidth)  \(model.layers.count) layers  \(model.path)"
        )
      }
    }
  }
}
