import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay similarity-batch`: many queries against the same images in one call, maps [Q, N, H, W].
struct SimilarityBatch: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "similarity-batch",
    abstract: "Maps of many queries (cells, regions, pixels, or every cell of one IMAGE) in one call: [Q,N,H,W].",
    discussion: """
      The --query options come first, in order, then with --all-cells I every cell of image I's grid, \
      row-major. The daemon takes at most --max-batch-queries queries per call (4096 by default; \
      `simlay stats` shows the limit). --npy writes float32 [Q,N,H,W]; without it, prints one line per query.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model).")
  var model: String = ""

  @Option(help: "Layer whose cells are compared (see `simlay layers`).")
  var layer: String

  @Option(
    help: ArgumentHelp("I:Y,X (a cell), I:Y0,X0-Y1,X1 (a region) or I@PX,PY (a pixel) of IMAGE I; repeatable."),
    transform: QuerySpec.init(parsing:))
  var query: [QuerySpec] = []

  @Option(name: .customLong("all-cells"), help: "Every cell of IMAGE I (from 0) is a query, after the --query ones.")
  var allCells: Int?

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(help: "Write the maps to this .npy: float32 [Q,N,H,W].")
  var npy: String?

  @Argument(help: "Image files (PNG or JPEG): the targets, and the images the queries point into.")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    guard !query.isEmpty || allCells != nil else { throw ValidationError("give --query (repeatable) or --all-cells I") }
    for q in query { try checkImageIndex(q.image, flag: "--query", count: images.count) }
    if let allCells { try checkImageIndex(allCells, flag: "--all-cells", count: images.count) }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      try await connection.withDaemon { daemon in
        let ids = try await daemon.upload(files, model: model).map(\.id)
        let request = Simlay_V1_SimilarityBatchRequest.with {
          $0.model = model
          $0.layer = layer
          $0.queries = query.map { $0.proto(imageID: ids[$0.image]) }
          if let allCells { $0.allCellsOf = ids[allCells] }
          $0.targetIds = ids
          $0.metric = metric.proto
        }
        let response = try await withProgress("computing...") { try await daemon.similarityBatch(request) }
        if let npy { try OutputFile.writeNPY(response.maps, to: npy) }
        if npy == nil {
          let shape = response.maps.shape.map(String.init).joined(separator: "x")
          print("\(response.layer): \(response.queryCells.count) queries, maps \(shape)")
          for (i, c) in response.queryCells.enumerated() {
            print("query \(i): cells (\(c.y0),\(c.x0))-(\(c.y1),\(c.x1))")
          }
        }
      }
    }
  }
}
