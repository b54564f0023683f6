import ArgumentParser

/// `simlay sweep` (in progress).
struct Sweep: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "sweep", abstract: "(in progress)")
}
