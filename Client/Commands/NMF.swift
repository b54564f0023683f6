import ArgumentParser

/// `simlay nmf` (in progress).
struct NMF: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "nmf", abstract: "(in progress)")
}
