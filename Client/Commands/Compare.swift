import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay compare`: several models side by side on the same photos and one point.
struct Compare: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Similarity maps of one pixel on several models, each at its own layer: one row per model.",
    discussion: """
      Each --model NAME:LAYER is one row (NAME as `simlay models` lists it; the first ':' splits it). The \
      IMAGEs are added for every model (their ids depend on its preprocessing) and the point is mapped \
      to the cell under it on each row's grid. --npy-dir DIR writes DIR/<NAME>__<LAYER>.npy (float32 \
      [N,H,W]) per row. Without --out or --npy-dir, prints each row's cell and one line per image.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(
    name: .customLong("model"),
    help: ArgumentHelp("NAME:LAYER, one row per model (repeatable, at least one).", valueName: "model:layer"))
  var rows: [String]

  @Option(
    help: ArgumentHelp(
      "I@PX,PY: image I (from 0) of the IMAGE list and a pixel of it (x right, y down).", valueName: "point"),
    transform: PointSpec.init(parsing:))
  var point: PointSpec

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(name: .customLong("npy-dir"), help: "Write DIR/<NAME>__<LAYER>.npy (float32 [N,H,W]) per row.")
  var npyDir: String?

  @Option(help: "Render the grid (one row per model, one column per IMAGE) into this PNG.")
  var out: String?

  @OptionGroup(title: "Rendering (--out)") var render: RenderFlags

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  /// The rows as (model, layer).
  var pairs: [(model: String, layer: String)] {
    get throws {
      try rows.map { spec in
        guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex
        else { throw ValidationError("--model \(spec): expected NAME:LAYER, e.g. efficientnet-lite0:blocks.10") }
        return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
      }
    }
  }

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard !rows.isEmpty else { throw ValidationError("give at least one --model NAME:LAYER") }
    _ = try pairs
    try checkImageIndex(point.image, flag: "--point", count: images.count)
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      let options = try render.proto()
      let pairs = try pairs
      try await connection.withDaemon { daemon in
        var ids: [String: [String]] = [:]
        for name in Set(pairs.map(\.model)) { ids[name] = try await daemon.upload(files, model: name).map(\.id) }
        let request = Simlay_V1_CompareModelsRequest.with {
          $0.rows = pairs.map { p in
            Simlay_V1_ModelRow.with {
              $0.model = p.model
              $0.layer = p.layer
              $0.imageIds = ids[p.model] ?? []
            }
          }
          $0.pointImage = Int32(point.image)
          $0.point = point.pixel
          $0.metric = metric.proto
          if out != nil { $0.render = options }
        }
        let response = try await withProgress("computing activations...") { try await daemon.compareModels(request) }
        if let npyDir {
          for row in response.rows {
            let name = OutputFile.layerFileName("\(row.model)__\(row.maps.layer)")
            try OutputFile.writeNPY(row.maps.maps, to: (npyDir as NSString).appendingPathComponent(name))
          }
        }
        if let out { try OutputFile.write(response.rendered.png, to: out) }
        if npyDir == nil, out == nil {
          for row in response.rows {
            print("\(row.model) \(row.maps.layer): cell (\(row.maps.cell.y), \(row.maps.cell.x))")
            try MapStack(row.maps.maps).summaryLines(names: files.names, indent: "  ").forEach { print($0) }
          }
        }
      }
    }
  }
}
