import ArgumentParser

/// `simlay export-html` (in progress).
struct ExportHTML: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "export-html", abstract: "(in progress)")
}
