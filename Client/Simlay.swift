import ArgumentParser
import Foundation

/// `simlay`: the command-line client. The in-process commands (layers of a model file, activations,
/// classify, bench forward) run models directly; similarity, sync, models, stats, load-model and bench query
/// talk to the `simlayd` daemon, chosen with the root's `--server` (and `--token-file`).
@main
struct Simlay: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simlay",
    abstract: "See what a convolutional network considers similar: layers, activations, similarity overlays.",
    discussion: """
      Daemon commands connect to simlayd at --server (default: its default socket); give --server and \
      --token-file before the subcommand (after it works too): simlay --server unix:/tmp/s.sock similarity ...
      """,
    subcommands: [Layers.self, Bench.self],
    groupedSubcommands: [
      CommandGroup(
        name: "Daemon (simlayd)",
        subcommands: [
          Add.self, Similarity.self, SimilarityBatch.self, Sync.self, Compare.self, NMF.self, PCA.self, Sweep.self,
          ExportHTML.self, Models.self,
          Stats.self, LoadModel.self, UnloadModel.self,
        ]),
      CommandGroup(name: "In-process", subcommands: [Activations.self, Classify.self]),
    ]
  )

  /// Parsed here so it may precede the subcommand; subcommands read it through their own `@OptionGroup`.
  @OptionGroup var connection: ConnectionOptions

  /// Like `AsyncParsableCommand.main()`, except that a usage error (unknown flag, bad value, missing
  /// argument, failed validation) prints one line, `simlay: error: <message>`, and exits with status 1,
  /// as runtime failures do (see `reportingErrors`). Help and `--version` behave as usual.
  static func main() async {
    do {
      var command = try await asyncParseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      if error is ExitCode || exitCode(for: error).isSuccess { exit(withError: error) }
      let lines = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      let line = lines.first { !$0.isEmpty } ?? "\(error)"
      FileHandle.standardError.write(Data("simlay: error: \(line)\n".utf8))
      exit(withError: ExitCode(1))
    }
  }
}
