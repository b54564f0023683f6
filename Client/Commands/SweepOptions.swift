import ArgumentParser
import Foundation
import SimlayClient
import SimlayProto

/// The options `sweep rotate` and `sweep scale` share, and the run they share.
struct SweepOptions: ParsableArguments {
  @Option(help: "The daemon's model name (default: the daemon's default model; see `simlay models`).")
  var model: String = ""

  @Option(help: "Layer whose cells are compared and tracked (see `simlay layers --model NAME`).")
  var layer: String

  @Option(
    help: ArgumentHelp(
      "0:Y,X, a cell of --layer's grid of the untransformed IMAGE (repeatable: one chart line per query).",
      discussion: "The 0 indexes the IMAGE list (a sweep has one IMAGE).", valueName: "query"),
    transform: QuerySpec.init(parsing:))
  var query: [QuerySpec] = []

  @Option(
    name: .customLong("label"), help: "A name per --query, in order, for the chart's legend (default q0, q1, ...).")
  var labels: [String] = []

  @Option(help: "Similarity measure.")
  var metric: MetricChoice = .cosine

  @Option(help: "Input pixels from outside the image: mean (0 after normalisation, a neutral grey) or black (pixel 0).")
  var fill: FillChoice = .mean

  @Option(
    help: ArgumentHelp(
      "Write transform,param,query,tracked_y,tracked_x,in_bounds,similarity rows (one per parameter and query) to this CSV.",
      discussion: "query is the --query's index (0, 1, ...); in_bounds is true or false; when the tracked location "
        + "left the grid, tracked_y/tracked_x are the (outside) cell it moved to and similarity is nan."))
  var csv: String?

  @Option(help: "Render the line chart (similarity at each query's tracked cell vs the parameter) into this PNG.")
  var chart: String?

  @Option(
    help: "Render the strip (the transformed inputs, the first query's map, tracked cells outlined) into this PNG.")
  var out: String?

  @Option(
    help: "Write everything (request, grid, tracked cells, similarities, maps [Q,H,W] per step) to this JSON file.")
  var json: String?

  @OptionGroup(title: "Rendering (--out)") var render: RenderFlags

  @Argument(help: "The image file (PNG or JPEG).")
  var image: String

  func validate() throws {
    guard !query.isEmpty else { throw ValidationError("give at least one --query 0:Y,X") }
    for q in query {
      try checkImageIndex(q.image, flag: "--query", count: 1)
      guard case .cell = q.position else { throw ValidationError("--query: a sweep tracks cells: use 0:Y,X") }
    }
    guard labels.count <= query.count else {
      throw ValidationError("--label given \(labels.count) times for \(query.count) --query")
    }
  }

  /// The cells of `--query`.
  var cells: [(y: Int32, x: Int32)] {
    query.compactMap { if case .cell(let y, let x) = $0.position { return (y, x) } else { return nil } }
  }

  /// Uploads IMAGE, runs the sweep and writes the outputs asked for (a table on stdout when none is).
  func run(connection: ConnectionOptions, transform: Simlay_V1_Transform, params: [Double]) async throws {
    let files = try ImageFiles([image])
    let options = try render.proto()
    try await connection.withDaemon { daemon in
      let info = try await daemon.upload(files, model: model)[0]
      var request = Simlay_V1_SweepRequest()
      request.model = model
      request.layer = layer
      request.imageID = info.id
      request.transform = transform
      request.params = params
      request.queries = cells.map { c in
        .with {
          $0.y = c.y
          $0.x = c.x
        }
      }
      request.queryLabels = labels
      request.metric = metric.proto
      request.fill = fill.proto
      request.chart = chart != nil
      if out != nil { request.render = options }
      let response = try await withProgress("computing \(params.count) transformed forward passes...") {
        try await daemon.sweep(request)
      }
      let result = try SweepResult(response, transform: transform, queries: cells, labels: labels)
      if let csv { try OutputFile.write(Data(result.csv.utf8), to: csv) }
      if let chart { try OutputFile.write(response.chartPng, to: chart) }
      if let out { try OutputFile.write(response.stripPng, to: out) }
      if let json {
        try JSONOutput.write(
          result.json(model: model, metric: metric.rawValue, fill: fill.rawValue, image: image, imageID: info.id),
          to: json)
      }
      if csv == nil, chart == nil, out == nil, json == nil { result.table.forEach { print($0) } }
    }
  }
}

/// `--fill`.
enum FillChoice: String, CaseIterable, ExpressibleByArgument {
  case mean, black

  var proto: Simlay_V1_Fill { self == .mean ? .mean : .black }
}
