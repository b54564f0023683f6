import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay add`: uploads images and prints their ids, for the live page's `?images=` and for scripts.
struct Add: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Add images to the daemon and print their ids (one per line, or comma-separated with --join).",
    discussion: """
      Ids are content-addressed: the same file added again (by anyone) gets the same id. Open the live page \
      with them: simlayd --http 127.0.0.1:PORT, then http://127.0.0.1:PORT/?images=$(simlay add --join \
      a.jpg b.jpg)&layer=blocks.10
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model whose preprocessing the images get (default: the daemon's default model).")
  var model: String = ""

  @Flag(help: "Print the ids on one line, separated by commas (as ?images= takes them).")
  var join = false

  @Flag(help: "Print id, width, height and name per image, tab-separated.")
  var long = false

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard !(join && long) else { throw ValidationError("--join and --long do not go together") }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      let infos = try await connection.withDaemon { try await $0.upload(files, model: model) }
      if join {
        print(infos.map(\.id).joined(separator: ","))
      } else if long {
        for info in infos { print("\(info.id)\t\(info.width)\t\(info.height)\t\(info.name)") }
      } else {
        for info in infos { print(info.id) }
      }
    }
  }
}
