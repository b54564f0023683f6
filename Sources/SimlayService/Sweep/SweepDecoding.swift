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
    let count = request.queries.count + request.queryPoints.count
    guard count > 0 else {
      throw ServiceError(.invalidArgument, "queries and query_points are empty: give at least one query to track")
    }
    try checkLimit(count, configuration.maxSweepQueries, "sweep queries (--max-sweep-queries)")
    let metric = try request.metric.similarityMetric()
    let fill = try Self.sweepFill(request.fill)
    let space = try Self.sweepSpace(request.transformSpace)
    var trackRadius: Int?
    if request.hasTrackRadius {
      guard (0...1000).contains(request.trackRadius) else {
        throw ServiceError(.invalidArgument, "track_radius \(request.trackRadius) outside 0...1000 (cells)")
      }
      trackRadius = Int(request.trackRadius)
    }
    let queries = try sweepQueries(request, image: image, layer: layer)
    let photoFill = fill == .black ? [Float](repeating: 0, count: 3) : model.pipeline.preprocessing.mean
    let transforms = request.params.map {
      SweepTransform(
        kind: kind, param: $0, fill: model.pipeline.fillValues(fill), fillName: fill, space: space,
        photoFill: photoFill)
    }
    return SweepJob(
      model: model, layer: layer, image: image, kind: kind, transforms: transforms, queries: queries, space: space,
      trackRadius: trackRadius, metric: metric, chart: request.chart, strip: strip)
  }

  static func sweepKind(_ transform: Simlay_V1_Transform) throws -> SweepKind {
    switch transform {
    case .rotate: return .rotate
    case .scale: return .scale
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown transform \(v) (use ROTATE or SCALE)")
    }
  }

  static func sweepSpace(_ space: Simlay_V1_TransformSpace) throws -> SweepSpace {
    switch space {
    case .input: return .input
    case .photo: return .photo
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown transform_space \(v) (use INPUT or PHOTO)")
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
