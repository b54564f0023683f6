import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay pca`: principal components of one layer's cell vectors, fitted jointly over the images.
struct PCA: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pca",
    abstract: "Principal components of one layer over IMAGEs: each cell's scores, explained variance, an RGB view.",
    discussion: """
      Every cell of every IMAGE is one row (image-major, then y, then x); the components are fitted to \
      all of them together, so a colour means the same in every image. --npy-dir DIR writes \
      components.npy (float32 [N,H,W,K], the scores), explained_variance.npy (float64 [K], the fraction of \
      the total variance), axes.npy (float32 [K,C]) and foreground.npy (float32 [N,H,W], 1 = foreground). \
      --out draws the photos with the first three components as RGB under them. Without --npy-dir or \
      --out, prints the explained variance.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model).")
  var model: String = ""

  @Option(help: "Layer whose cell vectors are analysed (see `simlay layers`).")
  var layer: String

  @Option(help: "Components to fit (the daemon allows 1 to 16, at most the layer's channels).")
  var components: Int = 3

  @Option(
    name: .customLong("foreground-threshold"),
    help: "Cells whose first-component score is at most T are background: black in --out, 0 in foreground.npy.")
  var foregroundThreshold: Float?

  @Option(help: "Draw the photos and their components as RGB into this PNG.")
  var out: String?

  @Option(
    name: .customLong("npy-dir"), help: "Write components.npy, explained_variance.npy, axes.npy, foreground.npy here.")
  var npyDir: String?

  @Option(name: .customLong("tile-size"), help: "Longest side of each tile in --out, in pixels (default 256).")
  var tileSize: Int?

  @Flag(name: .customLong("no-titles"), help: "Omit the titles in --out.")
  var noTitles = false

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      try await connection.withDaemon { daemon in
        let ids = try await daemon.upload(files, model: model).map(\.id)
        let request = Simlay_V1_PcaRequest.with {
          $0.model = model
          $0.layer = layer
          $0.imageIds = ids
          $0.components = Int32(clamping: components)
          if let foregroundThreshold { $0.foregroundThreshold = foregroundThreshold }
          if out != nil {
            $0.render = .with { r in
              r.tileSize = Int32(clamping: tileSize ?? 0)
              r.noTitles = noTitles
            }
          }
        }
        let response = try await daemon.pca(request)
        if let npyDir {
          let dir = URL(fileURLWithPath: npyDir)
          try OutputFile.writeNPY(response.components, to: dir.appendingPathComponent("components.npy").path)
          try OutputFile.writeNPY(response.axes, to: dir.appendingPathComponent("axes.npy").path)
          try OutputFile.writeNPY(response.foreground, to: dir.appendingPathComponent("foreground.npy").path)
          var payload = Data(capacity: response.explainedVariance.count * 8)
          for v in response.explainedVariance {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) }
          }
          try OutputFile.writeNPY(
            descr: "<f8", shape: [Int64(response.explainedVariance.count)], payload: payload,
            to: dir.appendingPathComponent("explained_variance.npy").path)
        }
        if let out { try OutputFile.write(response.png, to: out) }
        if npyDir == nil, out == nil {
          print(
            "\(response.layer) \(response.height)x\(response.width), \(response.channels) channels, \(ids.count) images"
          )
          for (i, v) in response.explainedVariance.enumerated() {
            print(String(format: "PC%d explains %.2f%% of the variance", i + 1, v * 100))
          }
        }
      }
    }
  }
}
