import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// `simlay similarity`: how similar every cell of N images is to one query, on one layer (via simlayd).
struct Similarity: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Similarity of one query (cell, region or pixel of one image) to every cell of each IMAGE, on one layer.",
    discussion: """
      The images are uploaded to simlayd (AddImages), then one Similarity call computes the maps (and, with \
      --out, renders them in the same call). Without --npy, --out, --json or --csv, prints one line per image: \
      min, max and the most similar cell (Y,X), or with --top the matches. --top K answers the K most similar \
      cells over all images (or per image, --top-per-image; K at most 1024), in decreasing value, ties by the \
      lower image, then y, then x; --exclude-radius R leaves out the cells of the query's own image within \
      Chebyshev distance R (max(|dy|, |dx|) <= R cells) of the query's cells. With --out the matches are \
      outlined in cyan (--no-top-boxes: not). A warning on stderr says when the query vector is all zero.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The daemon's model name (default: the daemon's default model; see `simlay models`).")
  var model: String = ""

  @Option(help: "Layer whose cells are compared (see `simlay layers --model NAME`).")
  var layer: String

  @Option(
    help: ArgumentHelp(
      "I:Y,X (a cell of --layer), I:Y0,X0-Y1,X1 (the mean of a region, end exclusive) or I@PX,PY (the cell under a pixel).",
      discussion: "I indexes the IMAGE list, from 0.", valueName: "query"),
    transform: QuerySpec.init(parsing:))
  var query: QuerySpec

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(help: "Write the maps to this .npy: float32 [N,H,W], one map per IMAGE, in order.")
  var npy: String?

  @Option(help: "Render the overlays (one tile per IMAGE) into this PNG.")
  var out: String?

  @Option(help: "Write the maps and their metadata (and with --top, \"top\") to this JSON file.")
  var json: String?

  @Option(help: "Answer the K most similar cells (1...1024).")
  var top: Int?

  @Option(
    name: .customLong("exclude-radius"),
    help: "With --top: leave out cells within R cells (Chebyshev) of the query, on its own image.")
  var excludeRadius: Int?

  @Flag(name: .customLong("top-per-image"), help: "With --top: the K best cells of each image.")
  var topPerImage = false

  @Flag(name: .customLong("no-top-boxes"), help: "With --top and --out: do not outline the matches.")
  var noTopBoxes = false

  @Option(help: "With --top: write the matches to this CSV (rank,image,name,y,x,value).")
  var csv: String?

  @OptionGroup(title: "Rendering (--out)") var render: RenderFlags

  @Argument(help: "Image files (PNG or JPEG).")
  var images: [String]

  func validate() throws {
    guard !images.isEmpty else { throw ValidationError("give at least one IMAGE") }
    try checkImageIndex(query.image, flag: "--query", count: images.count)
    if top == nil, excludeRadius != nil || topPerImage || csv != nil || noTopBoxes {
      throw ValidationError("--exclude-radius, --top-per-image, --no-top-boxes and --csv need --top K")
    }
  }

  func run() async throws {
    try await reportingErrors {
      let files = try ImageFiles(images)
      let options = try render.proto()
      try await connection.withDaemon { daemon in
        let infos = try await daemon.upload(files, model: model)
        var request = Simlay_V1_SimilarityRequest()
        request.model = model
        request.layer = layer
        request.query = query.proto(imageID: infos[query.image].id)
        request.targetIds = infos.map(\.id)
        request.metric = metric.proto
        if let top { request.topK = Int32(clamping: top) }
        if let excludeRadius { request.excludeRadius = Int32(clamping: excludeRadius) }
        request.topPerTarget = topPerImage
        if out != nil {
          request.render = options
          if noTopBoxes { request.render.drawTop = false }
        }
        let response = try await withProgress("computing activations...") { try await daemon.similarity(request) }
        Warnings.print(response.warnings)
        let maps = try MapStack(response.maps)
        if let csv { try OutputFile.write(Data(TopCSV.text(response.top, names: files.names).utf8), to: csv) }
        if let npy { try OutputFile.writeNPY(response.maps, to: npy) }
        if let json { try JSONOutput.write(document(response, maps: maps, infos: infos), to: json) }
        if let out { try OutputFile.write(response.rendered.png, to: out) }
        if npy == nil, out == nil, json == nil, csv == nil {
          if top != nil {
            TopCSV.lines(response.top, names: files.names).forEach { print($0) }
          } else {
            maps.summaryLines(names: files.names).forEach { print($0) }
          }
        }
      }
    }
  }

  /// The `--json` document: the request's essentials, the answer's query cells and the maps.
  private func document(_ response: Simlay_V1_SimilarityResponse, maps: MapStack, infos: [Simlay_V1_ImageInfo])
    -> SimilarityDocument
  {
    var q = SimilarityDocument.Query(image: query.image, text: queryText)
    if case .pixel(let px, let py) = query.position { (q.px, q.py) = (px, py) }
    var doc = SimilarityDocument(
      model: model, layer: layer, metric: metric.rawValue, images: images, infos: infos, query: q, response: response,
      maps: maps)
    if top != nil { doc.top = response.top.map(MatchJSON.init) }
    if !response.warnings.isEmpty { doc.warnings = response.warnings }
    return doc
  }

  /// `--query` as given back in canonical form.
  private var queryText: String {
    switch query.position {
    case .cell(let y, let x): return "\(query.image):\(y),\(x)"
    case .region(let y0, let x0, let y1, let x1): return "\(query.image):\(y0),\(x0)-\(y1),\(x1)"
    case .pixel(let px, let py): return "\(query.image)@\(px),\(py)"
    }
  }
}
