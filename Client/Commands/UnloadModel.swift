import ArgumentParser
import SimlayClient

/// `simlay unload-model NAME`: make simlayd give up a model name.
struct UnloadModel: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unload-model",
    abstract:
      "Unload a model from the daemon: its cached activations are dropped, its weights freed unless another name shares the file.",
    discussion: "The default model cannot be unloaded; an unknown NAME is an error (exit 1).")

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "The model's name (as `simlay models` lists it).")
  var name: String

  func run() async throws {
    try await reportingErrors {
      let reply = try await connection.withDaemon { try await $0.unloadModel(name: name) }
      let weights =
        reply.weightsFreed ? "weights freed (\(reply.weightBytes) bytes)" : "weights kept (shared with another name)"
      print(
        "\(reply.name)  unloaded  \(weights)  \(reply.cacheEntriesFreed) cached activations dropped (\(reply.cacheBytesFreed) bytes)"
      )
    }
  }
}
