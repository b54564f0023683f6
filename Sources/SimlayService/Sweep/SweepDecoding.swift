import SimlayCore
import SimlayProto

extension DaemonState {
  /// The decode step of Sweep: every field checked (the render options first, so a bad option costs no
  /// forward pass), ids resolved, defaults filled in. INVALID_ARGUMENT, NOT_FOUND, OUT_OF_RANGE or
  /// RESOURCE_EXHAUSTED naming what was wrong.
  func decode(_ request: Simlay_V1_SweepRequest) throws -> SweepJob {
    let strip = request.hasRender ? try renderStyle(request.render) : nil
    let (model, layer) = try modelLayer(request.model, request.layer)
    guard !request.imageID.isEmpty else {
      throw ServiceError(.invalidArgument, "image_id is empty: name the image to transform")
    }
    let image = try images([request.imageID], for: model)[0]
    let kind = try Self.sweepKind(request.transform)
    try Self.checkParams(request.params, kind: kind)
    try checkSweepSteps(request.params.count, what: kind.noun)
    if let strip {
      try checkRenderPixels(tiles: request.params.count, tileSize: strip.tileSize, what: "the sweep strip")
    }
    guard !request.queries.isEmpty else {
      throw ServiceError(.invalidArgument, "queries is empty: give at least one cell to track")
    }
    try checkLimit(request.queries.count, configuration.maxImagesPerRequest, "sweep queries")
    let metric = try request.metric.similarityMetric()
    let fill = try Self.sweepFill(request.fill)
    let (fillValues, h, w) = (model.pipeline.fillValues(fill), layer.height, layer.width)
    let queries = try request.queries.map { c -> (y: Int, x: Int) in
      guard c.y >= 0, c.y < h, c.x >= 0, c.x < w else {
        throw ServiceError(
          .outOfRange,
          "query cell (\(c.y), \(c.x)) is outside the grid: layer '\(layer.name)' has a grid of \(h) x \(w) cells (y in 0..<\(h), x in 0..<\(w))"
        )
      }
      return (Int(c.y), Int(c.x))
    }
    let labels = queries.indices.map { i in
      i < request.queryLabels.count && !request.queryLabels[i].isEmpty ? request.queryLabels[i] : "q\(i)"
    }
    let transforms = request.params.map { SweepTransform(kind: kind, param: $0, fill: fillValues, fillName: fill) }
    return SweepJob(
      model: model, layer: layer, image: image, kind: kind, transforms: transforms, queries: queries, labels: labels,
      metric: metric, chart: request.chart, strip: strip)
  }

  static func sweepKind(_ transform: Simlay_V1_Transform) throws -> SweepKind {
    switch transform {
    case .rotate: return .rotate
    case .scale: return .scale
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown transform \(v) (use ROTATE or SCALE)")
    }
  }

  static func sweepFill(_ fill: Simlay_V1_Fill) throws -> SweepFill {
    switch fill {
    case .mean: return .mean
    case .black: return .black
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown fill \(v) (use MEAN or BLACK)")
    }
  }

  /// Angles must be finite; scales finite and positive.
  static func checkParams(_ params: [Double], kind: SweepKind) throws {
    guard !params.isEmpty else {
      throw ServiceError(.invalidArgument, "params is empty: give the \(kind.noun) to sweep")
    }
    switch kind {
    case .rotate:
      if let bad = params.first(where: { !$0.isFinite }) {
        throw ServiceError(.invalidArgument, "angle \(bad) is not a finite number")
      }
    case .scale:
      if let bad = params.first(where: { !($0.isFinite && $0 > 0) }) {
        throw ServiceError(
          .invalidArgument, "scale \(bad) must be a finite number > 0 (1 = unchanged, 2 = zoom in, 0.5 = zoom out)")
      }
    }
  }
}

extension SweepKind {
  /// The parameters' name in messages.
  var noun: String { self == .scale ? "scales" : "angles" }
}
