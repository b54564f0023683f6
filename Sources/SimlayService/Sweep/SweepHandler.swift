import SimlayCore
import SimlayImaging
import SimlayProto

/// A computed sweep, before packing: per step the maps of every query and the tracked cells.
struct SweepAnswer {
  var layer: String
  var height: Int
  var width: Int
  var transforms: [SweepTransform]
  /// The query cells on the untransformed grid.
  var queries: [(y: Int, x: Int)]
  var labels: [String]
  /// Per step: Q maps of height * width values, query-major.
  var maps: [[Float]]
  /// Per step, per query.
  var tracked: [[(cell: TransformTracking.Tracked, similarity: Float)]]
}

extension DaemonState {
  /// Answers a Sweep request: validates it, runs one (cached) forward pass per transformed input, and
  /// compares each query's vector, taken from the untransformed image, with every cell of each transformed one.
  func sweep(_ request: Simlay_V1_SweepRequest) async throws -> Simlay_V1_SweepResponse {
    let model = try models.get(request.model)
    guard !request.layer.isEmpty else { throw ServiceError(.invalidArgument, "layer is empty") }
    let layer = try model.layer(request.layer)
    guard !request.imageID.isEmpty else {
      throw ServiceError(.invalidArgument, "image_id is empty: name the image to transform")
    }
    let image = try images([request.imageID], for: model)[0]
    let what = request.transform == .scale ? "scales" : "angles"
    guard !request.params.isEmpty else {
      throw ServiceError(.invalidArgument, "params is empty: give the \(what) to sweep")
    }
    try checkSweepSteps(request.params.count, what: what)
    switch request.transform {
    case .rotate:
      if let bad = request.params.first(where: { !$0.isFinite }) {
        throw ServiceError(.invalidArgument, "angle \(bad) is not a finite number")
      }
    case .scale:
      if let bad = request.params.first(where: { !($0.isFinite && $0 > 0) }) {
        throw ServiceError(
          .invalidArgument, "scale \(bad) must be a finite number > 0 (1 = unchanged, 2 = zoom in, 0.5 = zoom out)")
      }
    case .UNRECOGNIZED(let v): throw ServiceError(.invalidArgument, "unknown transform \(v) (use ROTATE or SCALE)")
    }
    guard !request.queries.isEmpty else {
      throw ServiceError(.invalidArgument, "queries is empty: give at least one cell to track")
    }
    try checkLimit(request.queries.count, configuration.maxImagesPerRequest, "sweep queries")
    let metric = try request.metric.similarityMetric()
    let style = request.hasRender ? try renderStyle(request.render) : nil
    if let style {
      try checkRenderPixels(tiles: request.params.count, tileSize: style.tileSize, what: "the sweep strip")
    }
    let (fill, fillName) = try model.pipeline.fillValues(request.fill)
    let (h, w) = (layer.height, layer.width)
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
    let transforms = request.params.map {
      SweepTransform(kind: request.transform, param: $0, fill: fill, fillName: fillName)
    }

    let all = try await grids(
      model: model, images: Array(repeating: image, count: transforms.count + 1), layers: [layer.name],
      variants: [.identity] + transforms.map(\.variant))
    let vectors = queries.map { QueryVector(all[0][0].vector(y: $0.y, x: $0.x)) }
    let plane = h * w
    var answer = SweepAnswer(
      layer: layer.name, height: h, width: w, transforms: transforms, queries: queries, labels: labels, maps: [],
      tracked: [])
    for (step, transform) in transforms.enumerated() {
      let grid = all[step + 1][0]
      let maps = vectors.flatMap { Self.maps(of: $0, over: [grid], metric: metric) }
      answer.maps.append(maps)
      answer.tracked.append(
        queries.enumerated().map { qi, q in
          let cell = transform.track(y: q.y, x: q.x, height: h, width: w)
          return (cell, cell.inBounds ? maps[qi * plane + cell.y * w + cell.x] : .nan)
        })
    }
    var response = Simlay_V1_SweepResponse(answer)
    // The chart, the strip's transformed inputs, their overlays and the PNG encoding are pixel work: on the
    // compute executor with the forward passes, not on the RPC thread.
    let (chart, kind, pipeline, source, finished) = (
      request.chart, request.transform, model.pipeline, image.image, answer
    )
    let pngs = try await executor.runCancellable { cancellation throws -> (chart: [UInt8]?, strip: [UInt8]?) in
      let chartPNG = chart ? try PNGEncoder.encode(self.sweepChart(finished, kind: kind, metric: metric)) : nil
      var stripPNG: [UInt8]?
      if let style {
        let input = pipeline.planarInput(source)
        let images = try transforms.map {
          try cancellation.check()
          return pipeline.denormalised($0.apply(input))
        }
        stripPNG = try PNGEncoder.encode(self.sweepStrip(finished, images: images, metric: metric, style: style))
      }
      return (chartPNG, stripPNG)
    }
    if let png = pngs.chart { response.chartPng = .init(png) }
    if let png = pngs.strip { response.stripPng = .init(png) }
    return response
  }
}
