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
      "A query of the untransformed IMAGE: I:Y,X (a cell of --layer's grid), I:Y0,X0-Y1,X1 (a region, end exclusive: the mean of its cells) or I@PX,PY (a pixel of the photo); repeatable, one chart line each.",
      discussion: "I indexes the IMAGE list: each IMAGE is swept with its own queries (every IMAGE needs one). "
        + "The daemon tracks at most --max-sweep-queries queries per IMAGE (64 by default; Stats.limits).",
      valueName: "query"),
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
    name: .customLong("transform-space"),
    help: ArgumentHelp(
      "What the transform acts on: input (the model input, the photo squashed to a square) or photo (the original photo, then squashed).",
      discussion:
        "For a non-square photo only photo makes a sweep a real rotation of the photo; tracking follows the same geometry."
    ))
  var transformSpace: SpaceChoice = .input

  @Option(
    name: .customLong("track-radius"),
    help: ArgumentHelp(
      "Also report the most similar cell within Chebyshev distance R of each tracked cell (best_y, best_x, best_similarity).",
      valueName: "R"))
  var trackRadius: Int?

  @Option(
    help: ArgumentHelp(
      "Write transform,param,query,label,spec,tracked_y,tracked_x,in_bounds,similarity rows (one per parameter and query) to this CSV.",
      discussion: "query is the --query's index (0, 1, ...), label its --label, spec the --query as given (quoted, "
        + "RFC 4180); in_bounds is true or false; when the tracked location left the grid, tracked_y/tracked_x "
        + "are the (outside) cell it moved to and similarity is nan. With --track-radius, also best_y,best_x,"
        + "best_similarity (empty, empty, nan when no grid cell is within R)."))
  var csv: String?

  @Option(
    help: ArgumentHelp(
      "Render the line chart (similarity at each query's tracked cell vs the parameter) into this PNG.",
      discussion: "With several IMAGEs: every sweep's lines in one chart, the legend naming label, query and image."))
  var chart: String?

  @Option(
    help: ArgumentHelp(
      "Render the strip (the transformed inputs, the first query's map, tracked cells outlined) into this PNG.",
      discussion: "With several IMAGEs, one strip per IMAGE: OUT with -0, -1, ... before its extension."))
  var out: String?

  @Option(
    help: ArgumentHelp(
      "Write everything (request, grid, tracked cells, similarities, maps [Q,H,W] per step) to this JSON file.",
      discussion: "With several IMAGEs: {\"sweeps\": [one document per IMAGE]}."))
  var json: String?

  @OptionGroup(title: "Rendering (--out)") var render: RenderFlags

  @Argument(help: "The image files (PNG or JPEG): one sweep each, with the --query that name it.")
  var images: [String]

  func validate() throws {
    guard !query.isEmpty else { throw ValidationError("give at least one --query 0:Y,X") }
    guard !images.isEmpty else { throw ValidationError("give an IMAGE to sweep") }
    for q in query { try checkImageIndex(q.image, flag: "--query", count: images.count) }
    if let missing = images.indices.first(where: { i in !query.contains { $0.image == i } }) {
      throw ValidationError("IMAGE \(missing) ('\(images[missing])') has no --query: give --query \(missing):Y,X")
    }
    guard labels.count <= query.count else {
      throw ValidationError("--label given \(labels.count) times for \(query.count) --query")
    }
    if let r = trackRadius, !(0...1000).contains(r) {
      throw ValidationError("--track-radius \(r) outside 0...1000 (cells)")
    }
  }

  /// The label of --query `i`.
  func label(_ i: Int) -> String { i < labels.count ? labels[i] : "q\(i)" }
}

/// `--transform-space`.
enum SpaceChoice: String, CaseIterable, ExpressibleByArgument {
  case input, photo

  var proto: Simlay_V1_TransformSpace { self == .input ? .input : .photo }
}

/// `--fill`.
enum FillChoice: String, CaseIterable, ExpressibleByArgument {
  case mean, black

  var proto: Simlay_V1_Fill { self == .mean ? .mean : .black }
}
