import ArgumentParser

/// `simlay`: the command-line client. The in-process commands (layers, activations, classify, bench
/// forward) run models directly; later commands talk to the `simlayd` daemon.
@main
struct Simlay: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simlay",
    abstract: "See what a convolutional network considers similar: layers, activations, similarity overlays.",
    subcommands: [Layers.self, Activations.self, Classify.self, Bench.self]
  )
}
