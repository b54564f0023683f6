import ArgumentParser
import Foundation
import SimlayBenchmarks
import SimlayClient

extension Bench {
  /// `simlay bench query`: load-test simlayd (see `LoadTest` in SimlayBenchmarks).
  struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Load-test the daemon: C clients send Similarity queries at random cells for S seconds; prints one JSON line.",
      discussion: """
        The images are uploaded once and one warm-up query caches their activations. Each client has its \
        own connection and makes one untimed query before the clock starts; then it queries a random cell \
        of a random IMAGE (targets: all IMAGEs) until S seconds have passed, one query at a time. By default \
        each client sends its queries on one SimilarityStream, as a hover client does; --unary makes every \
        query its own Similarity call (a new HTTP/2 stream each). The JSON line's "mode" says which.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The daemon's model name (default: the daemon's default model).")
    var model: String = ""

    @Option(help: "Layer to query.")
    var layer: String

    @Option(help: "Concurrent clients, one connection each.")
    var clients: Int = 1

    @Option(help: "How long to run, in seconds.")
    var seconds: Double = 10

    @Option(help: "Similarity measure.")
    var metric: MetricChoice = .cosine

    @Flag(help: "How each client sends its queries.")
    var mode: Mode = .stream

    /// The RPC a client's queries go through.
    enum Mode: String, EnumerableFlag {
      case stream, unary

      static func help(for value: Mode) -> ArgumentHelp? {
        switch value {
        case .stream: "One SimilarityStream per client: the interactive hover path."
        case .unary: "One unary Similarity call per query."
        }
      }
    }

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func validate() throws {
      guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
      guard (1...1024).contains(clients) else { throw ValidationError("--clients must be in 1...1024, got \(clients)") }
      guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() async throws {
      try await reportingErrors {
        let endpoint = try connection.endpoint()
        let test = LoadTest(
          model: model, layer: layer, clients: clients, seconds: seconds, metric: metric.proto,
          mode: mode == .stream ? .stream : .unary)
        let report = try await test.run(endpoint, images: try ImageFiles(images)) { note("simlay: \($0)") }
        if report.errors > 0, let last = report.lastError {
          note("simlay: \(report.errors) queries failed; last: \(last)")
        }
        print(try JSONOutput.line(report))
        if report.lostDaemon {
          throw CLIError("UNAVAILABLE: lost simlayd at \(endpoint.address) during the run")
        }
      }
    }
  }
}
