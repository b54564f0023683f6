import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay sync`: one point of one image, several layers: what each layer considers similar (via simlayd).
struct Sync: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Similarity maps of one pixel of one image on several layers at once (layer sync).",
    discussion: """
      The point is mapped to each layer's cell under it; each layer gives one map per IMAGE. Without \
      --npy-dir, --out or --json, prints each layer's cell and one line per image.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model).")
  var model: String = ""

  @Option(help: "Comma-separated layers, e.g. blocks.2,blocks.6,blocks.10 (repeatable).")
  var layers: [String]

  @Option(
    help: ArgumentHelp(
      "I@PX,PY: image I (from 0) of the IMAGE list and a pixel of it (x right, y down).", valueName: "point"),
    transform: PointSpec.init(parsing:))
  var point: PointSpec

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(
    name: .customLong("npy-dir"), help: "Write DIR/<layer>.npy (float32 [N,H,W]) per layer; '/' in names becomes '_'.")
  var npyDir: String?

  @Option(help: "Render the overlay grid (one row per layer, one column per IMAGE) into this PNG.")
  var out: String?

  @Option(help: "Write the maps and their metadata to this JSON file.")
  var json: String?

  @OptionGroup(title: "Rendering (--out)") var render: RenderFlags

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  /// `--layers`, split at commas.
  var layerNames: [String] {
    layers.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard !layerNames.isEmpty else { throw ValidationError("--layers needs at least one layer name") }
    try checkImageIndex(point.image, flag: "--point", count: images.count)
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      let options = try render.proto()
      try await connection.withDaemon { daemon in
        let infos = try await daemon.upload(files, model: model)
        var request = Simlay_V1_LayerSyncRequest()
        request.model = model
        request.layers = layerNames
        request.imageID = infos[point.image].id
        request.point = point.pixel
        request.targetIds = infos.map(\.id)
        request.metric = metric.proto
        if out != nil { request.render = options }
        let response = try await withProgress("computing activations...") { try await daemon.layerSync(request) }
        Warnings.print(response.warnings)
        let maps = try response.layers.map { try MapStack($0.maps) }
        if let npyDir {
          for entry in response.layers {
            let path = (npyDir as NSString).appendingPathComponent(OutputFile.layerFileName(entry.layer))
            try OutputFile.writeNPY(entry.maps, to: path)
          }
        }
        if let json { try JSONOutput.write(document(response, maps: maps, infos: infos), to: json) }
        if let out { try OutputFile.write(response.rendered.png, to: out) }
        if npyDir == nil, out == nil, json == nil {
          for (entry, stack) in zip(response.layers, maps) {
            print(
              "\(entry.layer)  cell=\(entry.cell.y),\(entry.cell.x)  [\(stack.shape.map(String.init).joined(separator: ","))]"
            )
            stack.summaryLines(names: files.names, indent: "  ").forEach { print($0) }
          }
        }
      }
    }
  }

  /// The `--json` document: the point, the images and, per layer, its cell and maps.
  private func document(_ response: Simlay_V1_LayerSyncResponse, maps: [MapStack], infos: [Simlay_V1_ImageInfo])
    -> SyncDocument
  {
    SyncDocument(
      model: model, metric: metric.rawValue, images: images, infos: infos,
      point: .init(image: point.image, px: point.px, py: point.py), response: response, maps: maps)
  }
}
